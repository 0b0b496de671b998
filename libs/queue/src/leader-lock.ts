import type { RedisClient } from './redis';

/**
 * Fleet-wide "one of us does this now" for periodic work (endpoint health checks, …): a Redis
 * key set if absent, expiring on its own so a dead holder hands over after `ttlMs`.
 * Returns true for the process that holds it for this period.
 */
export async function tryLeadership(redis: RedisClient, key: string, owner: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
}
