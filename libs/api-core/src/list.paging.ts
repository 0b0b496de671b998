import { Prisma, startId, type IdPrefix } from '@herald/db';
import type { ListCursor, ListOrder, ListResponse } from './list.schemas';

/**
 * Paging, as the Svix server does it, for every list. A list is ordered by one unique sort key
 * (an id — ids sort by creation time — or an event type's name). A page is read as
 * `limit + 1` rows beyond the cursor: the extra row only says whether more follow.
 *
 * - `iterator` continues after the last row of a page, in the list's order; `prevIterator`
 *   ('-' + the first row's key) walks back: those rows are read in the opposite direction
 *   and flipped. Both ways, no row is skipped or repeated.
 * - `done` is true when no row follows in the direction walked.
 * - Lists ordered by creation time (messages, attempts) are newest first; `before`/`after`
 *   bound their ids and combine with an iterator. `after` alone reads forward from that time
 *   (the oldest rows after it, shown newest first), as Svix does.
 */
export interface PagePlan {
  limit: number;
  /** Direction the rows are read in. */
  sort: 'asc' | 'desc';
  /** Exclusive bounds on the sort key. */
  gt?: string;
  lt?: string;
  /** The rows are read against the order shown; flip them back. */
  reversed: boolean;
}

export interface Page<T> {
  /** In the order shown, at most `limit`. */
  rows: T[];
  done: boolean;
}

/** A list with an ascending/descending order (`order` given, else the list's default). */
export function planPage(query: { limit: number; iterator?: ListCursor; order?: ListOrder }, defaultOrder: ListOrder): PagePlan {
  const shown = query.order ?? defaultOrder;
  const cursor = query.iterator;
  const reversed = cursor?.prev ?? false;
  const ascending = (shown === 'ascending') !== reversed;
  const plan: PagePlan = { limit: query.limit, sort: ascending ? 'asc' : 'desc', reversed };
  if (cursor) {
    if (ascending) plan.gt = cursor.key;
    else plan.lt = cursor.key;
  }
  return plan;
}

/** A list of `prefix` ids shown newest first, with `before`/`after` bounds on creation time. */
export function planNewestFirst(query: { limit: number; iterator?: ListCursor; before?: Date; after?: Date }, prefix: IdPrefix): PagePlan {
  const cursor = query.iterator;
  // Svix reads forward from `after` when no iterator and no `before` says where to start.
  const reversed = cursor ? cursor.prev : query.after !== undefined && query.before === undefined;
  const plan: PagePlan = { limit: query.limit, sort: reversed ? 'asc' : 'desc', reversed };
  if (cursor) {
    if (cursor.prev) plan.gt = cursor.key;
    else plan.lt = cursor.key;
  }
  if (query.before) plan.lt = lowest(plan.lt, startId(prefix, query.before));
  if (query.after) plan.gt = highest(plan.gt, startId(prefix, query.after));
  return plan;
}

// Keys are ASCII and compared in byte order, as the database (collation "C") does.
function lowest(a: string | undefined, b: string): string {
  return a === undefined || b < a ? b : a;
}
function highest(a: string | undefined, b: string): string {
  return a === undefined || b > a ? b : a;
}

/** The page in `found` (rows read as the plan says, `limit + 1` at most). */
export function takePage<T>(found: T[], plan: PagePlan): Page<T> {
  const rows = found.slice(0, plan.limit);
  if (plan.reversed) rows.reverse();
  return { rows, done: found.length <= plan.limit };
}

/** The Svix envelope of a page whose rows were mapped to `data` (same order). */
export function listResponse<T, O>(page: Page<T>, key: (row: T) => string, data: O[]): ListResponse<O> {
  const first = page.rows[0];
  const last = page.rows[page.rows.length - 1];
  return {
    data,
    iterator: last === undefined ? null : key(last),
    prevIterator: first === undefined ? null : `-${key(first)}`,
    done: page.done,
  };
}

/** `takePage` and `listResponse` in one, for synchronous mapping. */
export function toListResponse<T, O>(found: T[], plan: PagePlan, key: (row: T) => string, map: (row: T) => O): ListResponse<O> {
  const page = takePage(found, plan);
  return listResponse(page, key, page.rows.map(map));
}

/** The plan's bounds as a Prisma string filter (undefined: no bound). */
export function keyRange(plan: PagePlan): { gt?: string; lt?: string } | undefined {
  if (plan.gt === undefined && plan.lt === undefined) return undefined;
  return { ...(plan.gt !== undefined ? { gt: plan.gt } : {}), ...(plan.lt !== undefined ? { lt: plan.lt } : {}) };
}

/** The plan's bounds on `column` as SQL conditions, for raw queries. */
export function sqlKeyRange(column: Prisma.Sql, plan: PagePlan): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (plan.gt !== undefined) conditions.push(Prisma.sql`${column} > ${plan.gt}`);
  if (plan.lt !== undefined) conditions.push(Prisma.sql`${column} < ${plan.lt}`);
  return conditions;
}

/** ASC or DESC, for `ORDER BY column ${sqlSort(plan)}`. */
export function sqlSort(plan: PagePlan): Prisma.Sql {
  return plan.sort === 'asc' ? Prisma.sql`ASC` : Prisma.sql`DESC`;
}
