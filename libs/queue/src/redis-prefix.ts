import type { RedisClient } from './redis';

/** Deletes every key under `${prefix}:` (a test's or a bench run's own queue prefix) and returns how many. */
export function deleteRedisPrefix(redis: RedisClient, prefix: string): Promise<number> {
  return deleteRedisKeys(redis, `${prefix}:*`);
}

/** Deletes every key that matches the SCAN `pattern` and returns how many. */
export async function deleteRedisKeys(redis: RedisClient, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
