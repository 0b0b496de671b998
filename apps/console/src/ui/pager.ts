import { useCallback, useState } from 'react';

/**
 * Paging with the API's iterators: each page remembers the iterator that produced it, so
 * "Previous" returns to exactly the page seen before (whatever was created meanwhile).
 */
export interface PagerState {
  /** Iterators of the pages before the current one, oldest first; the current one last. */
  stack: (string | undefined)[];
}

export const firstPage = (): PagerState => ({ stack: [undefined] });

export function currentIterator(state: PagerState): string | undefined {
  return state.stack[state.stack.length - 1];
}

export function nextPage(state: PagerState, iterator: string | null | undefined): PagerState {
  if (!iterator) return state;
  return { stack: [...state.stack, iterator] };
}

export function previousPage(state: PagerState): PagerState {
  return state.stack.length > 1 ? { stack: state.stack.slice(0, -1) } : state;
}

export function pageNumber(state: PagerState): number {
  return state.stack.length;
}

export interface Pager {
  iterator: string | undefined;
  page: number;
  next(iterator: string | null | undefined): void;
  previous(): void;
  reset(): void;
}

export function usePager(): Pager {
  const [state, setState] = useState<PagerState>(firstPage);
  return {
    iterator: currentIterator(state),
    page: pageNumber(state),
    next: useCallback((it: string | null | undefined) => setState((s) => nextPage(s, it)), []),
    previous: useCallback(() => setState(previousPage), []),
    reset: useCallback(() => setState(firstPage()), []),
  };
}
