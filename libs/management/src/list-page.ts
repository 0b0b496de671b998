import type { ListResponse } from '@herald/core';

export type Ordering = 'ascending' | 'descending';

/**
 * How a repository walks a list: rows beyond `cursor` in the list's order, or — for a
 * `prevIterator` (leading '-') — the rows before it, fetched in reverse and flipped back.
 */
export interface PageQuery {
  limit: number;
  cursor: string | undefined;
  backwards: boolean;
  order: Ordering;
}

export function pageQuery(limit: number, iterator: string | undefined, order: Ordering): PageQuery {
  const backwards = iterator?.startsWith('-') ?? false;
  return { limit, cursor: backwards ? iterator?.slice(1) : iterator, backwards, order };
}

/** The comparison and sort direction for the cursor column of a page. */
export function cursorBounds(page: PageQuery): { op: 'gt' | 'lt'; sort: 'asc' | 'desc' } {
  const ascending = (page.order === 'ascending') !== page.backwards;
  return { op: ascending ? 'gt' : 'lt', sort: ascending ? 'asc' : 'desc' };
}

/**
 * Svix list envelope from rows fetched with one extra row (limit + 1) in walking order.
 * `key` is the cursor column (ids; names for event types).
 */
export function toPage<T, O>(rows: T[], page: PageQuery, key: (row: T) => string, map: (row: T) => O): ListResponse<O> {
  const hasMore = rows.length > page.limit;
  const walked = hasMore ? rows.slice(0, page.limit) : rows;
  const shown = page.backwards ? [...walked].reverse() : walked;
  const first = shown[0];
  const last = shown[shown.length - 1];
  return {
    data: shown.map(map),
    iterator: last !== undefined ? key(last) : (page.cursor ?? null),
    prevIterator: first !== undefined ? `-${key(first)}` : null,
    done: !hasMore,
  };
}
