import { Link, useNavigate } from 'react-router';
import type { Endpoint } from '../api/types';
import { useHerald } from '../app/herald-context';
import { Badge, DialogButton, PagerControls, TableWrap } from '../ui/controls';
import { formatRate, successRate } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, QueryView } from '../ui/states';
import { EndpointForm } from './endpoint-form';
import { endpointStatus } from './endpoint-status';
import { useCreateEndpoint, useEndpoints, useEndpointStats } from './queries';

function SuccessRate({ appId, endpointId }: { appId: string; endpointId: string }) {
  const stats = useEndpointStats(appId, endpointId);
  if (stats.isPending) return <span className="muted">…</span>;
  if (stats.isError) return <span className="muted">unknown</span>;
  return <>{formatRate(successRate(stats.data))}</>;
}

export function StatusBadge({ endpoint }: { endpoint: Pick<Endpoint, 'disabled' | 'circuit'> }) {
  const status = endpointStatus(endpoint);
  return <Badge tone={status.tone}>{status.label}</Badge>;
}

function AddEndpoint({ appId, basePath }: { appId: string; basePath: string }) {
  const create = useCreateEndpoint(appId);
  const navigate = useNavigate();
  return (
    <DialogButton label="Add endpoint" title="Add endpoint">
      {(close) => (
        <EndpointForm
          submitLabel="Create"
          pending={create.isPending}
          error={create.error}
          onCancel={close}
          onSubmit={(input) =>
            create.mutate(input, {
              onSuccess: (created) => {
                close();
                void navigate(`${basePath}/endpoints/${created.id}`);
              },
            })
          }
        />
      )}
    </DialogButton>
  );
}

/** An application's endpoints: URL (a link to its page), status, success rate, filter. */
export function EndpointList({ appId, basePath, headingLevel = 1 }: { appId: string; basePath: string; headingLevel?: 1 | 2 }) {
  const { abilities } = useHerald();
  const pager = usePager();
  const endpoints = useEndpoints(appId, pager.iterator);
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  return (
    <section aria-labelledby="endpoints-heading">
      <div className="title-row">
        <Heading id="endpoints-heading">Endpoints</Heading>
        {abilities.manageEndpoints ? <AddEndpoint appId={appId} basePath={basePath} /> : null}
      </div>
      <QueryView query={endpoints} what="endpoints">
        {(list) =>
          list.data.length === 0 && pager.page === 1 ? (
            <Empty>No endpoints yet.{abilities.manageEndpoints ? ' Add one to start receiving webhooks.' : ''}</Empty>
          ) : (
            <>
              <TableWrap label="Endpoints">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">URL</th>
                      <th scope="col">Status</th>
                      <th scope="col">Success rate</th>
                      <th scope="col" className="hide-narrow">Event types</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((ep) => (
                      <tr key={ep.id}>
                        <td className="url-cell">
                          <Link to={`${basePath}/endpoints/${ep.id}`}>{ep.url}</Link>
                          {ep.description ? <div className="muted small">{ep.description}</div> : null}
                        </td>
                        <td>
                          <StatusBadge endpoint={ep} />
                        </td>
                        <td>
                          <SuccessRate appId={appId} endpointId={ep.id} />
                        </td>
                        <td className="small hide-narrow">{ep.eventTypes?.join(', ') ?? 'All'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="Endpoints" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
