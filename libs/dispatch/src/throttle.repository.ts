import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { REDIS } from '@herald/queue';

/**
 * Per-endpoint rate limit shared by every dispatcher process: GCRA in Redis (one key per
 * endpoint holding the "theoretical arrival time"), with reservations. A job over the limit
 * reserves the next free slot and is delayed until then; when it runs again it consumes its
 * reservation instead of competing again, so N throttled jobs cost N Redis calls, not N².
 *
 * KEYS[1] bucket, KEYS[2] this job's reservation; ARGV[1] interval ms.
 * Returns 0 = go now, otherwise ms to wait.
 */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reserved = redis.call('GET', KEYS[2])
if reserved then
  reserved = tonumber(reserved)
  if reserved <= now then
    redis.call('DEL', KEYS[2])
    return 0
  end
  return math.ceil(reserved - now)
end
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.ceil(nextTat - now) + 1000)
if tat <= now then return 0 end
redis.call('SET', KEYS[2], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 600000)
return math.ceil(tat - now)
`;
const GCRA_SHA = createHash('sha1').update(GCRA).digest('hex');

@Injectable()
export class ThrottleRepository {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.prefix = `${config.redis.queuePrefix}:throttle`;
  }

  /** Milliseconds `jobId` must wait before sending to `endpointId` at `ratePerSecond` (0 = now). */
  async acquire(endpointId: string, jobId: string, ratePerSecond: number): Promise<number> {
    // Hash tag: both keys live in one cluster slot.
    const keys = [`${this.prefix}:{${endpointId}}`, `${this.prefix}:{${endpointId}}:r:${jobId}`];
    const interval = (1000 / ratePerSecond).toFixed(3);
    try {
      return Number(await this.redis.evalsha(GCRA_SHA, 2, ...keys, interval));
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return Number(await this.redis.eval(GCRA, 2, ...keys, interval));
    }
  }
}
