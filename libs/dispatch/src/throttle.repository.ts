import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { defineRedisScript, REDIS, type RedisClient } from '@herald/queue';

/**
 * Per-endpoint rate limit (throttleRate, messages/s) shared by every dispatcher: GCRA in Redis,
 * one key per endpoint holding the "theoretical arrival time". A dispatcher asks for up to
 * `want` sends at once and gets those that fit now (a tenth of a second's worth may go
 * together), plus how long until the next one fits.
 *
 * KEYS[1] bucket; ARGV[1] interval ms, ARGV[2] want, ARGV[3] burst (sends). Returns {granted, waitMs}.
 */
const GCRA_TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local avail = math.floor((now + burst * interval - tat) / interval)
if avail < 0 then avail = 0 end
local granted = math.min(want, avail)
tat = tat + granted * interval
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
local wait = 0
if granted < want then
  wait = math.ceil(tat + interval - burst * interval - now)
  if wait < 1 then wait = 1 end
end
return {granted, wait}
`;

export interface ThrottleGrant {
  granted: number;
  /** Milliseconds until the next send fits (0 when all that was asked was granted). */
  waitMs: number;
}


/** The same arithmetic in process, while Redis cannot be reached (the limit is then per dispatcher). */
class LocalGcra {
  private readonly tats = new Map<string, number>();

  take(key: string, intervalMs: number, want: number, burst: number): ThrottleGrant {
    const now = Date.now();
    let tat = Math.max(this.tats.get(key) ?? 0, now);
    const granted = Math.min(want, Math.max(0, Math.floor((now + burst * intervalMs - tat) / intervalMs)));
    tat += granted * intervalMs;
    this.tats.set(key, tat);
    if (this.tats.size > 50_000) this.tats.clear();
    return { granted, waitMs: granted < want ? Math.max(1, Math.ceil(tat + intervalMs - burst * intervalMs - now)) : 0 };
  }
}

@Injectable()
export class ThrottleRepository {
  private readonly logger = new Logger('Throttle');
  private readonly prefix: string;
  private readonly gcraTake: (key: string, interval: string, want: number, burst: number) => Promise<[number, number]>;
  private readonly local = new LocalGcra();
  private lastWarning = 0;

  constructor(@Inject(REDIS) redis: RedisClient, @Inject(HERALD_CONFIG) config: HeraldConfig) {
    this.prefix = `${config.redis.queuePrefix}:throttle`;
    this.gcraTake = defineRedisScript(redis, 'gcraTake', { numberOfKeys: 1, lua: GCRA_TAKE });
  }

  /** Up to `want` sends to `endpointId` at `ratePerSecond`, fleet-wide. */
  async take(endpointId: string, ratePerSecond: number, want: number): Promise<ThrottleGrant> {
    const intervalMs = 1000 / ratePerSecond;
    const burst = Math.max(1, Math.floor(ratePerSecond / 10));
    // One key per endpoint; on a cluster the prefix's hash tag (ADR 0012) decides its slot.
    const key = `${this.prefix}:{${endpointId}}`;
    try {
      const [granted, waitMs] = await this.gcraTake(key, intervalMs.toFixed(3), want, burst);
      return { granted: Number(granted), waitMs: Number(waitMs) };
    } catch (err) {
      const now = Date.now();
      if (now - this.lastWarning > 10_000) {
        this.lastWarning = now;
        this.logger.warn(`rate limit falls back to this process while Redis fails: ${err instanceof Error ? err.message : String(err)}`);
      }
      return this.local.take(key, intervalMs, want, burst);
    }
  }
}
