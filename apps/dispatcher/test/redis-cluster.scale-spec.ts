import { afterAll, beforeAll, describe, it } from 'vitest';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '@herald/testing';
import { runRedisFailover } from './redis-failover';

describe('Redis Cluster (3 masters, 3 replicas): the master of Herald’s slot SIGKILLed under load', () => {
  let cluster: PrivateRedisCluster;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('delivers every accepted message, and the processes follow the promoted replica', async () => {
    await runRedisFailover({ name: 'cluster', env: cluster.env, password: cluster.env['HERALD_REDIS_PASSWORD'] ?? '', failover: (key) => cluster.failover(key), subscriberNodes: () => cluster.liveNodes() });
  }, 300_000);
});
