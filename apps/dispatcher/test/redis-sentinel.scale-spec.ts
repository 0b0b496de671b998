import { afterAll, beforeAll, describe, it } from 'vitest';
import { startPrivateRedisSentinelSet, type PrivateRedisSentinelSet } from '@herald/testing';
import { runRedisFailover } from './redis-failover';

describe('Redis Sentinel: the master SIGKILLed under load', () => {
  let set: PrivateRedisSentinelSet;

  beforeAll(async () => {
    set = await startPrivateRedisSentinelSet();
  }, 60_000);

  afterAll(async () => {
    await set?.stop();
  });

  it('delivers every accepted message, and the processes follow the new master', async () => {
    await runRedisFailover({ name: 'sentinel', env: set.env, password: set.env['HERALD_REDIS_PASSWORD'] ?? '', failover: () => set.failover(), subscriberNodes: (f) => [f.to] });
  }, 300_000);
});
