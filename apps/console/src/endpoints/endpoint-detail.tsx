import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Endpoint } from '../api/types';
import { useHerald } from '../app/herald-context';
import { useEventTypeChoices } from '../event-types/queries';
import { ConfirmButton, DialogButton, PagerControls, TableWrap } from '../ui/controls';
import { formatTime, isoToLocalInput, localInputToIso } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, ErrorMessage, QueryView } from '../ui/states';
import { AttemptsTable } from './attempts-table';
import { EndpointForm } from './endpoint-form';
import { StatusBadge } from './endpoint-list';
import {
  useDeleteEndpoint,
  useEndpoint,
  useEndpointAttempts,
  useEndpointHeaders,
  useEndpointSecret,
  useEndpointStatsSeries,
  useRecover,
  useRotateSecret,
  useSaveHeaders,
  useSendExample,
  useUpdateEndpoint,
} from './queries';
import { StatsChart } from './stats-chart';

function SecretPanel({ appId, endpointId }: { appId: string; endpointId: string }) {
  const { abilities } = useHerald();
  const [revealed, setRevealed] = useState(false);
  const secret = useEndpointSecret(appId, endpointId, revealed);
  const rotate = useRotateSecret(appId, endpointId);
  if (!abilities.revealSecret && !abilities.rotateSecret) return null;
  return (
    <section aria-labelledby="secret-heading" className="panel">
      <h2 id="secret-heading">Signing secret</h2>
      <p className="hint">Receivers verify each webhook's signature with this secret.</p>
      {revealed && secret.isPending ? <p role="status">Loading secret…</p> : null}
      {revealed && secret.isError ? <ErrorMessage error={secret.error} title="Could not reveal the secret" /> : null}
      {revealed && secret.data ? (
        <p>
          <code className="secret" aria-label="Signing secret value">
            {secret.data.key}
          </code>
        </p>
      ) : null}
      <div className="actions">
        {abilities.revealSecret ? (
          revealed ? (
            <button type="button" className="secondary" onClick={() => setRevealed(false)}>
              Hide secret
            </button>
          ) : (
            <button type="button" className="secondary" onClick={() => setRevealed(true)}>
              Reveal secret
            </button>
          )
        ) : null}
        {abilities.rotateSecret ? (
          <ConfirmButton
            label="Rotate secret"
            title="Rotate the signing secret?"
            body={<p>A new secret is generated. The old one keeps signing alongside it for 24 hours, so receivers can switch.</p>}
            confirmLabel="Rotate"
            onConfirm={() => rotate.mutate()}
            disabled={rotate.isPending}
          />
        ) : null}
      </div>
      {rotate.isSuccess ? (
        <p role="status" className="notice">
          Secret rotated.
        </p>
      ) : null}
      {rotate.isError ? <ErrorMessage error={rotate.error} title="Not rotated" /> : null}
    </section>
  );
}

type HeaderRow = { name: string; value: string };

