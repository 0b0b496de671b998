import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedis } from '@herald/queue';
import { deleteRedisPrefix, testConfig } from '@herald/testing';
import { RateLimitedError } from '@herald/tenancy';
import { ApiMetrics } from './api-metrics';
import type { Principal } from './principal';
import { RateLimiter } from './rate-limiter.service';
import { RateLimitRepository } from './rate-limit.repository';

/**
 * Concurrent requests' checks go to Redis together: one script call per key per batch, granting
 * what the same requests one after the other would have been granted.
 */
describe('RateLimiter (token buckets in Redis, checked in batches)', () => {
  // 2 requests/s, burst 4.
  const config = testConfig({ HERALD_QUEUE_PREFIX: `ratelimit-test-${randomBytes(4).toString('hex')}`, HERALD_API_RATE_LIMIT: '2' });
  const redis = createRedis(config.redis.connection);
  const buckets = new RateLimitRepository(redis, config);
  const metrics = new ApiMetrics(new Registry());
  const limiter = new RateLimiter(buckets, metrics, config);
  const key = (keyId: string): Principal => ({ kind: 'api_key', keyId, tenantId: 'tnt_test', scopes: ['all'], expiresAt: null });

  beforeAll(async () => {
    // Checked only on a ready connection (a check never queues behind a connect).
    await redis.ping();
    expect(buckets.isReady()).toBe(true);
  });
  afterAll(async () => {
    await deleteRedisPrefix(redis, config.redis.queuePrefix);
    await redis.quit();
  });

  /** How many of the calls were allowed, refused with 429, or failed otherwise. */
  const outcomes = async (calls: Promise<void>[]) => {
    const settled = await Promise.allSettled(calls);
    return {
      allowed: settled.filter((s) => s.status === 'fulfilled').length,
      limited: settled.filter((s) => s.status === 'rejected' && s.reason instanceof RateLimitedError).length,
      other: settled.filter((s) => s.status === 'rejected' && !(s.reason instanceof RateLimitedError)).length,
    };
  };

  it('allows a burst of concurrent requests up to the bucket and refuses the rest, in one script call per key', async () => {
    const take = vi.spyOn(buckets, 'take');
    // Submitted in one tick: one batch. Key a: 10 requests against a burst of 4; key b: 3.
    const a = outcomes(Array.from({ length: 10 }, () => limiter.consume(key('key_a'))));
    const b = outcomes(Array.from({ length: 3 }, () => limiter.consume(key('key_b'))));
    expect(await a).toEqual({ allowed: 4, limited: 6, other: 0 });
    expect(await b).toEqual({ allowed: 3, limited: 0, other: 0 });
    expect(take.mock.calls.map(([bucket, , , wanted]) => [bucket, wanted]).sort()).toEqual([
      ['key_a', 10],
      ['key_b', 3],
    ]);
    take.mockRestore();
    const refused = (await metrics.rateLimited.get()).values.find((v) => v.labels['principal'] === 'api_key')?.value;
    expect(refused).toBe(6);
  });

  it('says how long until the next token, and grants again once it is back', async () => {
    const calls = await Promise.allSettled(Array.from({ length: 6 }, () => limiter.consume(key('key_c'))));
    const refusal = calls.find((c) => c.status === 'rejected');
    expect(refusal?.status).toBe('rejected');
    const error = (refusal as PromiseRejectedResult).reason as RateLimitedError;
    expect(error).toBeInstanceOf(RateLimitedError);
    // At 2/s one token takes 500 ms: Retry-After rounds up to 1 s.
    expect(error.retryAfterSeconds).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 550));
    expect(await outcomes([limiter.consume(key('key_c'))])).toEqual({ allowed: 1, limited: 0, other: 0 });
  });
});
