import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal } from './envelope';

const ivOf = (sealed: Buffer): string => {
  const kidLength = sealed[1] as number;
  return sealed.subarray(2 + kidLength, 2 + kidLength + 12).toString('hex');
};

describe('envelope', () => {
  it('seals every message under a fresh IV, across refills of the IV pool, and opens them all', () => {
    const key = randomBytes(32);
    const plaintext = Buffer.from('{"same":"payload"}');
    const sealed = Array.from({ length: 2_000 }, () => seal(key, 'k1', plaintext, 'tenant-a'));
    expect(new Set(sealed.map(ivOf)).size).toBe(2_000);
    expect(new Set(sealed.map((s) => s.toString('hex'))).size).toBe(2_000);
    for (const s of sealed) expect(open(key, s, 'tenant-a').equals(plaintext)).toBe(true);
  });

  it('refuses a ciphertext under another tenant (associated data)', () => {
    const key = randomBytes(32);
    expect(() => open(key, seal(key, 'k1', Buffer.from('x'), 'tenant-a'), 'tenant-b')).toThrow('failed authentication');
  });
});
