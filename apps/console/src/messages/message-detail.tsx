import { Link } from 'react-router';
import { useHerald } from '../app/herald-context';
import { AttemptsTable, AttemptStatus } from '../endpoints/attempts-table';
import { useResend } from '../endpoints/queries';
import { JsonBlock, TableWrap } from '../ui/controls';
import { formatTime, prettyJson } from '../ui/format';
import { Empty, ErrorMessage, QueryView } from '../ui/states';
import { useMessage, useMessageAttempts, useMessageDestinations } from './queries';

function Destinations({ appId, msgId, basePath }: { appId: string; msgId: string; basePath: string }) {
  const { abilities } = useHerald();
  const destinations = useMessageDestinations(appId, msgId);
  const resend = useResend(appId);
  return (
    <section aria-labelledby="destinations-heading" className="panel">
      <h2 id="destinations-heading">Where it went</h2>
      {resend.isError ? <ErrorMessage error={resend.error} title="Not resent" /> : null}
      {resend.isSuccess ? (
        <p role="status" className="notice">
          Resend queued.
        </p>
      ) : null}
      <QueryView query={destinations} what="destinations">
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No endpoint was subscribed to this message.</Empty>
          ) : (
            <TableWrap label="Destinations">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Status</th>
                    <th scope="col">Next attempt</th>
                    {abilities.createAttempts ? <th scope="col">Action</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((d) => (
                    <tr key={d.id}>
                      <td className="url-cell">
                        <Link to={`${basePath}/endpoints/${d.id}`}>{d.url}</Link>
                      </td>
                      <td>
                        <AttemptStatus status={d.status} />
                      </td>
                      <td className="nowrap">{formatTime(d.nextAttempt)}</td>
                      {abilities.createAttempts ? (
                        <td>
                          <button type="button" className="secondary" disabled={resend.isPending} onClick={() => resend.mutate({ msgId, endpointId: d.id })}>
                            Resend
                          </button>
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </QueryView>
    </section>
  );
}

/** One message: its payload, where it went and every attempt. */
export function MessageDetail({ appId, msgId, basePath }: { appId: string; msgId: string; basePath: string }) {
  const message = useMessage(appId, msgId);
  const attempts = useMessageAttempts(appId, msgId);
  return (
    <QueryView query={message} what="the message">
      {(m) => (
        <article aria-labelledby="message-heading">
          <nav aria-label="Breadcrumb" className="crumbs">
            <Link to={`${basePath}/messages`}>Messages</Link> / <span aria-current="page">{m.id}</span>
          </nav>
          <h1 id="message-heading" className="break">
            {m.eventType} <span className="muted mono small">{m.eventId ?? m.id}</span>
          </h1>
          <dl className="facts">
            <dt>Message id</dt>
            <dd className="mono">{m.id}</dd>
            <dt>Time</dt>
            <dd>{formatTime(m.timestamp)}</dd>
            <dt>Channels</dt>
            <dd>{m.channels?.join(', ') ?? '—'}</dd>
          </dl>
          <section aria-labelledby="payload-heading" className="panel">
            <h2 id="payload-heading">Payload</h2>
            <JsonBlock label="Payload JSON" value={prettyJson(m.payload)} />
          </section>
          <Destinations appId={appId} msgId={m.id} basePath={basePath} />
          <section aria-labelledby="msg-attempts-heading" className="panel">
            <h2 id="msg-attempts-heading">Attempts</h2>
            <QueryView query={attempts} what="attempts">
              {(list) => (list.data.length === 0 ? <Empty>No attempts yet.</Empty> : <AttemptsTable appId={appId} attempts={list.data.map((a) => ({ ...a, msg: m }))} label="Attempts of this message" showEndpoint />)}
            </QueryView>
          </section>
        </article>
      )}
    </QueryView>
  );
}
