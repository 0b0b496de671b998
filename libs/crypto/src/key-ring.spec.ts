import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError, keyIdOf } from './envelope';
import { dataKeyVersionOf, KeyRing, openForTenant, sealForTenant } from './key-ring';

const master = (kid: string) => ({ kid, key: randomBytes(32) });

describe('KeyRing', () => {
  it('wraps with the first key and unwraps with any key of the ring', () => {
    const old = master('k1');
    const ring1 = new KeyRing([old]);
    const { dataKey, wrapped } = ring1.newDataKey('tnt_a');
    expect(keyIdOf(wrapped)).toBe('k1');

    const ring2 = new KeyRing([master('k2'), old]);
    expect(ring2.unwrap(wrapped, 'tnt_a').equals(dataKey)).toBe(true);
    expect(ring2.isCurrent(wrapped)).toBe(false);
    const rewrapped = ring2.wrap(dataKey, 'tnt_a');
    expect(keyIdOf(rewrapped)).toBe('k2');
    expect(ring2.unwrap(rewrapped, 'tnt_a').equals(dataKey)).toBe(true);
  });

  it('refuses a wrapped key of another tenant and an unknown master key', () => {
    const ring = new KeyRing([master('k1')]);
    const { wrapped } = ring.newDataKey('tnt_a');
    expect(() => ring.unwrap(wrapped, 'tnt_b')).toThrow(DecryptionError);
    expect(() => new KeyRing([master('k9')]).unwrap(wrapped, 'tnt_a')).toThrow(/not in the key ring/);
  });

  it('binds a wrapped data key to its version, and names the version in data ciphertexts', () => {
    const ring = new KeyRing([master('k1')]);
    const { dataKey, wrapped } = ring.newDataKey('tnt_a', 3);
    expect(ring.unwrap(wrapped, 'tnt_a', 3).equals(dataKey)).toBe(true);
    // A retired key moved into another version's place does not unwrap.
    expect(() => ring.unwrap(wrapped, 'tnt_a', 2)).toThrow(DecryptionError);
    expect(() => ring.unwrap(wrapped, 'tnt_a')).toThrow(DecryptionError);
    const sealed = sealForTenant(dataKey, 'tnt_a', Buffer.from('x'), 3);
    expect(keyIdOf(sealed)).toBe('dk3');
    expect(dataKeyVersionOf(sealed)).toBe(3);
    expect(dataKeyVersionOf(sealForTenant(dataKey, 'tnt_a', Buffer.from('x')))).toBe(1);
    expect(openForTenant(dataKey, 'tnt_a', sealed).toString()).toBe('x');
    expect(() => dataKeyVersionOf(wrapped)).toThrow(/not a tenant data key id/);
  });
});

describe('tenant data sealing', () => {
  it('round-trips, never contains the plaintext, and detects tampering', () => {
    const key = randomBytes(32);
    const plaintext = Buffer.from('{"card":"4242-marker"}');
    const sealed = sealForTenant(key, 'tnt_a', plaintext);
    expect(sealed.includes(Buffer.from('marker'))).toBe(false);
    expect(openForTenant(key, 'tnt_a', sealed).equals(plaintext)).toBe(true);

    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(() => openForTenant(key, 'tnt_a', tampered)).toThrow(DecryptionError);
    expect(() => openForTenant(key, 'tnt_b', sealed)).toThrow(DecryptionError);
  });
});
