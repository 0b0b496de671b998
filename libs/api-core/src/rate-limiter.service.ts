import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { RateLimitedError } from '@herald/tenancy';
import { ApiMetrics } from './api-metrics';
import type { Principal } from './principal';
import { RateLimitRepository, type BucketVerdict } from './rate-limit.repository';

/** How long a rate-limit check may wait for Redis before the request goes through unchecked. */
export const RATE_LIMIT_REDIS_TIMEOUT_MS = 250;
const WARN_EVERY_MS = 10_000;

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
    let verdict: BucketVerdict;
    try {
      verdict = await this.take(bucket);
    } catch (err) {
      this.failOpen(err);
      return;
    }
    if (!verdict.allowed) {
      this.metrics.rateLimited.inc({ principal: principal.kind });
      throw new RateLimitedError(Math.max(1, Math.ceil(verdict.waitMs / 1000)));
    }
  }

  private async take(bucket: string): Promise<BucketVerdict> {
    // A disconnected client would queue the command behind its reconnect: don't wait for it.
    if (!this.buckets.isReady()) throw new Error('Redis connection is not ready');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${RATE_LIMIT_REDIS_TIMEOUT_MS} ms`)), RATE_LIMIT_REDIS_TIMEOUT_MS);
    });
    const pending = this.buckets.take(bucket, this.rate, this.burst);
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
