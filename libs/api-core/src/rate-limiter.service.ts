import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { RateLimitedError } from '@herald/tenancy';
import { ApiMetrics } from './api-metrics';
import type { Principal } from './principal';
import { RateLimitRepository, type BucketGrant } from './rate-limit.repository';

/** How long a rate-limit check may wait for Redis before the request goes through unchecked. */
export const RATE_LIMIT_REDIS_TIMEOUT_MS = 250;
/**
 * Tokens a process takes from a key's shared bucket are spent within this long or dropped:
 * a lease holds at most this long's worth of the key's rate, so what one process holds and
 * does not spend is a small, bounded share that the key's other requests cannot use.
 */
export const RATE_LIMIT_LEASE_MS = 100;
const WARN_EVERY_MS = 10_000;

/** Tokens of one key's bucket that this process took from Redis and has not spent yet. */
interface Lease {
  tokens: number;
  /** Unspent tokens are dropped then: never spent late, so the limit stays a limit. */
  expiresAt: number;
  /** Tokens spent since the last ask: with the requests waiting, the size of the next ask. */
  spent: number;
  waiting: number;
  /** The last ask's grant: a lease of more than one token is renewed before it runs out. */
  lastGrant: number;
  /** The ask in flight (one per key at a time); it resolves undefined when Redis failed or was slow. */
  asking: Promise<BucketGrant | undefined> | undefined;
}

/**
 * Per-key API rate limit: `HERALD_API_RATE_LIMIT` requests/s with a burst of twice that, one
 * bucket per API key (app-portal tokens are keys too) and one for the operator token.
 * A key's requests in this process spend tokens leased from its Redis bucket in batches
 * sized to their demand (one token at a time for a quiet key), asked for before the lease
 * runs out: a busy key costs one script call per many requests, not one each.
 * When Redis is unavailable the request is let through, logged and counted: see
 * docs/decisions/0004-rate-limit.md for why Herald fails open here.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger('RateLimiter');
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxLease: number;
  private readonly leases = new Map<string, Lease>();
  private lastWarnAt = 0;

  constructor(
    private readonly buckets: RateLimitRepository,
    private readonly metrics: ApiMetrics,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.rate = config.api.rateLimitPerSecond;
    this.burst = config.api.rateLimitPerSecond * 2;
    this.maxLease = Math.max(1, Math.floor((this.rate * RATE_LIMIT_LEASE_MS) / 1000));
  }

  /** Takes one token for the principal; throws RateLimitedError (429) when there is none. */
  async consume(principal: Principal): Promise<void> {
    const bucket = principal.kind === 'operator' ? 'operator' : principal.keyId;
    const lease = this.lease(bucket);
    for (;;) {
      if (lease.expiresAt <= Date.now()) lease.tokens = 0;
      if (lease.tokens >= 1) {
        lease.tokens -= 1;
        lease.spent += 1;
        // A busy key asks for its next lease while half of this one is left: no request waits.
        if (!lease.asking && lease.lastGrant > 1 && lease.tokens <= lease.lastGrant / 2) void this.ask(bucket, lease);
        return;
      }
      lease.waiting += 1;
      const grant = await (lease.asking ?? this.ask(bucket, lease)).finally(() => (lease.waiting -= 1));
      if (!grant) {
        this.failOpen();
        return;
      }
      if (grant.granted === 0 && lease.tokens < 1) {
        this.metrics.rateLimited.inc({ principal: principal.kind });
        throw new RateLimitedError(Math.max(1, Math.ceil(grant.waitMs / 1000)));
      }
      // Tokens came (or others spent them first: ask again).
    }
  }

  private lease(bucket: string): Lease {
    let lease = this.leases.get(bucket);
    if (!lease) {
      // Keys come and go: forget leases that ran out (a new one starts from one token).
      if (this.leases.size >= 10_000) this.forgetExpired();
      lease = { tokens: 0, expiresAt: 0, spent: 0, waiting: 0, lastGrant: 0, asking: undefined };
      this.leases.set(bucket, lease);
    }
    return lease;
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [bucket, lease] of this.leases) if (lease.expiresAt <= now && !lease.asking && lease.waiting === 0) this.leases.delete(bucket);
  }

  /**
   * Asks the shared bucket for as many tokens as the key's recent demand here (one ask at a
   * time). Sized a microtask later, so requests that came in the same tick count too.
   */
  private ask(bucket: string, lease: Lease): Promise<BucketGrant | undefined> {
    const sized = Promise.resolve().then(() => {
      // Spending before a lull says nothing about the demand now: a quiet key asks for what waits.
      if (lease.expiresAt + RATE_LIMIT_LEASE_MS < Date.now()) lease.spent = 0;
      const wanted = Math.min(this.maxLease, Math.max(1, lease.spent + lease.waiting));
      lease.spent = 0;
      return this.take(bucket, wanted);
    });
    const asking = sized.then(
      (grant) => {
        if (grant.granted > 0) {
          lease.tokens = (lease.expiresAt > Date.now() ? lease.tokens : 0) + grant.granted;
          lease.expiresAt = Date.now() + RATE_LIMIT_LEASE_MS;
        }
        lease.lastGrant = grant.granted;
        return grant;
      },
      (err: unknown) => {
        this.warnFailOpen(err);
        return undefined;
      },
    );
    lease.asking = asking;
    void asking.finally(() => {
      if (lease.asking === asking) lease.asking = undefined;
    });
    return asking;
  }

  private async take(bucket: string, wanted: number): Promise<BucketGrant> {
    // A disconnected client would queue the command behind its reconnect: don't wait for it.
    if (!this.buckets.isReady()) throw new Error('Redis connection is not ready');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${RATE_LIMIT_REDIS_TIMEOUT_MS} ms`)), RATE_LIMIT_REDIS_TIMEOUT_MS);
    });
    // If the timeout wins, the tokens of a late answer are not spent (stricter, never looser).
    const pending = this.buckets.take(bucket, this.rate, this.burst, wanted);
    pending.catch((err: unknown) => this.logger.debug(`late rate-limit failure: ${errorMessage(err)}`));
    try {
      return await Promise.race([pending, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every request let through unchecked is counted. */
  private failOpen(): void {
    this.metrics.rateLimitFailOpen.inc();
  }

  private warnFailOpen(err: unknown): void {
    const now = Date.now();
    // The log says so at most every 10 s.
    if (now - this.lastWarnAt >= WARN_EVERY_MS) {
      this.lastWarnAt = now;
      this.logger.warn(`rate limit not checked, letting requests through (${errorMessage(err)})`);
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
