import { useQuery } from '@tanstack/react-query';
import { unwrap } from '../api/client';
import { ApiError } from '../api/errors';
import { useHerald } from '../app/herald-context';
import { Badge, TableWrap } from '../ui/controls';
import { formatTime } from '../ui/format';
import { Empty, QueryView } from '../ui/states';
import { healthView } from './health';

function HealthPanel() {
  const { client } = useHerald();
  const health = useQuery({
    queryKey: ['health'],
    queryFn: async () => {
      try {
        const { data, error, response } = await client.GET('/api/v1/health');
        return healthView(response.status, data ?? error);
      } catch (err) {
        throw ApiError.network(err);
      }
    },
    refetchInterval: 15_000,
  });
  return (
    <section aria-labelledby="health-heading" className="panel">
      <h2 id="health-heading">Health</h2>
      <QueryView query={health} what="health">
        {(h) => (
          <>
            <p>
              <Badge tone={h.healthy ? 'ok' : 'bad'}>{h.healthy ? 'Healthy' : 'Unhealthy'}</Badge> <span className="muted small">HTTP {h.status}</span>
            </p>
            {h.checks.length > 0 ? (
              <ul className="inline-list">
                {h.checks.map((c) => (
                  <li key={c.name}>
                    {c.name}: <Badge tone={c.ok ? 'ok' : 'bad'}>{c.ok ? 'ok' : 'error'}</Badge>
                  </li>
                ))}
                {h.workers.map((w) => (
                  <li key={w.name}>
                    {w.name} processes: <strong>{w.count}</strong>
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        )}
      </QueryView>
    </section>
  );
}

export function OverviewPage() {
  const { client } = useHerald();
  const overview = useQuery({ queryKey: ['overview'], queryFn: () => unwrap(client.GET('/api/v1/admin/overview')), refetchInterval: 15_000 });
  return (
    <section aria-labelledby="overview-heading">
      <h1 id="overview-heading">Health and queues</h1>
      <HealthPanel />
      <QueryView query={overview} what="queue depth">
        {(o) => (
          <>
            <section aria-labelledby="queue-heading" className="panel">
              <h2 id="queue-heading">Queue depth</h2>
              <dl className="stats">
                <div>
                  <dt>Due now</dt>
                  <dd>{o.deliveries.due}</dd>
                </div>
                <div>
                  <dt>Scheduled for retry</dt>
                  <dd>{o.deliveries.scheduled}</dd>
                </div>
              </dl>
            </section>
            <section aria-labelledby="failing-heading" className="panel">
              <h2 id="failing-heading">Failing endpoints</h2>
              {o.failingEndpoints.length === 0 ? (
                <Empty>No endpoint is failing.</Empty>
              ) : (
                <TableWrap label="Failing endpoints">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">URL</th>
                        <th scope="col">Failing since</th>
                        <th scope="col">Tenant</th>
                        <th scope="col">Application</th>
                      </tr>
                    </thead>
                    <tbody>
                      {o.failingEndpoints.map((e) => (
                        <tr key={e.endpointId}>
                          <td className="url-cell">{e.url}</td>
                          <td className="nowrap">{formatTime(e.failingSince)}</td>
                          <td className="mono small">{e.tenantId}</td>
                          <td className="mono small">{e.appId}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              )}
            </section>
          </>
        )}
      </QueryView>
    </section>
  );
}
