import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection. BullMQ workers need `maxRetriesPerRequest: null` (blocking commands
 * must wait through reconnects instead of failing); plain command connections keep the
 * default so a dead Redis surfaces as an error to the caller.
 *
 * ioredis reconnects by itself; its 'error' events are reported through `onError` (by default
 * one stderr line per error) so they are visible without crashing the process.
 */
export function createRedis(
  url: string,
  options: { forBullmq?: boolean; name?: string; onError?: (err: Error) => void } = {},
): Redis {
  // Command connections pipeline automatically: commands issued in the same tick (say, the
  // rate-limit checks of concurrent requests) go out in one write. BullMQ's connections, which
  // run blocking commands, keep one command per write.
  const extra: RedisOptions = options.forBullmq ? { maxRetriesPerRequest: null, enableReadyCheck: false } : { enableAutoPipelining: true };
  const redis = new Redis(url, { connectionName: options.name, lazyConnect: false, ...extra });
  const onError = options.onError ?? ((err: Error) => process.stderr.write(`redis (${options.name ?? 'connection'}): ${err.message}\n`));
  redis.on('error', onError);
  return redis;
}
