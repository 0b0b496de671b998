import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '@herald/testing';
import { ThrottleRepository } from './throttle.repository';

describe('ThrottleRepository (GCRA in Redis)', () => {
  const config = testConfig({ HERALD_QUEUE_PREFIX: `throttle-test-${randomBytes(4).toString('hex')}` });
  // Two connections stand for two dispatcher processes sharing the limit.
  const redisA = new Redis(config.redis.url);
  const redisB = new Redis(config.redis.url);
  const a = new ThrottleRepository(redisA, config);
  const b = new ThrottleRepository(redisB, config);

  afterAll(async () => {
    const keys = await redisA.keys(`${config.redis.queuePrefix}:*`);
    if (keys.length > 0) await redisA.del(...keys);
    await redisA.quit();
    await redisB.quit();
  });

  it('spaces sends at the rate across processes, reserving one slot per job', async () => {
    const waits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).acquire('ep_x', `job-${i}`, 10)));
    const sorted = [...waits].sort((x, y) => x - y);
    expect(sorted[0]).toBe(0);
    // 10/s → one slot every 100 ms: waits 0, ~100, ~200 … ~900.
    sorted.forEach((w, i) => expect(Math.abs(w - i * 100)).toBeLessThanOrEqual(50));
    // Coming back early still waits; at its slot the job goes without taking another one.
    const slot = waits[3]!;
    expect(await a.acquire('ep_x', 'job-3', 10)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, slot + 10));
    expect(await b.acquire('ep_x', 'job-3', 10)).toBe(0);
  });

  it('keeps endpoints apart', async () => {
    expect(await a.acquire('ep_y', 'job-1', 1)).toBe(0);
    expect(await a.acquire('ep_z', 'job-1', 1)).toBe(0);
    expect(await a.acquire('ep_y', 'job-2', 1)).toBeGreaterThan(900);
  });
});
