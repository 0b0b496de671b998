import { useId, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { PAGE_SIZE, type ProvisionedTenant as Provisioned } from '../api/types';
import { useHerald } from '../app/herald-context';
import { ConfirmButton, DialogButton, PagerControls, TableWrap } from '../ui/controls';
import { formatTime } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, ErrorMessage, QueryView } from '../ui/states';

function CreateTenantForm({ close, onCreated }: { close: () => void; onCreated: (p: Provisioned) => void }) {
  const id = useId();
  const { client } = useHerald();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: (tenantName: string) => unwrap(client.POST('/api/v1/admin/tenants', { body: { name: tenantName } })),
    onSuccess: (p) => {
      void queryClient.invalidateQueries({ queryKey: ['tenants'] });
      onCreated(p);
      close();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(name.trim());
  };
  return (
    <form className="form" onSubmit={submit}>
      <label htmlFor={`${id}-name`}>Tenant name</label>
      <input id={`${id}-name`} type="text" required value={name} onChange={(e) => setName(e.target.value)} />
      {create.isError ? <ErrorMessage error={create.error} title="Tenant not created" /> : null}
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

/** Operator: tenants — create (the first API key shown once) and delete (crypto-shredding). */
export function TenantsPage() {
  const { client } = useHerald();
  const queryClient = useQueryClient();
  const pager = usePager();
  const [created, setCreated] = useState<Provisioned | null>(null);
  const tenants = useQuery({
    queryKey: ['tenants', pager.iterator ?? ''],
    queryFn: () => unwrap(client.GET('/api/v1/admin/tenants', { params: { query: { limit: PAGE_SIZE, iterator: pager.iterator } } })),
    placeholderData: keepPreviousData,
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/api/v1/admin/tenants/{id}', { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tenants'] }),
  });
  return (
    <section aria-labelledby="tenants-heading">
      <div className="title-row">
        <h1 id="tenants-heading">Tenants</h1>
        <DialogButton label="Create tenant" title="Create tenant">
          {(close) => <CreateTenantForm close={close} onCreated={setCreated} />}
        </DialogButton>
      </div>
      {created ? (
        <div className="notice strong" role="status">
          <p>
            <strong>Tenant “{created.tenant.name}” created.</strong> Its first API key, shown once:
          </p>
          <p>
            <code className="secret" aria-label="First API key">
              {created.apiKey.key}
            </code>
          </p>
          <button type="button" className="secondary" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      ) : null}
      {remove.isError ? <ErrorMessage error={remove.error} title="Tenant not deleted" /> : null}
      <QueryView query={tenants} what="tenants">
        {(list) =>
          list.data.length === 0 && pager.page === 1 ? (
            <Empty>No tenants yet.</Empty>
          ) : (
            <>
              <TableWrap label="Tenants">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Id</th>
                      <th scope="col">Created</th>
                      <th scope="col">Action</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((t) => (
                      <tr key={t.id}>
                        <td>{t.name}</td>
                        <td className="mono small">{t.id}</td>
                        <td className="nowrap">{formatTime(t.createdAt)}</td>
                        <td>
                          <ConfirmButton
                            label={`Delete ${t.name}`}
                            title={`Delete tenant “${t.name}”?`}
                            body={<p>Its data key is destroyed at once: every payload and secret of this tenant becomes unreadable and its keys stop working. This cannot be undone.</p>}
                            confirmLabel="Delete tenant"
                            danger
                            onConfirm={() => remove.mutate(t.id)}
                          />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="Tenants" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
