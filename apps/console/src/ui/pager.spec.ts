import { describe, expect, it } from 'vitest';
import { currentIterator, firstPage, nextPage, pageNumber, previousPage } from './pager';

describe('pager', () => {
  it('walks forward with the API iterators and back to exactly the pages seen', () => {
    let s = firstPage();
    expect([currentIterator(s), pageNumber(s)]).toEqual([undefined, 1]);
    s = nextPage(s, 'msg_2');
    s = nextPage(s, 'msg_3');
    expect([currentIterator(s), pageNumber(s)]).toEqual(['msg_3', 3]);
    s = previousPage(s);
    expect([currentIterator(s), pageNumber(s)]).toEqual(['msg_2', 2]);
    s = previousPage(previousPage(s));
    expect([currentIterator(s), pageNumber(s)]).toEqual([undefined, 1]);
  });

  it('does not move past the last page (no iterator)', () => {
    expect(nextPage(firstPage(), null)).toEqual(firstPage());
    expect(nextPage(firstPage(), '')).toEqual(firstPage());
  });
});
