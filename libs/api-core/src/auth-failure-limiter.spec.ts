import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '@herald/tenancy';
import type { HeraldConfig } from '@herald/config';
import { addressKey, AuthFailureLimiter } from './auth-failure-limiter';

const limiter = (perMinute: number) => new AuthFailureLimiter({ api: { authFailuresPerMinute: perMinute } } as HeraldConfig);

describe('AuthFailureLimiter', () => {
  it('refuses an address once it used up its failures, with a Retry-After, and forgives it over the minute', () => {
    const l = limiter(6);
    const t0 = 1_000_000;
    for (let i = 0; i < 6; i += 1) {
      l.assertAllowed('10.0.0.1', t0);
      l.recordFailure('10.0.0.1', t0);
    }
    let refused: unknown;
    try {
      l.assertAllowed('10.0.0.1', t0);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(RateLimitedError);
    // One failure comes back every 10 s at 6 per minute.
    expect((refused as RateLimitedError).retryAfterSeconds).toBe(10);
    // Others are not affected.
    expect(() => l.assertAllowed('10.0.0.2', t0)).not.toThrow();
    expect(() => l.assertAllowed('10.0.0.1', t0 + 10_000)).not.toThrow();
  });

  it('counts an IPv4-mapped address as its IPv4 address, and IPv6 per /64', () => {
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('2001:db8:0:1::17')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:0DB8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    const l = limiter(1);
    l.recordFailure('2001:db8:0:1::17');
    expect(() => l.assertAllowed('2001:db8:0:1::99')).toThrow(RateLimitedError);
    expect(() => l.assertAllowed('2001:db8:0:2::17')).not.toThrow();
  });
});
