import { createHash } from 'node:crypto';

/** `/* hot:<name> *\/` at the start of a raw statement: run it as a named prepared statement. */
const HOT_MARKER = /^\s*\/\*\s*hot:([a-z0-9_-]+)\s*\*\//;

/**
 * A statement of the hot path (ingest, authentication, the dispatcher's claims and records):
 * run on the pg pool itself (`PrismaService.hot`), not through Prisma's raw-query layer, whose
 * argument mapping and row conversion cost more than the statement's own round trip at these
 * rates. `R` is the row as pg returns it (int4 → number, timestamptz → Date, bytea → Buffer,
 * json → parsed; int8 would be a string, so cast counts to int).
 */
export interface HotStatement<R> {
  /** The prepared statement's name: planned once per connection. */
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
  /** Type only: the row shape. */
  readonly row?: R;
}

const compiled = new WeakMap<TemplateStringsArray, { name: string; text: string }>();

/**
 * Tagged template for hot statements: `hotSql<Row>`/* hot:claim *\/ SELECT … ${value} …``.
 * Each interpolation becomes a parameter ($1, $2, …); the text and its name are computed once
 * per call site. The `/* hot:name *\/` marker is required: it names the prepared statement.
 */
export function hotSql<R>(strings: TemplateStringsArray, ...values: unknown[]): HotStatement<R> {
  let fixed = compiled.get(strings);
  if (!fixed) {
    const text = strings.reduce((sql, part, i) => (i === 0 ? part : `${sql}$${i}${part}`), '');
    const name = hotStatementName(text);
    if (!name) throw new Error('a hot statement starts with a /* hot:name */ marker');
    fixed = { name, text };
    compiled.set(strings, fixed);
  }
  return { name: fixed.name, text: fixed.text, values };
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
  if (!match) return undefined;
  const name = `hot_${match[1]}_${createHash('sha1').update(sql).digest('hex').slice(0, 10)}`;
  if (names.size < 1_000) names.set(sql, name);
  return name;
}
const names = new Map<string, string>();
