import { useId, useState, type FormEvent } from 'react';

/** The console's sign-in: a tenant API key or the operator token, kept in this tab only. */
export function SignIn({ onSignIn, problem }: { onSignIn: (key: string) => void; problem?: React.ReactNode }) {
  const id = useId();
  const [key, setKey] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim() !== '') onSignIn(key.trim());
  };
  return (
    <main id="main" className="gate">
      <h1>Herald Console</h1>
      <form className="form" onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>Sign in</h2>
        <label htmlFor={`${id}-key`}>API key</label>
        <input
          id={`${id}-key`}
          type="text"
          className="masked"
          required
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-describedby={`${id}-hint`}
        />
        <p className="hint" id={`${id}-hint`}>
          A tenant API key (<span className="mono">hrld_…</span>), or the operator token. It stays in this browser tab and is never put in an address.
        </p>
        {problem}
        <div className="actions">
          <button type="submit">Sign in</button>
        </div>
      </form>
    </main>
  );
}
