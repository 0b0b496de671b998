import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { AttemptStatus } from '../endpoints/attempts-table';
import { useEventTypeChoices } from '../event-types/queries';
import { PagerControls, TableWrap } from '../ui/controls';
import { formatTime } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, ErrorMessage, QueryView } from '../ui/states';
import { filterProblems, NO_FILTERS, type MessageFilters } from './filters';
import { useEndpointChoices, useMessages } from './queries';

function FilterForm({ appId, initial, onApply }: { appId: string; initial: MessageFilters; onApply: (f: MessageFilters) => void }) {
  const id = useId();
  const eventTypes = useEventTypeChoices();
  const endpoints = useEndpointChoices(appId);
  const [f, setF] = useState(initial);
  const [problems, setProblems] = useState<string[]>([]);
  const set = (patch: Partial<MessageFilters>) => setF((old) => ({ ...old, ...patch }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = filterProblems(f);
    setProblems(found);
    if (found.length === 0) onApply(f);
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Message filters">
      <div>
        <label htmlFor={`${id}-type`}>Event type</label>
        <select id={`${id}-type`} value={f.eventType} onChange={(e) => set({ eventType: e.target.value })}>
          <option value="">Any</option>
          {(eventTypes.data ?? []).map((et) => (
            <option key={et.name} value={et.name}>
              {et.name}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-channel`}>Channel</label>
        <input id={`${id}-channel`} type="text" value={f.channel} onChange={(e) => set({ channel: e.target.value })} />
      </div>
      <div>
        <label htmlFor={`${id}-endpoint`}>Endpoint</label>
        <select id={`${id}-endpoint`} value={f.endpointId} onChange={(e) => set({ endpointId: e.target.value })}>
          <option value="">Any</option>
          {(endpoints.data ?? []).map((ep) => (
            <option key={ep.id} value={ep.id}>
              {ep.url}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={f.status} onChange={(e) => set({ status: e.target.value as MessageFilters['status'] })}>
          <option value="">Any</option>
          <option value="0">Succeeded</option>
          <option value="2">Failed</option>
          <option value="1">Pending</option>
          <option value="3">Sending</option>
        </select>
      </div>
      <div>
        <label htmlFor={`${id}-after`}>From</label>
        <input id={`${id}-after`} type="datetime-local" value={f.after} onChange={(e) => set({ after: e.target.value })} />
      </div>
      <div>
        <label htmlFor={`${id}-before`}>To</label>
        <input id={`${id}-before`} type="datetime-local" value={f.before} onChange={(e) => set({ before: e.target.value })} />
      </div>
      <div className="actions">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setF(NO_FILTERS);
            setProblems([]);
            onApply(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
      {problems.length > 0 ? <ErrorMessage error={problems.join(' ')} title="Check the filters" /> : null}
    </form>
  );
}

/** The message log of one application, with filters; each message opens its payload and deliveries. */
export function MessageList({ appId, basePath, headingLevel = 1 }: { appId: string; basePath: string; headingLevel?: 1 | 2 }) {
  const pager = usePager();
  const [filters, setFilters] = useState<MessageFilters>(NO_FILTERS);
  const messages = useMessages(appId, filters, pager.iterator);
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  return (
    <section aria-labelledby="messages-heading">
      <Heading id="messages-heading">Messages</Heading>
      <FilterForm
        appId={appId}
        initial={filters}
        onApply={(f) => {
          setFilters(f);
          pager.reset();
        }}
      />
      <QueryView query={messages} what="messages">
        {(list) =>
          list.data.length === 0 && pager.page === 1 ? (
            <Empty>No messages{filters === NO_FILTERS ? ' yet' : ' match these filters'}.</Empty>
          ) : (
            <>
              <TableWrap label="Messages">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Message</th>
                      <th scope="col">Event type</th>
                      <th scope="col">Time</th>
                      <th scope="col" className="hide-narrow">Channels</th>
                      {filters.endpointId ? <th scope="col">Status</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((m) => (
                      <tr key={m.id}>
                        <td className="mono small">
                          <Link to={`${basePath}/messages/${m.id}`}>{m.eventId ?? m.id}</Link>
                        </td>
                        <td className="mono small">{m.eventType}</td>
                        <td className="nowrap">{formatTime(m.timestamp)}</td>
                        <td className="small hide-narrow">{m.channels?.join(', ') ?? '—'}</td>
                        {filters.endpointId ? <td>{m.deliveryStatus !== undefined ? <AttemptStatus status={m.deliveryStatus} /> : '—'}</td> : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="Messages" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
