import { useId, useState, type FormEvent } from 'react';
import type { EventType } from '../api/types';
import { useHerald } from '../app/herald-context';
import { Badge, ConfirmButton, DialogButton, JsonBlock, PagerControls } from '../ui/controls';
import { prettyJson } from '../ui/format';
import { usePager } from '../ui/pager';
import { Empty, ErrorMessage, QueryView } from '../ui/states';
import { useArchiveEventType, useCreateEventType, useEventTypePage, useUpdateEventType } from './queries';
import { exampleFromSchema, latestSchema } from './schema-example';
import { parseSchemaText } from './schema-text';

function EventTypeForm({ initial, close }: { initial?: EventType; close: () => void }) {
  const id = useId();
  const create = useCreateEventType();
  const update = useUpdateEventType(initial?.name ?? '');
  const latest = latestSchema(initial?.schemas);
  const [name, setName] = useState(initial?.name ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [schema, setSchema] = useState(latest ? prettyJson(latest.schema) : '');
  const [problem, setProblem] = useState<string | null>(null);
  const mutation = initial ? update : create;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseSchemaText(schema, latest?.version ?? '1');
    if (!parsed.ok) {
      setProblem(parsed.error);
      return;
    }
    setProblem(null);
    if (initial) update.mutate({ description, schemas: parsed.schemas }, { onSuccess: close });
    else create.mutate({ name: name.trim(), description, schemas: parsed.schemas }, { onSuccess: close });
  };
  return (
    <form className="form" onSubmit={submit}>
      {initial ? null : (
        <>
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} type="text" required value={name} onChange={(e) => setName(e.target.value)} placeholder="invoice.paid" />
        </>
      )}
      <label htmlFor={`${id}-description`}>Description</label>
      <input id={`${id}-description`} type="text" value={description} onChange={(e) => setDescription(e.target.value)} />
      <label htmlFor={`${id}-schema`}>JSON Schema</label>
      <textarea id={`${id}-schema`} rows={10} className="mono" value={schema} onChange={(e) => setSchema(e.target.value)} spellCheck={false} aria-describedby={`${id}-schema-hint`} />
      <p className="hint" id={`${id}-schema-hint`}>
        Messages of this type are validated against it. Empty: no schema.
      </p>
      {problem ? <ErrorMessage error={problem} title="Check the schema" /> : null}
      {mutation.isError ? <ErrorMessage error={mutation.error} title="Not saved" /> : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={close}>
          Cancel
        </button>
        <button type="submit" disabled={mutation.isPending}>
          {initial ? 'Save' : 'Create'}
        </button>
      </div>
    </form>
  );
}

function ArchiveButton({ name }: { name: string }) {
  const archive = useArchiveEventType(name);
  return (
    <>
      <ConfirmButton
        label={`Archive ${name}`}
        title={`Archive ${name}?`}
        body={<p>Archived types stay on existing endpoints and messages but are hidden from the catalog.</p>}
        confirmLabel="Archive"
        onConfirm={() => archive.mutate()}
      />
      {archive.isError ? <ErrorMessage error={archive.error} title="Not archived" /> : null}
    </>
  );
}

/** The tenant's event catalog: create, edit schemas, archive. */
export function EventTypesPage() {
  const { abilities } = useHerald();
  const pager = usePager();
  const [archived, setArchived] = useState(false);
  const page = useEventTypePage(pager.iterator, archived);
  return (
    <section aria-labelledby="event-types-heading">
      <div className="title-row">
        <h1 id="event-types-heading">Event types</h1>
        {abilities.manageTenant ? <DialogButton label="Create event type" title="Create event type">{(close) => <EventTypeForm close={close} />}</DialogButton> : null}
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={archived}
          onChange={(e) => {
            setArchived(e.target.checked);
            pager.reset();
          }}
        />{' '}
        Show archived types
      </label>
      <QueryView query={page} what="event types">
        {(list) =>
          list.data.length === 0 && pager.page === 1 ? (
            <Empty>No event types yet.</Empty>
          ) : (
            <>
              <ul className="cards">
                {list.data.map((et) => {
                  const latest = latestSchema(et.schemas);
                  return (
                    <li key={et.name} className="card">
                      <h2 className="mono">{et.name}</h2>
                      {et.archived ? <Badge tone="muted">Archived</Badge> : null}
                      {et.deprecated ? <Badge tone="warn">Deprecated</Badge> : null}
                      <p>{et.description || 'No description.'}</p>
                      {latest ? (
                        <details>
                          <summary>Schema (version {latest.version}) and example</summary>
                          <JsonBlock label={`Schema of ${et.name}`} value={prettyJson(latest.schema)} />
                          <JsonBlock label={`Example of ${et.name}`} value={prettyJson(exampleFromSchema(latest.schema))} />
                        </details>
                      ) : null}
                      {abilities.manageTenant ? (
                        <div className="actions">
                          <DialogButton label={`Edit ${et.name}`} title={`Edit ${et.name}`} className="secondary">
                            {(close) => <EventTypeForm initial={et} close={close} />}
                          </DialogButton>
                          {et.archived ? null : <ArchiveButton name={et.name} />}
                        </div>
                      ) : null}
                    </li>
                  );
                })}
              </ul>
              <PagerControls pager={pager} done={list.done} nextIterator={list.iterator} label="Event types" />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
