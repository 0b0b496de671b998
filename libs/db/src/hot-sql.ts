import { createHash } from 'node:crypto';

/**
 * `/* hot:<name> *\/` at the start of a raw statement: run it as a named prepared statement.
 * `/* hot:<name> plan=each *\/`: on the pool too, but unnamed, so PostgreSQL plans it on every call.
 * `/* hot:<name> plan=fixed *\/`: named, on connections that keep one generic plan built from key
 * lookups only (`FIXED_PLAN_SETTINGS`); inside a transaction it is planned on every call.
 */
const HOT_MARKER = /^\s*\/\*\s*hot:([a-z0-9_-]+)(?: plan=(each|fixed))?\s*\*\//;

/** How PostgreSQL plans a hot statement; see HOT_MARKER. */
export type HotPlan = 'cached' | 'each' | 'fixed';

/**
 * The session settings of the connections that run `plan=fixed` statements. PostgreSQL keeps
 * one generic plan per connection (no planning per call, which cost the claim 0.4–0.7 ms), and
 * that plan cannot be one that only suits the tables' size when it was made: without sequential
 * scans, bitmap scans, hash or merge joins, a plan made on an empty database is the same
 * index-lookup plan as on a large one. A statement marked so must give the planner no choice
 * between indexes either (`fixed-plans.int-spec.ts` checks each one's plan on an empty
 * database). JIT is off: the disabled paths' penalty costs would otherwise trigger it.
 */
export const FIXED_PLAN_SETTINGS: Readonly<Record<string, string>> = {
  plan_cache_mode: 'force_generic_plan',
  enable_seqscan: 'off',
  enable_bitmapscan: 'off',
  enable_hashjoin: 'off',
  enable_mergejoin: 'off',
  jit: 'off',
};

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
  /** The prepared statement's name on the pool (undefined: planned every call). */
  readonly name: string | undefined;
  readonly plan: HotPlan;
  readonly text: string;
  readonly values: unknown[];
  /** Type only: the row shape. */
  readonly row?: R;
}

/**
 * A constant piece of SQL text (no parameters) that several hot statements share, spliced into
 * their text where it is interpolated: one written query for one concern (say, what ingest reads
 * about an app) whether it runs alone or inside a larger statement. Make it once, at module level.
 */
export class HotSqlFragment {
  constructor(readonly text: string) {}
}
export const hotSqlFragment = (text: string): HotSqlFragment => new HotSqlFragment(text);

interface CompiledSite {
  label: string;
  name: string | undefined;
  plan: HotPlan;
  text: string;
  /** The interpolations that are fragments (by position), checked to stay the same objects. */
  fragments: (HotSqlFragment | undefined)[];
}
const compiled = new WeakMap<TemplateStringsArray, CompiledSite>();

/**
 * Tagged template for hot statements: `hotSql<Row>`/* hot:claim *\/ SELECT … ${value} …``.
 * Each interpolation becomes a parameter ($1, $2, …), except a {@link HotSqlFragment}, whose
 * text is spliced in; the text and its name are computed once per call site. The
 * `/* hot:name *\/` marker is required: it names the prepared statement.
 */
export function hotSql<R>(strings: TemplateStringsArray, ...values: unknown[]): HotStatement<R> {
  let site = compiled.get(strings);
  if (!site) {
    site = compileSite(strings, values);
    compiled.set(strings, site);
  }
  if (site.fragments.length === 0) return { label: site.label, name: site.name, plan: site.plan, text: site.text, values };
  const params: unknown[] = [];
  values.forEach((value, i) => {
    const fragment = site.fragments[i];
    if (fragment === undefined) params.push(value);
    // The text was compiled once for this call site: a fragment must not change between calls.
    else if (value !== fragment) throw new Error(`hot statement ${site.label}: interpolation ${i + 1} must always be the same SQL fragment`);
  });
  return { label: site.label, name: site.name, plan: site.plan, text: site.text, values: params };
}

function compileSite(strings: TemplateStringsArray, values: unknown[]): CompiledSite {
  const fragments = values.map((v) => (v instanceof HotSqlFragment ? v : undefined));
  let param = 0;
  const text = strings.reduce((sql, part, i) => {
    if (i === 0) return part;
    const fragment = fragments[i - 1];
    if (fragment) return `${sql}${fragment.text}${part}`;
    param += 1;
    return `${sql}$${param}${part}`;
  }, '');
  const match = HOT_MARKER.exec(text);
  if (!match) throw new Error('a hot statement starts with a /* hot:name */ marker');
  const plan = (match[2] ?? 'cached') as HotPlan;
  return {
    label: match[1] as string,
    name: plan === 'each' ? undefined : statementName(match[1] as string, text),
    plan,
    text,
    fragments: fragments.some((f) => f !== undefined) ? fragments : [],
  };
}

/**
 * The name Prisma's adapter gives a statement it runs (a hot statement inside a transaction):
 * the hot path's `cached` statements (marked with a leading `/* hot:name *\/` comment) get a
 * prepared statement, planned once per connection instead of on every call; everything else is
 * unnamed. Only a few fixed texts get one, so each connection keeps a handful of them.
 */
export function hotStatementName(sql: string): string | undefined {
  const known = names.get(sql);
  if (known !== undefined) return known;
  const match = HOT_MARKER.exec(sql);
  // A statement whose best plan moves as its tables grow is planned afresh every call: a
  // generic plan made while a table was small (a fresh database) stays until the next
  // ANALYZE, and the dispatcher's record statement slowed from 2 to 6 ms a call in 15 s of load.
  // A `fixed` one keeps its plan only on the connections made for it (PrismaService.hot).
  if (!match || match[2]) return undefined;
  const name = statementName(match[1] as string, sql);
  if (names.size < 1_000) names.set(sql, name);
  return name;
}
const names = new Map<string, string>();

function statementName(label: string, text: string): string {
  return `hot_${label}_${createHash('sha1').update(text).digest('hex').slice(0, 10)}`;
}
