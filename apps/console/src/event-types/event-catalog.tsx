import { useEventTypePage } from './queries';
import { exampleFromSchema, latestSchema } from './schema-example';
import { prettyJson } from '../ui/format';
import { usePager } from '../ui/pager';
import { Badge, JsonBlock, PagerControls } from '../ui/controls';
import { Empty, QueryView } from '../ui/states';

/** The event types a customer can subscribe to, with descriptions, schemas and examples. */
export function EventCatalog() {
  const pager = usePager();
  const page = useEventTypePage(pager.iterator);
  return (
    <section aria-labelledby="catalog-heading">
      <h1 id="catalog-heading">Event catalog</h1>
      <QueryView query={page} what="event types">
        {(list) =>
          list.data.length === 0 ? (
            <Empty>No event types have been published yet.</Empty>
          ) : (
            <>
              <ul className="cards">
                {list.data.map((et) => {
                  const latest = latestSchema(et.schemas);
                  return (
                    <li key={et.name} className="card">
                      <h2 className="mono">{et.name}</h2>
                      {et.deprecated ? <Badge tone="warn">Deprecated</Badge> : null}
                      <p>{et.description || 'No description.'}</p>
                      {latest ? (
                        <details>
                          <summary>Schema (version {latest.version}) and example</summary>
                          <h3>Schema</h3>
                          <JsonBlock label={`Schema of ${et.name}`} value={prettyJson(latest.schema)} />
                          <h3>Example</h3>
                          <JsonBlock label={`Example of ${et.name}`} value={prettyJson(exampleFromSchema(latest.schema))} />
                        </details>
                      ) : (
                        <p className="muted">No schema.</p>
                      )}
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
