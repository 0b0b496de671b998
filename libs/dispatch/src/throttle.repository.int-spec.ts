import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@herald/queue';
import { testConfig } from '@herald/testing';
import { ThrottleRepository } from './throttle.repository';

describe('ThrottleRepository (GCRA in Redis)', () => {
  const config = testConfig({ HERALD_QUEUE_PREFIX: `throttle-test-${randomBytes(4).toString('hex')}` });
  // Two connections stand for two dispatcher processes sharing the limit.
  const redisA = createRedis(config.redis.connection);
  const redisB = createRedis(config.redis.connection);
  const a = new ThrottleRepository(redisA, config);
  const b = new ThrottleRepository(redisB, config);

  afterAll(async () => {
    const keys = await redisA.keys(`${config.redis.queuePrefix}:*`);
    if (keys.length > 0) await redisA.del(...keys);
    await redisA.quit();
    await redisB.quit();
  });

  it('grants sends at the rate across processes and says when the next one fits', async () => {
    // 10/s: one send per 100 ms, no burst beyond one.
    expect(await a.take('ep_x', 10, 5)).toEqual({ granted: 1, waitMs: expect.any(Number) as number });
    const second = await b.take('ep_x', 10, 5);
    expect(second.granted).toBe(0);
    expect(second.waitMs).toBeGreaterThan(50);
    expect(second.waitMs).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, second.waitMs + 5));
    expect((await a.take('ep_x', 10, 5)).granted).toBe(1);
    // Over a second, about ten go, whoever asks.
    let granted = 0;
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      const g = await (granted % 2 === 0 ? a : b).take('ep_x', 10, 3);
      granted += g.granted;
      await new Promise((r) => setTimeout(r, Math.max(5, Math.min(g.waitMs, 50))));
    }
    expect(granted).toBeGreaterThanOrEqual(9);
    expect(granted).toBeLessThanOrEqual(11);
  });

  it('lets a tenth of a second go at once at high rates, and keeps endpoints apart', async () => {
    expect((await a.take('ep_fast', 1000, 500)).granted).toBe(100);
    expect((await a.take('ep_y', 1, 1)).granted).toBe(1);
    expect((await a.take('ep_z', 1, 1)).granted).toBe(1);
    expect((await a.take('ep_y', 1, 1)).waitMs).toBeGreaterThan(900);
  });

  it('keeps limiting in process when Redis cannot be reached', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, enableOfflineQueue: false });
    dead.on('error', () => undefined);
    const offline = new ThrottleRepository(dead, config);
    expect((await offline.take('ep_offline', 2, 5)).granted).toBe(1);
    expect((await offline.take('ep_offline', 2, 5)).granted).toBe(0);
    dead.disconnect();
  });
});
