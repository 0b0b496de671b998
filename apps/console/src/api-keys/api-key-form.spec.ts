import { describe, expect, it } from 'vitest';
import { apiKeyInputOf } from './api-key-form';

describe('apiKeyInputOf', () => {
  it('sends the scope, expiry as an instant and the CIDR list', () => {
    expect(apiKeyInputOf({ name: ' ci ', scope: 'read', expiresAt: '2027-01-01T00:00', cidrs: '10.0.0.0/8, 2001:db8::/32' })).toEqual({
      name: 'ci',
      scopes: ['read'],
      expiresAt: '2027-01-01T00:00:00.000Z',
      allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
    });
  });

  it('leaves expiry and networks unset when empty', () => {
    expect(apiKeyInputOf({ name: 'x', scope: 'all', expiresAt: '', cidrs: ' ' })).toEqual({ name: 'x', scopes: ['all'], expiresAt: null, allowedCidrs: null });
  });
});
