import { HeraldNetworkError } from './errors.js';
import type { ListResponse } from './types.js';

export const MAX_PAGE_LIMIT = 250;

export function checkLimit(limit: number | undefined): void {
  if (limit === undefined) return;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got ${limit}`);
  }
}

/**
 * Walks a paginated list page by page, yielding items. Stops on `done` or a missing iterator,
 * and refuses an iterator it has already followed: a server bug must not become an endless loop.
 */
export async function* paginate<T>(
  fetchPage: (iterator: string | undefined) => Promise<ListResponse<T>>,
  startIterator: string | undefined,
  describePath: string,
): AsyncGenerator<T, void, undefined> {
  let iterator = startIterator;
  const followed = new Set<string>();
  for (;;) {
    const page = await fetchPage(iterator);
    yield* page.data;
    if (page.done || !page.iterator) return;
    if (followed.has(page.iterator)) {
      throw new HeraldNetworkError(`GET ${describePath} returned iterator ${page.iterator} twice; stopping to avoid a loop`, 'GET', describePath, 1);
    }
    followed.add(page.iterator);
    iterator = page.iterator;
  }
}
