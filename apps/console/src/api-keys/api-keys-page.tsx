import { useId, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { PAGE_SIZE, type CreatedApiKey } from '../api/types';
import { useHerald } from '../app/herald-context';
import { ConfirmButton, DialogButton, PagerControls, TableWrap } from '../ui/controls';
import { formatTime } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, ErrorMessage, QueryView } from '../ui/states';
import { apiKeyInputOf, type Scope } from './api-key-form';

function useApiKeys(iterator: string | undefined) {
  const { client } = useHerald();
  return useQuery({
    queryKey: ['api-keys', iterator ?? ''],
    queryFn: () => unwrap(client.GET('/api/v1/api-keys', { params: { query: { limit: PAGE_SIZE, iterator } } })),
    placeholderData: keepPreviousData,
  });
}

function CreateKeyForm({ onCreated, close }: { onCreated: (key: CreatedApiKey) => void; close: () => void }) {
  const id = useId();
  const { client } = useHerald();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (body: ReturnType<typeof apiKeyInputOf>) => unwrap(client.POST('/api/v1/api-keys', { body })),
    onSuccess: (key) => {
      void queryClient.invalidateQueries({ queryKey: ['api-keys'] });
      onCreated(key);
      close();
    },
  });
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('all');
  const [expiresAt, setExpiresAt] = useState('');
  const [cidrs, setCidrs] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(apiKeyInputOf({ name, scope, expiresAt, cidrs }));
  };
  return (
    <form className="form" onSubmit={submit}>
      <label htmlFor={`${id}-name`}>Key name</label>
      <input id={`${id}-name`} type="text" required value={name} onChange={(e) => setName(e.target.value)} />
      <fieldset>
        <legend>Scope</legend>
        {(
          [
            ['all', 'All: read, change and send'],
            ['read', 'Read: look, change nothing (no secrets)'],
            ['send', 'Send: create messages only'],
          ] as const
        ).map(([value, text]) => (
          <label key={value} className="check">
            <input type="radio" name={`${id}-scope`} value={value} checked={scope === value} onChange={() => setScope(value)} /> {text}
          </label>
        ))}
      </fieldset>
      <label htmlFor={`${id}-expires`}>Expires (optional)</label>
      <input id={`${id}-expires`} type="datetime-local" value={expiresAt} onChange={(e) => setExpiresAt(e.target.value)} />
      <label htmlFor={`${id}-cidrs`}>Allowed networks (optional)</label>
      <input id={`${id}-cidrs`} type="text" value={cidrs} onChange={(e) => setCidrs(e.target.value)} placeholder="203.0.113.0/24, 2001:db8::/32" aria-describedby={`${id}-cidrs-hint`} />
      <p className="hint" id={`${id}-cidrs-hint`}>
        CIDRs, comma-separated. Empty: any address.
      </p>
      {create.isError ? <ErrorMessage error={create.error} title="Key not created" /> : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={close}>
          Cancel
        </button>
        <button type="submit" disabled={create.isPending}>
          Create
        </button>
      </div>
    </form>
  );
}

/** The key's secret, shown once right after creation (the API never returns it again). */
function CreatedKey({ created, dismiss }: { created: CreatedApiKey; dismiss: () => void }) {
  return (
    <div className="notice strong" role="status">
      <p>
        <strong>Key “{created.name}” created.</strong> Copy it now: it will not be shown again.
      </p>
      <p>
        <code className="secret" aria-label="New API key">
          {created.key}
        </code>
      </p>
      <button type="button" className="secondary" onClick={dismiss}>
        I have copied it
      </button>
    </div>
  );
}

export function ApiKeysPage() {
  const { client, abilities } = useHerald();
  const queryClient = useQueryClient();
  const pager = usePager();
  const keys = useApiKeys(pager.iterator);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['api-keys'] }),
  });
  return (
    <section aria-labelledby="keys-heading">
      <div className="title-row">
        <h1 id="keys-heading">API keys</h1>
        {abilities.manageTenant ? <DialogButton label="Create API key" title="Create API key">{(close) => <CreateKeyForm onCreated={setCreated} close={close} />}</DialogButton> : null}
      </div>
      {created ? <CreatedKey created={created} dismiss={() => setCreated(null)} /> : null}
      {revoke.isError ? <ErrorMessage error={revoke.error} title="Not revoked" /> : null}
      <QueryView query={keys} what="API keys">
        {(list) =>
          list.data.length === 0 && pager.page === 1 ? (
            <Empty>No API keys.</Empty>
          ) : (
            <>
              <TableWrap label="API keys">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Prefix</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Allowed networks</th>
                      <th scope="col">Created</th>
                      {abilities.manageTenant ? <th scope="col">Action</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((k) => (
                      <tr key={k.id}>
                        <td>{k.name}</td>
                        <td className="mono small">{k.prefix}…</td>
                        <td>{k.scopes.join(', ')}</td>
                        <td className="nowrap">{k.expiresAt ? formatTime(k.expiresAt) : 'Never'}</td>
                        <td className="small">{k.allowedCidrs.length > 0 ? k.allowedCidrs.join(', ') : 'Any'}</td>
                        <td className="nowrap">{formatTime(k.createdAt)}</td>
                        {abilities.manageTenant ? (
                          <td>
                            <ConfirmButton
                              label={`Revoke ${k.name}`}
                              title={`Revoke “${k.name}”?`}
                              body={<p>Requests with this key are refused from now on. This cannot be undone.</p>}
                              confirmLabel="Revoke"
                              danger
                              onConfirm={() => revoke.mutate(k.id)}
                            />
                          </td>
                        ) : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="API keys" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
