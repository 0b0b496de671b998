import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { defineRedisScript, REDIS, type RedisClient } from '@herald/queue';

/**
 * Token bucket in one Redis hash per API key, refilled continuously at `rate` tokens/s up to
 * `burst`. One script call per lease of tokens (see RateLimiter): read, refill, take, write —
 * atomic, and shared by every API process. The clock is Redis's own (TIME), so API hosts with
 * skewed clocks agree.
 *
 * KEYS[1] bucket; ARGV[1] rate (tokens/s), ARGV[2] burst (capacity), ARGV[3] tokens wanted.
 * Returns {tokens granted (0..wanted, as many whole tokens as the bucket holds), ms until one
 * token is available (when none was granted)}.
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
local granted = math.min(tonumber(ARGV[3]), math.floor(tokens))
local wait = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', now)
-- A full bucket is the same as no bucket: let idle keys expire.
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {granted, wait}
`;

export interface BucketGrant {
  /** Tokens taken from the bucket (0 when it is empty). */
  granted: number;
  /** Milliseconds until one token is back (0 when some were granted). */
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

  /** Takes up to `wanted` tokens from the key's shared bucket. */
  async take(bucket: string, ratePerSecond: number, burst: number, wanted: number): Promise<BucketGrant> {
    const key = `${this.prefix}:${bucket}`;
    const [granted, wait] = await this.tokenBucket(key, ratePerSecond, burst, wanted);
    return { granted: Number(granted), waitMs: Number(wait) };
  }
}
