import { describe, expect, it } from 'vitest';
import { bearerToken } from './access.guard';

describe('bearerToken', () => {
  it('reads the token of a Bearer authorization, whatever the scheme case', () => {
    expect(bearerToken('Bearer sk_abc.def')).toBe('sk_abc.def');
    expect(bearerToken('bearer sk_abc')).toBe('sk_abc');
    expect(bearerToken('BEARER  tok=')).toBe('tok=');
  });

  it('finds none in other schemes, empty or repeated headers', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwdw==', 'sk_abc', 'Bearer a b', ['Bearer a', 'Bearer b']]) {
      expect(bearerToken(header), JSON.stringify(header)).toBeUndefined();
    }
  });
});
