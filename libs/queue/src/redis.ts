import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection. BullMQ workers need `maxRetriesPerRequest: null` (blocking commands
 * must wait through reconnects instead of failing); plain command connections keep the
 * default so a dead Redis surfaces as an error.
 */
export function createRedis(url: string, options: { forBullmq?: boolean; name?: string } = {}): Redis {
  const extra: RedisOptions = options.forBullmq ? { maxRetriesPerRequest: null, enableReadyCheck: false } : {};
  return new Redis(url, { connectionName: options.name, lazyConnect: false, ...extra });
}
