import { describe, expect, it } from 'vitest';
import { ksuid, newId } from './ids';

describe('ids', () => {
  it('are prefixed, 27-character base62 and unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('msg')));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^msg_[0-9A-Za-z]{27}$/);
  });

  it('sort by creation time', () => {
    const earlier = ksuid(new Date('2024-01-01T00:00:00Z'));
    const later = ksuid(new Date('2024-01-01T00:00:01Z'));
    expect(earlier < later).toBe(true);
  });
});
