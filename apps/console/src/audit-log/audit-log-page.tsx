import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { PAGE_SIZE, type AuditVerify } from '../api/types';
import { useHerald } from '../app/herald-context';
import { PagerControls, TableWrap } from '../ui/controls';
import { formatTime } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, ErrorMessage, QueryView } from '../ui/states';

/** The verification result in words. */
export function verifyText(result: AuditVerify): string {
  if (result.ok) return `The audit chain is intact: ${result.checked} entries checked.`;
  return `The audit chain is broken at entry ${result.brokenAt ?? 'unknown'} (${result.checked} entries checked before it).`;
}

export function AuditLogPage() {
  const { client } = useHerald();
  const pager = usePager();
  const entries = useQuery({
    queryKey: ['audit-log', pager.iterator ?? ''],
    queryFn: () => unwrap(client.GET('/api/v1/audit-log', { params: { query: { limit: PAGE_SIZE, iterator: pager.iterator } } })),
    placeholderData: keepPreviousData,
  });
  const verify = useMutation({ mutationFn: () => unwrap(client.GET('/api/v1/audit-log/verify')) });
  return (
    <section aria-labelledby="audit-heading">
      <div className="title-row">
        <h1 id="audit-heading">Audit log</h1>
        <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
          Verify
        </button>
      </div>
      {verify.isPending ? <p role="status">Verifying the chain…</p> : null}
      {verify.isError ? <ErrorMessage error={verify.error} title="Could not verify" /> : null}
      {verify.data ? (
        <p role="status" className={verify.data.ok ? 'notice ok' : 'error'}>
          {verifyText(verify.data)}
        </p>
      ) : null}
      <QueryView query={entries} what="the audit log">
        {(list) =>
          list.data.length === 0 && pager.page === 1 ? (
            <Empty>No entries yet.</Empty>
          ) : (
            <>
              <TableWrap label="Audit log">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Action</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Target</th>
                      <th scope="col">IP</th>
                      <th scope="col">Hash</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((e) => (
                      <tr key={e.id}>
                        <td className="nowrap">{formatTime(e.createdAt)}</td>
                        <td className="mono small">{e.action}</td>
                        <td className="small">
                          {e.actor.type}
                          {e.actor.id ? <span className="mono"> {e.actor.id}</span> : null}
                        </td>
                        <td className="small">
                          {e.target.type}
                          {e.target.id ? <span className="mono"> {e.target.id}</span> : null}
                        </td>
                        <td className="mono small">{e.ip ?? '—'}</td>
                        <td className="mono small" title={e.hash}>
                          {e.hash.slice(0, 12)}…
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="Audit log" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
