import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { GroupCommit } from '@herald/db';
import { RateLimitedError } from '@herald/tenancy';
import { ApiMetrics } from './api-metrics';
import type { Principal } from './principal';
import { RateLimitRepository, type BucketVerdict } from './rate-limit.repository';

/** How long a rate-limit check may wait for Redis before the request goes through unchecked. */
export const RATE_LIMIT_REDIS_TIMEOUT_MS = 250;
const WARN_EVERY_MS = 10_000;

/** One request's answer from its batch: allowed, refused (with the wait), or not checked. */
type Check = { allowed: true } | { allowed: false; waitMs: number } | { failed: unknown };
/** A request waiting for its check; past `deadline` it goes through unchecked. */
interface PendingCheck {
  bucket: string;
  deadline: number;
}

/**
 * Per-key API rate limit: `HERALD_API_RATE_LIMIT` requests/s with a burst of twice that, one
 * bucket per API key (app-portal tokens are keys too) and one for the operator token.
 * When Redis is unavailable the request is let through, logged and counted: see
 * docs/decisions/0004-rate-limit.md for why Herald fails open here.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger('RateLimiter');
  private readonly rate: number;
  private readonly burst: number;
  private lastWarnAt = 0;
  /**
   * Checks of concurrent requests go to Redis together: one script call per key for each batch
   * (not one per request), the next batch gathering while one is out.
   */
  private readonly checks = new GroupCommit<PendingCheck, Check>((items) => this.checkMany(items), { maxSize: 1_024, maxInFlight: 1 });

  constructor(
    private readonly buckets: RateLimitRepository,
    private readonly metrics: ApiMetrics,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.rate = config.api.rateLimitPerSecond;
    this.burst = config.api.rateLimitPerSecond * 2;
  }

  /** Takes one token for the principal; throws RateLimitedError (429) when there is none. */
  async consume(principal: Principal): Promise<void> {
    const bucket = principal.kind === 'operator' ? 'operator' : principal.keyId;
    // A disconnected client would queue the command behind its reconnect: don't wait for it.
    const check: Check = this.buckets.isReady()
      ? await this.checks.submit({ bucket, deadline: Date.now() + RATE_LIMIT_REDIS_TIMEOUT_MS })
      : { failed: new Error('Redis connection is not ready') };
    if ('failed' in check) {
      this.failOpen(check.failed);
      return;
    }
    if (!check.allowed) {
      this.metrics.rateLimited.inc({ principal: principal.kind });
      throw new RateLimitedError(Math.max(1, Math.ceil(check.waitMs / 1000)));
    }
  }

  /**
   * Each bucket's requests in the batch, in order: the first ones its tokens cover are allowed.
   * The batch waits for Redis no longer than its earliest request may (each may wait
   * RATE_LIMIT_REDIS_TIMEOUT_MS in all, queueing included); one already past that goes unchecked.
   */
  private async checkMany(items: PendingCheck[]): Promise<Check[]> {
    const now = Date.now();
    const late = { failed: new Error(`Redis did not answer within ${RATE_LIMIT_REDIS_TIMEOUT_MS} ms`) };
    const wanted = new Map<string, number>();
    let deadline = Infinity;
    for (const item of items) {
      if (item.deadline <= now) continue;
      wanted.set(item.bucket, (wanted.get(item.bucket) ?? 0) + 1);
      deadline = Math.min(deadline, item.deadline);
    }
    const verdicts = new Map<string, BucketVerdict | { failed: unknown }>();
    await Promise.all([...wanted].map(async ([bucket, n]) => verdicts.set(bucket, await this.take(bucket, n, deadline - now).catch((failed: unknown) => ({ failed })))));
    const served = new Map<string, number>();
    return items.map((item): Check => {
      const verdict = item.deadline <= now ? late : (verdicts.get(item.bucket) as BucketVerdict | { failed: unknown });
      if ('failed' in verdict) return verdict;
      const nth = served.get(item.bucket) ?? 0;
      served.set(item.bucket, nth + 1);
      return nth < verdict.granted ? { allowed: true } : { allowed: false, waitMs: verdict.waitMs };
    });
  }

  private async take(bucket: string, wanted: number, timeoutMs: number): Promise<BucketVerdict> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${RATE_LIMIT_REDIS_TIMEOUT_MS} ms`)), timeoutMs);
    });
    const pending = this.buckets.take(bucket, this.rate, this.burst, wanted);
    // If the timeout wins, the late failure is already accounted for as a fail-open.
    pending.catch((err: unknown) => this.logger.debug(`late rate-limit failure: ${errorMessage(err)}`));
    try {
      return await Promise.race([pending, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private failOpen(err: unknown): void {
    this.metrics.rateLimitFailOpen.inc();
    const now = Date.now();
    // Every skipped check is counted; the log says so at most every 10 s.
    if (now - this.lastWarnAt >= WARN_EVERY_MS) {
      this.lastWarnAt = now;
      this.logger.warn(`rate limit not checked, letting requests through (${errorMessage(err)})`);
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
