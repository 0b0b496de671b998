import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedis } from '@herald/queue';
import { testConfig } from '@herald/testing';
import { ApiMetrics } from './api-metrics';
import { RATE_LIMIT_LEASE_MS, RateLimiter } from './rate-limiter.service';
import { RateLimitRepository } from './rate-limit.repository';
import type { Principal } from './principal';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Outcomes of `n` concurrent checks: how many passed and how many were refused with 429. */
async function burst(limiter: RateLimiter, principal: Principal, n: number): Promise<{ passed: number; refused: number }> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => limiter.consume(principal)));
  const refused = results.filter((r) => r.status === 'rejected');
  for (const r of refused) expect((r.reason as { status?: number }).status).toBe(429);
  return { passed: n - refused.length, refused: refused.length };
}

describe('RateLimiter (token leases from the shared Redis bucket)', () => {
  const redis = createRedis(testConfig().redis.connection);
  const prefix = `ratelimit-test-${randomBytes(4).toString('hex')}`;
  const metrics: ApiMetrics[] = [];
  const key = (): Principal => ({ kind: 'api_key', keyId: `key_${randomBytes(6).toString('hex')}`, tenantId: 'tnt_x', scopes: [], expiresAt: null });

  /** One API process's limiter: its own repository and leases, the shared Redis. */
  function apiProcess(ratePerSecond: number): { limiter: RateLimiter; buckets: RateLimitRepository } {
    const config = testConfig({ HERALD_QUEUE_PREFIX: prefix, HERALD_API_RATE_LIMIT: String(ratePerSecond) });
    const buckets = new RateLimitRepository(redis, config);
    const processMetrics = new ApiMetrics(new Registry());
    metrics.push(processMetrics);
    return { limiter: new RateLimiter(buckets, processMetrics, config), buckets };
  }

  beforeAll(async () => {
    // Connected first: a limiter whose Redis is not ready lets everything through.
    await redis.ping();
  });

  afterEach(async () => {
    // Every check of these tests was a real one.
    for (const m of metrics.splice(0)) expect((await m.rateLimitFailOpen.get()).values[0]?.value ?? 0).toBe(0);
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('serves a busy key from leases: far fewer Redis calls than requests, none past the burst', async () => {
    const { limiter, buckets } = apiProcess(1000);
    const take = vi.spyOn(buckets, 'take');
    const principal = key();
    let passed = 0;
    let refused = 0;
    const started = Date.now();
    // 40 rounds of 50 concurrent requests: 2,000 against a burst of 2,000 plus the refill.
    for (let round = 0; round < 40; round += 1) {
      const r = await burst(limiter, principal, 50);
      passed += r.passed;
      refused += r.refused;
    }
    const elapsedS = (Date.now() - started) / 1000;
    expect(passed + refused).toBe(2000);
    expect(passed).toBeLessThanOrEqual(Math.ceil(2000 + 1000 * elapsedS));
    // All of the burst was there to spend: at most one lease's worth (100) can go unspent.
    expect(passed).toBeGreaterThanOrEqual(1900);
    expect(take.mock.calls.length).toBeLessThan(2000 / 10);
  });

  it('refuses past the bucket across processes and says when to retry', async () => {
    // 10/s, burst 20, leases of one token: two processes together pass the burst once.
    const a = apiProcess(10);
    const b = apiProcess(10);
    const principal = key();
    const [ra, rb] = await Promise.all([burst(a.limiter, principal, 30), burst(b.limiter, principal, 30)]);
    expect(ra.passed + rb.passed).toBeGreaterThanOrEqual(20);
    expect(ra.passed + rb.passed).toBeLessThanOrEqual(22);
    const refusal = await a.limiter.consume(principal).then(
      () => undefined,
      (err: unknown) => err as { status: number; retryAfterSeconds?: number },
    );
    expect(refusal?.status).toBe(429);
    expect(refusal?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('drops leased tokens it did not spend in time instead of spending them late', async () => {
    const { limiter, buckets } = apiProcess(1000);
    const principal = key();
    // Demand grows the lease: a second burst leaves tokens over in this process.
    await burst(limiter, principal, 200);
    await burst(limiter, principal, 3);
    const take = vi.spyOn(buckets, 'take');
    await limiter.consume(principal);
    expect(take).not.toHaveBeenCalled();
    await sleep(RATE_LIMIT_LEASE_MS + 50);
    await limiter.consume(principal);
    expect(take).toHaveBeenCalledTimes(1);
  });

  it('asks a key for what waits after a lull, not for what it spent before it', async () => {
    const { limiter, buckets } = apiProcess(1000);
    const principal = key();
    // Spent from a lease after its last ask: what a busy key's next ask would be sized by.
    await burst(limiter, principal, 200);
    await burst(limiter, principal, 10);
    await sleep(3 * RATE_LIMIT_LEASE_MS);
    const take = vi.spyOn(buckets, 'take');
    await limiter.consume(principal);
    expect(take.mock.calls.map((call) => call[3])).toEqual([1]);
  });
});
