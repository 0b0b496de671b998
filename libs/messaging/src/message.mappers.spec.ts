import { describe, expect, it } from 'vitest';
import { pageRows, toPage } from './message.mappers';

const rows = (...ids: string[]) => ids.map((id) => ({ id }));

describe('toPage', () => {
  it('pages forward with one extra row', () => {
    const fetched = rows('c', 'b', 'a');
    expect(pageRows(fetched, 2, undefined)).toEqual(rows('c', 'b'));
    expect(toPage(fetched, 2, undefined, ['C', 'B'])).toEqual({ data: ['C', 'B'], iterator: 'b', prevIterator: '-c', done: false });
    expect(toPage(rows('a'), 2, 'b', ['A'])).toEqual({ data: ['A'], iterator: 'a', prevIterator: '-a', done: true });
  });

  it('pages backwards from a prevIterator, dropping the extra (newest) row', () => {
    const fetched = rows('e', 'd', 'c');
    expect(pageRows(fetched, 2, '-b')).toEqual(rows('d', 'c'));
    expect(toPage(fetched, 2, '-b', ['D', 'C'])).toMatchObject({ iterator: 'c', prevIterator: '-d', done: false });
  });

  it('keeps the iterator on an empty page', () => {
    expect(toPage([], 10, 'x', [])).toEqual({ data: [], iterator: 'x', prevIterator: null, done: true });
    expect(toPage([], 10, undefined, [])).toEqual({ data: [], iterator: null, prevIterator: null, done: true });
  });
});