function HeadersPanel({ appId, endpointId }: { appId: string; endpointId: string }) {
  const { abilities } = useHerald();
  const headers = useEndpointHeaders(appId, endpointId);
  return (
    <section aria-labelledby="headers-heading" className="panel">
      <h2 id="headers-heading">Custom headers</h2>
      <QueryView query={headers} what="headers">
        {(h) =>
          abilities.manageEndpoints ? (
            <HeadersEditor appId={appId} endpointId={endpointId} initial={Object.entries(h.headers).map(([name, value]) => ({ name, value }))} />
          ) : Object.keys(h.headers).length === 0 ? (
            <Empty>No custom headers.</Empty>
          ) : (
            <TableWrap label="Custom headers">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Header</th>
                    <th scope="col">Value</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(h.headers).map(([name, value]) => (
                    <tr key={name}>
                      <td className="mono">{name}</td>
                      <td className="mono">{value}</td>
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

function HeadersEditor({ appId, endpointId, initial }: { appId: string; endpointId: string; initial: HeaderRow[] }) {
  const save = useSaveHeaders(appId, endpointId);
  const [rows, setRows] = useState<HeaderRow[]>(initial);
  const update = (i: number, patch: Partial<HeaderRow>) => setRows((r) => r.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(Object.fromEntries(rows.filter((r) => r.name.trim() !== '').map((r) => [r.name.trim(), r.value])));
  };
  return (
    <form onSubmit={submit} className="form">
      {rows.length === 0 ? <p className="muted">No custom headers.</p> : null}
      {rows.map((row, i) => (
        <div key={i} className="header-row">
          <label>
            <span>Header name {i + 1}</span>
            <input type="text" value={row.name} onChange={(e) => update(i, { name: e.target.value })} autoComplete="off" />
          </label>
          <label>
            <span>Header value {i + 1}</span>
            <input type="text" value={row.value} onChange={(e) => update(i, { value: e.target.value })} autoComplete="off" />
          </label>
          <button type="button" className="secondary" onClick={() => setRows((r) => r.filter((_, j) => j !== i))}>
            Remove header {i + 1}
          </button>
        </div>
      ))}
      {save.isError ? <ErrorMessage error={save.error} title="Headers not saved" /> : null}
      {save.isSuccess ? (
        <p role="status" className="notice">
          Headers saved.
        </p>
      ) : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => setRows((r) => [...r, { name: '', value: '' }])}>
          Add header
        </button>
        <button type="submit" disabled={save.isPending}>
          Save headers
        </button>
      </div>
    </form>
  );
}

function StatsPanel({ appId, endpointId }: { appId: string; endpointId: string }) {
  const series = useEndpointStatsSeries(appId, endpointId);
  return (
    <section aria-labelledby="stats-heading" className="panel">
      <h2 id="stats-heading">Deliveries, last 7 days</h2>
      <QueryView query={series} what="statistics">
        {(days) => <StatsChart days={days} />}
      </QueryView>
    </section>
  );
}

function RecoverForm({ appId, endpointId }: { appId: string; endpointId: string }) {
  const id = useId();
  const recover = useRecover(appId, endpointId);
  const [since, setSince] = useState(() => isoToLocalInput(new Date(Date.now() - 86_400_000).toISOString()));
  return (
    <form
      className="form inline"
      onSubmit={(e) => {
        e.preventDefault();
        const iso = localInputToIso(since);
        if (iso) recover.mutate(iso);
      }}
    >
      <label htmlFor={`${id}-since`}>Failed since</label>
      <input id={`${id}-since`} type="datetime-local" required value={since} onChange={(e) => setSince(e.target.value)} />
      <button type="submit" disabled={recover.isPending}>
        Recover failed messages
      </button>
      {recover.isSuccess ? (
        <p role="status" className="notice">
          Recovery started: failed messages since then will be sent again.
        </p>
      ) : null}
      {recover.isError ? <ErrorMessage error={recover.error} title="Not recovered" /> : null}
    </form>
  );
}

function SendExampleForm({ appId, endpointId }: { appId: string; endpointId: string }) {
  const id = useId();
  const choices = useEventTypeChoices();
  const send = useSendExample(appId, endpointId);
  const [eventType, setEventType] = useState('');
  const options = (choices.data ?? []).filter((et) => !et.archived);
  return (
    <form
      className="form inline"
      onSubmit={(e) => {
        e.preventDefault();
        const chosen = eventType || options[0]?.name;
        if (chosen) send.mutate(chosen);
      }}
    >
      <label htmlFor={`${id}-type`}>Event type</label>
      <select id={`${id}-type`} value={eventType || options[0]?.name || ''} onChange={(e) => setEventType(e.target.value)} disabled={options.length === 0}>
        {options.length === 0 ? <option value="">No event types</option> : null}
        {options.map((et) => (
          <option key={et.name} value={et.name}>
            {et.name}
          </option>
        ))}
      </select>
      <button type="submit" disabled={send.isPending || options.length === 0}>
        Send example
      </button>
      {send.isSuccess ? (
        <p role="status" className="notice">
          Example sent: it appears in the attempts below.
        </p>
      ) : null}
      {send.isError ? <ErrorMessage error={send.error} title="Not sent" /> : null}
    </form>
  );
}

function AttemptsPanel({ appId, endpointId }: { appId: string; endpointId: string }) {
  const id = useId();
  const pager = usePager();
  const [status, setStatus] = useState('');
  const attempts = useEndpointAttempts(appId, endpointId, pager.iterator, status);
  return (
    <section aria-labelledby="attempts-heading" className="panel">
      <div className="title-row">
        <h2 id="attempts-heading">Message attempts</h2>
        <div className="filter">
          <label htmlFor={`${id}-status`}>Status</label>
          <select
            id={`${id}-status`}
            value={status}
            onChange={(e) => {
              setStatus(e.target.value);
              pager.reset();
            }}
          >
            <option value="">Any</option>
            <option value="0">Succeeded</option>
            <option value="2">Failed</option>
            <option value="1">Pending</option>
            <option value="3">Sending</option>
          </select>
        </div>
      </div>
      <QueryView query={attempts} what="attempts">
        {(list) =>
          list.data.length === 0 && pager.page === 1 ? (
            <Empty>No attempts{status ? ' with this status' : ''} yet.</Empty>
          ) : (
            <>
              <AttemptsTable appId={appId} attempts={list.data} label="Message attempts" />
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="Attempts" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}

function EndpointActions({ appId, endpoint, basePath }: { appId: string; endpoint: Endpoint; basePath: string }) {
  const update = useUpdateEndpoint(appId, endpoint.id);
  const remove = useDeleteEndpoint(appId, endpoint.id);
  const navigate = useNavigate();
  return (
    <div className="actions">
      <DialogButton label="Edit endpoint" title="Edit endpoint" className="secondary">
        {(close) => <EndpointForm initial={endpoint} submitLabel="Save" pending={update.isPending} error={update.error} onCancel={close} onSubmit={(input) => update.mutate(input, { onSuccess: close })} />}
      </DialogButton>
      <button type="button" className="secondary" disabled={update.isPending} onClick={() => update.mutate({ disabled: !endpoint.disabled })}>
        {endpoint.disabled ? 'Enable endpoint' : 'Disable endpoint'}
      </button>
      <ConfirmButton
        label="Delete endpoint"
        title="Delete this endpoint?"
        body={
          <p>
            <span className="mono">{endpoint.url}</span> stops receiving webhooks and its history is removed. This cannot be undone.
          </p>
        }
        confirmLabel="Delete"
        danger
        onConfirm={() => remove.mutate(undefined, { onSuccess: () => void navigate(basePath || '/') })}
      />
      {update.isError ? <ErrorMessage error={update.error} title="Not changed" /> : null}
      {remove.isError ? <ErrorMessage error={remove.error} title="Not deleted" /> : null}
    </div>
  );
}

/** One endpoint: its settings, secret, headers, delivery chart, attempts and recovery tools. */
export function EndpointDetail({ appId, endpointId, basePath }: { appId: string; endpointId: string; basePath: string }) {
  const { abilities } = useHerald();
  const endpoint = useEndpoint(appId, endpointId);
  return (
    <QueryView query={endpoint} what="the endpoint">
      {(ep) => (
        <article aria-labelledby="endpoint-heading">
          <nav aria-label="Breadcrumb" className="crumbs">
            <Link to={basePath || '/'}>Endpoints</Link> / <span aria-current="page">{ep.url}</span>
          </nav>
          <div className="title-row">
            <h1 id="endpoint-heading" className="break">
              {ep.url}
            </h1>
            <StatusBadge endpoint={ep} />
          </div>
          <dl className="facts">
            <dt>Description</dt>
            <dd>{ep.description || '—'}</dd>
            <dt>Event types</dt>
            <dd>{ep.eventTypes?.join(', ') ?? 'All'}</dd>
            <dt>Channels</dt>
            <dd>{ep.channels?.join(', ') ?? 'All'}</dd>
            <dt>Rate limit</dt>
            <dd>{ep.rateLimit ? `${ep.rateLimit}/s` : 'None'}</dd>
            {ep.circuit && ep.circuit.state !== 'closed' ? (
              <>
                <dt>Circuit</dt>
                <dd>
                  {ep.circuit.state}, since {formatTime(ep.circuit.openedAt)}; next probe {formatTime(ep.circuit.nextProbeAt)}
                </dd>
              </>
            ) : null}
            <dt>Endpoint id</dt>
            <dd className="mono">{ep.id}</dd>
          </dl>
          {abilities.manageEndpoints ? <EndpointActions appId={appId} endpoint={ep} basePath={basePath} /> : null}
          <SecretPanel appId={appId} endpointId={ep.id} />
          <StatsPanel appId={appId} endpointId={ep.id} />
          {abilities.createAttempts ? (
            <section aria-labelledby="tools-heading" className="panel">
              <h2 id="tools-heading">Recover and test</h2>
              <RecoverForm appId={appId} endpointId={ep.id} />
              <SendExampleForm appId={appId} endpointId={ep.id} />
            </section>
          ) : null}
          <HeadersPanel appId={appId} endpointId={ep.id} />
          <AttemptsPanel appId={appId} endpointId={ep.id} />
        </article>
      )}
    </QueryView>
  );
}
