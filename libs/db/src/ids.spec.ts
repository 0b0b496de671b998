import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { base62Words, idPattern, ksuid, newId, startId } from './ids';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The plain BigInt arithmetic the word version replaced: the reference it must equal. */
function referenceBase62(value: bigint): string {
  let n = value;
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(27, '0');
}
function decode(id: string): bigint {
  let v = 0n;
  for (const c of id.slice(id.indexOf('_') + 1)) v = v * 62n + BigInt(ALPHABET.indexOf(c));
  return v;
}
const wordsOf = (v: bigint): number[] => [128n, 96n, 64n, 32n, 0n].map((shift) => Number((v >> shift) & 0xffff_ffffn));

describe('ids', () => {
  it('spell a 160-bit number exactly as BigInt division does', () => {
    const values = [0n, 1n, 61n, 62n, (1n << 160n) - 1n, 1n << 128n, (1n << 118n) - 1n];
    for (let i = 0; i < 2_000; i += 1) values.push(BigInt(`0x${randomBytes(20).toString('hex')}`));
    for (const v of values) expect(base62Words(wordsOf(v)), v.toString(16)).toBe(referenceBase62(v));
  });

  it('hold the seconds since the KSUID epoch, then the milliseconds, then 118 random bits', () => {
    for (const iso of ['2024-01-01T00:00:00.000Z', '2025-03-04T05:06:07.890Z', '2026-12-05T23:59:59.999Z']) {
      const ms = Date.parse(iso);
      const v = decode(newId('msg', new Date(ms)));
      expect(v >> 128n).toBe(BigInt(Math.floor(ms / 1000) - 1_400_000_000));
      expect((v >> 118n) & 0x3ffn).toBe(BigInt(ms % 1000));
    }
    // The random part is random: two ids of one millisecond differ below the time bits.
    const at = new Date('2024-06-01T12:00:00.123Z');
    expect(decode(newId('msg', at)) & ((1n << 118n) - 1n)).not.toBe(decode(newId('msg', at)) & ((1n << 118n) - 1n));
  });

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
