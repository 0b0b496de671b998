import { isIP } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { RateLimitedError } from '@herald/tenancy';

/** Addresses tracked at most; beyond, the longest-tracked one is forgotten (memory stays bounded). */
export const AUTH_FAILURE_MAX_TRACKED = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Failed authentications per client address (docs/decisions/0013-auth-flood-limit.md): a token
 * bucket of `HERALD_AUTH_FAILURE_LIMIT` failures, refilled over a minute. An address that used it
 * up gets 429 before its token is even looked up, so a flood of random bearer tokens from one
 * address cannot fill the key-lookup queue that every tenant's requests share. In memory, per API
 * process: the check costs no round trip, and a fleet of N processes allows N times the limit.
 * IPv6 clients are counted per /64, the block one host usually holds.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(@Inject(HERALD_CONFIG) config: HeraldConfig) {
    this.capacity = config.api.authFailuresPerMinute;
    this.refillPerMs = config.api.authFailuresPerMinute / 60_000;
  }

  /** Throws RateLimitedError (429 with Retry-After) when `address` has no failure left. */
  assertAllowed(address: string | undefined, now = Date.now()): void {
    const key = addressKey(address);
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    this.refill(key, bucket, now);
    if (bucket.tokens < 1) throw new RateLimitedError(Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)));
  }

  /** Counts one failed authentication from `address`. */
  recordFailure(address: string | undefined, now = Date.now()): void {
    const key = addressKey(address);
    let bucket = this.buckets.get(key);
    if (bucket) {
      this.refill(key, bucket, now);
    } else {
      if (this.buckets.size >= AUTH_FAILURE_MAX_TRACKED) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = { tokens: this.capacity, at: now };
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
  }

  private refill(key: string, bucket: Bucket, now: number): void {
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.refillPerMs);
    bucket.at = now;
    // A full bucket is the same as none.
    if (bucket.tokens >= this.capacity) this.buckets.delete(key);
  }
}

/** The unit an address is counted in: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
