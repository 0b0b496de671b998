import { createHash } from 'node:crypto';

/**
 * `/* hot:<name> *\/` at the start of a raw statement: run it as a named prepared statement.
 * `/* hot:<name> plan=each *\/`: on the pool too, but unnamed, so PostgreSQL plans it on every call.
 */
const HOT_MARKER = /^\s*\/\*\s*hot:([a-z0-9_-]+)( plan=each)?\s*\*\//;

/**
 * A statement of the hot path (ingest, authentication, the dispatcher's claims and records):
 * run on the pg pool itself (`PrismaService.hot`), not through Prisma's raw-query layer, whose
 * argument mapping and row conversion cost more than the statement's own round trip at these
 * rates. `R` is the row as pg returns it (int4 → number, timestamptz → Date, bytea → Buffer,
 * json → parsed; int8 would be a string, so cast counts to int).
 */
export interface HotStatement<R> {
  /** The marker's name, for errors and logs. */
  readonly label: string;
  /** The prepared statement's name: planned once per connection (undefined: planned every call). */
  readonly name: string | undefined;
  readonly text: string;
  readonly values: unknown[];
  /** Type only: the row shape. */
  readonly row?: R;
}

const compiled = new WeakMap<TemplateStringsArray, { label: string; name: string | undefined; text: string }>();

/**
 * Tagged template for hot statements: `hotSql<Row>`/* hot:claim *\/ SELECT … ${value} …``.
 * Each interpolation becomes a parameter ($1, $2, …); the text and its name are computed once
 * per call site. The `/* hot:name *\/` marker is required: it names the prepared statement.
 */
export function hotSql<R>(strings: TemplateStringsArray, ...values: unknown[]): HotStatement<R> {
  let fixed = compiled.get(strings);
  if (!fixed) {
    const text = strings.reduce((sql, part, i) => (i === 0 ? part : `${sql}$${i}${part}`), '');
    const match = HOT_MARKER.exec(text);
    if (!match) throw new Error('a hot statement starts with a /* hot:name */ marker');
    fixed = { label: match[1] as string, name: hotStatementName(text), text };
    compiled.set(strings, fixed);
  }
  return { label: fixed.label, name: fixed.name, text: fixed.text, values };
}

/**
 * The name of a prepared statement for the hot path's raw statements (marked with a leading
 * `/* hot:name *\/` comment), undefined for everything else. Named statements are parsed and
 * planned once per connection instead of on every call; only a few fixed texts get one, so
 * each connection keeps a handful of them.
 */
export function hotStatementName(sql: string): string | undefined {
  const known = names.get(sql);
  if (known !== undefined) return known;
  const match = HOT_MARKER.exec(sql);
  // A statement whose best plan moves as its tables grow is planned afresh every call: a
  // generic plan made while a table was small (a fresh database) stays until the next
  // ANALYZE, and the dispatcher's record statement slowed from 2 to 6 ms a call in 15 s of load.
  if (!match || match[2]) return undefined;
  const name = `hot_${match[1]}_${createHash('sha1').update(sql).digest('hex').slice(0, 10)}`;
  if (names.size < 1_000) names.set(sql, name);
  return name;
}
const names = new Map<string, string>();
