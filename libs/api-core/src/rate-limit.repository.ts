import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { defineRedisScript, REDIS, type RedisClient } from '@herald/queue';

/**
 * Token bucket in one Redis hash per API key, refilled continuously at `rate` tokens/s up to
 * `burst`. One script call per key per batch of concurrent requests: read, refill, take, write —
 * atomic, and shared by every API process. The clock is Redis's own (TIME), so API hosts with
 * skewed clocks agree. Taking n tokens at once grants what n calls in a row would have.
 *
 * KEYS[1] bucket; ARGV[1] rate (tokens/s), ARGV[2] burst (capacity), ARGV[3] tokens wanted.
 * Returns {tokens granted, ms until one more token is available (0 when all were granted)}.
 */
const TOKEN_BUCKET = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
end
local wanted = tonumber(ARGV[3])
local granted = math.min(wanted, math.floor(tokens))
tokens = tokens - granted
local wait = 0
if granted < wanted then
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', now)
-- A full bucket is the same as no bucket: let idle keys expire.
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {granted, wait}
`;

export interface BucketVerdict {
  /** Requests allowed: the first `granted` of those asked for. */
  granted: number;
  /** Milliseconds until the next request would be allowed (0 when all were granted). */
  waitMs: number;
}

@Injectable()
export class RateLimitRepository {
  private readonly prefix: string;
  private readonly tokenBucket: (key: string, rate: number, burst: number, wanted: number) => Promise<[number, number]>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.prefix = `${config.redis.queuePrefix}:ratelimit`;
    this.tokenBucket = defineRedisScript(redis, 'tokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET });
  }

  /** Whether the connection can take a command now (no queueing behind a reconnect). */
  isReady(): boolean {
    return this.redis.status === 'ready';
  }

  /** Takes up to `wanted` tokens from the bucket, as `wanted` requests in a row would. */
  async take(bucket: string, ratePerSecond: number, burst: number, wanted = 1): Promise<BucketVerdict> {
    const key = `${this.prefix}:${bucket}`;
    const [granted, wait] = await this.tokenBucket(key, ratePerSecond, burst, wanted);
    return { granted: Number(granted), waitMs: Number(wait) };
  }
}
