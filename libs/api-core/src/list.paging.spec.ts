import { newId } from '@herald/db';
import { describe, expect, it } from 'vitest';
import { planNewestFirst, planPage, toListResponse, type PagePlan } from './list.paging';
import type { ListCursor, ListOrder, ListResponse } from './list.schemas';

/** What a repository does with a plan, over an in-memory table of keys. */
function read(keys: string[], plan: PagePlan): string[] {
  const inRange = keys.filter((k) => (plan.gt === undefined || k > plan.gt) && (plan.lt === undefined || k < plan.lt));
  inRange.sort();
  if (plan.sort === 'desc') inRange.reverse();
  return inRange.slice(0, plan.limit + 1);
}

const cursorOf = (iterator: string | null): ListCursor | undefined =>
  iterator === null ? undefined : iterator.startsWith('-') ? { key: iterator.slice(1), prev: true } : { key: iterator, prev: false };

function page(keys: string[], limit: number, order: ListOrder | undefined, iterator: string | null, defaultOrder: ListOrder): ListResponse<string> {
  const plan = planPage({ limit, iterator: cursorOf(iterator), order }, defaultOrder);
  return toListResponse(read(keys, plan), plan, (k) => k, (k) => k);
}

describe('planPage', () => {
  const keys = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];

  for (const order of ['ascending', 'descending'] as const) {
    it(`walks a ${order} list forward with iterator and back with prevIterator, skipping and repeating nothing`, () => {
      const expected = order === 'ascending' ? keys : [...keys].reverse();
      const forward: ListResponse<string>[] = [];
      let iterator: string | null = null;
      for (let i = 0; i < 10; i += 1) {
        const p = page(keys, 3, order, iterator, 'ascending');
        forward.push(p);
        if (p.done) break;
        iterator = p.iterator;
      }
      expect(forward.map((p) => p.data)).toEqual([expected.slice(0, 3), expected.slice(3, 6), expected.slice(6)]);
      expect(forward.map((p) => p.done)).toEqual([false, false, true]);

      // Back from the last page: the pages again, in reverse, each in the list's order.
      const back: string[][] = [];
      let prev = forward[2]!.prevIterator;
      for (let i = 0; i < 10 && prev; i += 1) {
        const p = page(keys, 3, order, prev, 'ascending');
        back.push(p.data);
        if (p.done) break;
        prev = p.prevIterator;
      }
      expect(back).toEqual([expected.slice(3, 6), expected.slice(0, 3)]);
    });
  }

  it('uses the default order when none is given', () => {
    expect(page(keys, 2, undefined, null, 'descending').data).toEqual(['a7', 'a6']);
    expect(page(keys, 2, undefined, null, 'ascending').data).toEqual(['a1', 'a2']);
  });

  it('answers an empty page past the end with null iterators', () => {
    expect(page(keys, 3, 'ascending', 'a7', 'ascending')).toEqual({ data: [], iterator: null, prevIterator: null, done: true });
  });
});

describe('planNewestFirst', () => {
  const at = (ms: number) => new Date(Date.parse('2025-01-01T00:00:00Z') + ms);
  const ids = Array.from({ length: 10 }, (_, i) => newId('msg', at(i * 10)));
  const list = (query: { iterator?: string; before?: Date; after?: Date }, limit = 3) => {
    const plan = planNewestFirst({ limit, iterator: cursorOf(query.iterator ?? null), before: query.before, after: query.after }, 'msg');
    return toListResponse(read(ids, plan), plan, (k) => k, (k) => ids.indexOf(k));
  };

  it('is newest first and walks both ways', () => {
    const first = list({});
    expect(first).toMatchObject({ data: [9, 8, 7], done: false });
    const second = list({ iterator: first.iterator! });
    expect(second).toMatchObject({ data: [6, 5, 4], done: false });
    expect(list({ iterator: second.prevIterator! })).toMatchObject({ data: [9, 8, 7], done: true });
  });

  it('bounds ids with before (exclusive) and after (from that millisecond), combined with iterators', () => {
    expect(list({ before: at(50) }, 10).data).toEqual([4, 3, 2, 1, 0]);
    expect(list({ before: at(50), after: at(20) }, 10).data).toEqual([4, 3, 2]);
    const withBefore = list({ before: at(70) });
    expect(withBefore.data).toEqual([6, 5, 4]);
    expect(list({ before: at(70), iterator: withBefore.iterator! }).data).toEqual([3, 2, 1]);
    // A prevIterator still stops at `before`.
    expect(list({ before: at(70), iterator: `-${ids[2]!}` }, 10).data).toEqual([6, 5, 4, 3]);
  });

  it('reads forward from `after` alone: the oldest rows after it, shown newest first', () => {
    const p = list({ after: at(25) });
    expect(p).toMatchObject({ data: [5, 4, 3], done: false });
    expect(list({ after: at(25), iterator: p.prevIterator! })).toMatchObject({ data: [8, 7, 6], done: false });
  });
});
