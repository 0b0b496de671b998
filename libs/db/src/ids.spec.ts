import { describe, expect, it } from 'vitest';
import { idPattern, ksuid, newId, startId } from './ids';

describe('ids', () => {
  it('are prefixed, 27-character base62 and unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId('msg')));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(idPattern('msg'));
  });

  it('sort by creation time to the millisecond', () => {
    const base = Date.parse('2024-01-01T00:00:00.000Z');
    // Every millisecond of two seconds, generated out of order.
    const times = Array.from({ length: 2000 }, (_, i) => base + i).reverse();
    const ids = times.map((ms) => ({ ms, id: ksuid(new Date(ms)) }));
    const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : 1)).map((x) => x.ms);
    expect(byId).toEqual([...times].sort((a, b) => a - b));
  });

  it('keep creation order within one millisecond', () => {
    const at = new Date('2024-06-01T12:00:00.123Z');
    const ids = Array.from({ length: 500 }, () => newId('app', at));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(500);
  });

  it('sort after the second-resolution ids Herald made before (same first 4 bytes)', () => {
    // An id of the earlier format: 4 bytes of seconds + 16 random bytes, all 0xff.
    const seconds = Math.floor(Date.parse('2024-01-01T00:00:00Z') / 1000) - 1_400_000_000;
    const old = BigInt(`0x${seconds.toString(16).padStart(8, '0')}${'ff'.repeat(16)}`);
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    let n = old;
    let oldId = '';
    while (n > 0n) {
      oldId = alphabet[Number(n % 62n)] + oldId;
      n /= 62n;
    }
    oldId = `app_${oldId.padStart(27, '0')}`;
    expect(oldId < newId('app', new Date('2024-01-01T00:00:01.000Z'))).toBe(true);
    expect(oldId > newId('app', new Date('2023-12-31T23:59:59.999Z'))).toBe(true);
  });

  it('startId bounds the ids of a millisecond', () => {
    const at = new Date('2025-03-04T05:06:07.890Z');
    const before = newId('msg', new Date(at.getTime() - 1));
    const same = newId('msg', at);
    const after = newId('msg', new Date(at.getTime() + 1));
    expect(startId('msg', at)).toMatch(idPattern('msg'));
    expect(before < startId('msg', at)).toBe(true);
    expect(same > startId('msg', at)).toBe(true);
    expect(same < startId('msg', new Date(at.getTime() + 1))).toBe(true);
    expect(after > startId('msg', new Date(at.getTime() + 1))).toBe(true);
  });

  it('clamps startId outside the representable range', () => {
    expect(startId('msg', new Date('2000-01-01T00:00:00Z'))).toBe(`msg_${'0'.repeat(27)}`);
    expect(startId('msg', new Date('9999-12-31T23:59:59.999Z')) > newId('msg')).toBe(true);
  });
});
