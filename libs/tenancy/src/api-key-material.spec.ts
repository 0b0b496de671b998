import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from './api-key-material';

describe('API key material', () => {
  it('stores SHA-256 of the key, so keys issued by any earlier version still authenticate', () => {
    // FIPS 180-2 test vector.
    expect(hashApiKey('abc').toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const { key, hash, prefix } = generateApiKey();
    expect(hash.equals(hashApiKey(key))).toBe(true);
    expect(key.startsWith(prefix)).toBe(true);
  });
});
