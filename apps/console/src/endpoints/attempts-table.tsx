import type { Attempt } from '../api/types';
import { useHerald } from '../app/herald-context';
import { Badge, JsonBlock, TableWrap, type Tone } from '../ui/controls';
import { formatTime, prettyJson } from '../ui/format';
import { ErrorMessage } from '../ui/states';
import { useResend } from './queries';

export const ATTEMPT_STATUS: Record<number, { label: string; tone: Tone }> = {
  0: { label: 'Succeeded', tone: 'ok' },
  1: { label: 'Pending', tone: 'warn' },
  2: { label: 'Failed', tone: 'bad' },
  3: { label: 'Sending', tone: 'info' },
  4: { label: 'Canceled', tone: 'muted' },
};

export function AttemptStatus({ status }: { status: number }) {
  const s = ATTEMPT_STATUS[status] ?? { label: `Status ${status}`, tone: 'muted' as const };
  return <Badge tone={s.tone}>{s.label}</Badge>;
}

/** Attempts with status, response code, duration, request and response bodies; resend one. */
export function AttemptsTable({ appId, attempts, label, showEndpoint = false }: { appId: string; attempts: Attempt[]; label: string; showEndpoint?: boolean }) {
  const { abilities } = useHerald();
  const resend = useResend(appId);
  return (
    <>
      {resend.isError ? <ErrorMessage error={resend.error} title="Not resent" /> : null}
      {resend.isSuccess ? (
        <p role="status" className="notice">
          Resend queued.
        </p>
      ) : null}
      <TableWrap label={label}>
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Status</th>
              <th scope="col">Response code</th>
              <th scope="col">Duration</th>
              <th scope="col">{showEndpoint ? 'Endpoint' : 'Event type'}</th>
              <th scope="col">Details</th>
              {abilities.createAttempts ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr key={a.id}>
                <td className="nowrap">{formatTime(a.timestamp)}</td>
                <td>
                  <AttemptStatus status={a.status} />
                </td>
                <td>{a.responseStatusCode === 0 ? 'none' : a.responseStatusCode}</td>
                <td className="nowrap">{a.responseDurationMs} ms</td>
                <td className="mono small">{showEndpoint ? a.url : (a.msg?.eventType ?? a.msgId)}</td>
                <td>
                  <details>
                    <summary>Bodies</summary>
                    <h4>Request body</h4>
                    {a.msg ? <JsonBlock label={`Request body of attempt ${a.id}`} value={prettyJson(a.msg.payload)} /> : <p className="muted">Open the message to see its payload.</p>}
                    <h4>Response body</h4>
                    <JsonBlock label={`Response body of attempt ${a.id}`} value={a.response === '' ? '(empty)' : prettyJson(a.response)} />
                  </details>
                </td>
                {abilities.createAttempts ? (
                  <td>
                    <button type="button" className="secondary" disabled={resend.isPending} onClick={() => resend.mutate({ msgId: a.msgId, endpointId: a.endpointId })} aria-label="Resend">
                      Resend
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}
