import type { ListResponse } from '@herald/core';

/** Where/order for a page of rows ordered by id, newest first (ids are time-ordered KSUIDs). */
export interface IdPage {
  limit: number;
  backwards: boolean;
  cursor: string | undefined;
}

export function idPage(limit: number, iterator: string | undefined): IdPage {
  const backwards = iterator?.startsWith('-') ?? false;
  return { limit, backwards, cursor: iterator?.replace(/^-/, '') || undefined };
}

export function idPageWhere(page: IdPage): { id?: { lt: string } | { gt: string } } {
  if (!page.cursor) return {};
  return { id: page.backwards ? { gt: page.cursor } : { lt: page.cursor } };
}

export function idPageOrder(page: IdPage): { id: 'asc' | 'desc' } {
  return { id: page.backwards ? 'asc' : 'desc' };
}

/** Rows fetched with `take: limit + 1` → one page, newest first, and whether more remain. */
export function pageRows<T>(found: T[], page: { limit: number; backwards: boolean }): { rows: T[]; hasMore: boolean } {
  const rows = found.slice(0, page.limit);
  if (page.backwards) rows.reverse();
  return { rows, hasMore: found.length > page.limit };
}

/** The Svix list envelope: `iterator` continues after the last item, `prevIterator` before the first. */
export function envelope<T extends { id: string }, O>(rows: T[], hasMore: boolean, iterator: string | undefined, map: (row: T) => O): ListResponse<O> {
  const first = rows[0];
  const last = rows[rows.length - 1];
  return {
    data: rows.map(map),
    iterator: last ? last.id : (iterator ?? null),
    prevIterator: first ? `-${first.id}` : null,
    done: !hasMore,
  };
}
