import { ValidationError } from './errors';

/** Svix list envelope. */
export interface ListResponse<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export const MAX_LIST_LIMIT = 250;

export interface PageRequest {
  limit: number;
  /** Exclusive id bound; lists walk newest → oldest unless `order` says ascending. */
  iterator?: string;
  order: 'ascending' | 'descending';
}

/**
 * Iterators are the id of the last row of the page. Ids are KSUIDs (time-ordered, opaque to
 * clients). `prevIterator` is that of the first row, prefixed with '-' as Svix does.
 */
export function toListResponse<T extends { id: string }>(rows: T[], page: PageRequest, map?: (row: T) => unknown): ListResponse<unknown> {
  const hasMore = rows.length > page.limit;
  const pageRows = hasMore ? rows.slice(0, page.limit) : rows;
  const first = pageRows[0];
  const last = pageRows[pageRows.length - 1];
  return {
    data: map ? pageRows.map(map) : pageRows,
    iterator: last ? last.id : (page.iterator ?? null),
    prevIterator: first ? `-${first.id}` : null,
    done: !hasMore,
  };
}

export function assertIteratorShape(iterator: string | undefined): void {
  if (iterator !== undefined && !/^-?[A-Za-z0-9_]{1,64}$/.test(iterator)) {
    throw ValidationError.single(['query', 'iterator'], 'invalid iterator');
  }
}
