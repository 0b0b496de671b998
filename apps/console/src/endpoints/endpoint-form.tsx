import { useId, useState, type FormEvent } from 'react';
import type { Endpoint } from '../api/types';
import { useEventTypeChoices } from '../event-types/queries';
import { splitList } from '../ui/format';
import { ErrorMessage } from '../ui/states';
import type { EndpointInput } from './queries';

/** The form's fields as typed, turned into the API's body (empty means "not set"). */
export function endpointInputOf(fields: { url: string; description: string; eventTypes: string[]; channels: string; rateLimit: string }): EndpointInput {
  const channels = splitList(fields.channels);
  const rate = fields.rateLimit.trim();
  return {
    url: fields.url.trim(),
    description: fields.description.trim(),
    eventTypes: fields.eventTypes.length > 0 ? fields.eventTypes : null,
    channels: channels.length > 0 ? channels : null,
    rateLimit: rate === '' ? null : Number(rate),
  };
}

/** Add or edit an endpoint: URL, description, event types from the catalog, channels, rate limit. */
export function EndpointForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
  pending,
  error,
}: {
  initial?: Endpoint;
  submitLabel: 'Create' | 'Save';
  onSubmit: (input: EndpointInput) => void;
  onCancel?: () => void;
  pending: boolean;
  error: unknown;
}) {
  const id = useId();
  const choices = useEventTypeChoices();
  const [url, setUrl] = useState(initial?.url ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [eventTypes, setEventTypes] = useState<string[]>(initial?.eventTypes ?? []);
  const [channels, setChannels] = useState((initial?.channels ?? []).join(', '));
  const [rateLimit, setRateLimit] = useState(initial?.rateLimit != null ? String(initial.rateLimit) : '');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(endpointInputOf({ url, description, eventTypes, channels, rateLimit }));
  };
  const toggle = (name: string, on: boolean) => setEventTypes((list) => (on ? [...list, name] : list.filter((n) => n !== name)));

  return (
    <form onSubmit={submit} className="form">
      <label htmlFor={`${id}-url`}>URL</label>
      <input id={`${id}-url`} type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/webhooks" autoComplete="off" />

      <label htmlFor={`${id}-description`}>Description</label>
      <input id={`${id}-description`} type="text" value={description} onChange={(e) => setDescription(e.target.value)} />

      <fieldset>
        <legend>Event types</legend>
        <p className="hint" id={`${id}-types-hint`}>
          None selected: the endpoint receives every event type.
        </p>
        {choices.isPending ? <p role="status">Loading event types…</p> : null}
        {choices.isError ? <ErrorMessage error={choices.error} title="Could not load event types" /> : null}
        {choices.data?.length === 0 ? <p className="muted">The catalog is empty.</p> : null}
        <div className="checks">
          {(choices.data ?? [])
            .filter((et) => !et.archived || eventTypes.includes(et.name))
            .map((et) => (
              <label key={et.name} className="check">
                <input type="checkbox" checked={eventTypes.includes(et.name)} onChange={(e) => toggle(et.name, e.target.checked)} aria-describedby={`${id}-types-hint`} />
                <span className="mono">{et.name}</span>
              </label>
            ))}
        </div>
      </fieldset>

      <label htmlFor={`${id}-channels`}>Channels</label>
      <input id={`${id}-channels`} type="text" value={channels} onChange={(e) => setChannels(e.target.value)} aria-describedby={`${id}-channels-hint`} />
      <p className="hint" id={`${id}-channels-hint`}>
        Comma-separated; empty receives messages of every channel.
      </p>

      <label htmlFor={`${id}-rate`}>Rate limit (messages per second)</label>
      <input id={`${id}-rate`} type="number" min={1} max={65535} inputMode="numeric" value={rateLimit} onChange={(e) => setRateLimit(e.target.value)} aria-describedby={`${id}-rate-hint`} />
      <p className="hint" id={`${id}-rate-hint`}>
        Empty: no limit.
      </p>

      {error ? <ErrorMessage error={error} title="Not saved" /> : null}
      <div className="actions">
        {onCancel ? (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" disabled={pending}>
          {pending ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
