import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { SessionGate } from '../app/herald-context';
import { createQueryClient } from '../app/query-client';
import { CONSOLE_KEY } from '../auth/token-store';
import { ErrorMessage } from '../ui/states';
import { consoleRoutes } from './console-app';
import { SignIn } from './sign-in';
import '../ui/styles.css';

/** A refused key: forget it (a reload must not retry it) and ask again, saying why. */
function SignInAgain({ error, onSignIn }: { error: unknown; onSignIn: (key: string) => void }) {
  useEffect(() => window.sessionStorage.removeItem(CONSOLE_KEY), []);
  return <SignIn onSignIn={onSignIn} problem={<ErrorMessage title="Sign-in failed" error={error} />} />;
}

/** Signed out: the sign-in form. Signed in: the console, for as long as the API accepts the key. */
function ConsoleRoot() {
  const queryClient = useQueryClient();
  // Kept in this tab's session storage (never in the URL), so a reload stays signed in.
  const [key, setKey] = useState<string | null>(() => window.sessionStorage.getItem(CONSOLE_KEY));
  const signIn = (value: string) => {
    window.sessionStorage.setItem(CONSOLE_KEY, value);
    setKey(value);
  };
  const signOut = () => {
    window.sessionStorage.removeItem(CONSOLE_KEY);
    queryClient.clear();
    setKey(null);
  };
  // One router for the page's life; signOut only uses stable setters.
  const [router] = useState(() => createBrowserRouter(consoleRoutes(signOut), { basename: '/console' }));
  if (key === null) return <SignIn onSignIn={signIn} />;
  return (
    <SessionGate
      token={key}
      rejected={(error) => <SignInAgain error={error} onSignIn={signIn} />}
    >
      <RouterProvider router={router} />
    </SessionGate>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('missing #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={createQueryClient()}>
      <ConsoleRoot />
    </QueryClientProvider>
  </StrictMode>,
);
