import type { RedisClient } from '@herald/queue';

export type ProcessKind = 'api' | 'dispatcher' | 'retention';

/** A worker is alive when it beat within this window. */
export const HEARTBEAT_STALE_MS = 15_000;
const HEARTBEAT_INTERVAL_MS = 5_000;

const keyFor = (prefix: string, kind: ProcessKind): string => `${prefix}:heartbeat:${kind}`;

/**
 * Liveness for processes that serve no HTTP: each instance scores itself in a sorted set per
 * kind; the API's health reads who beat recently.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  readonly instanceId = `${process.pid}@${Date.now().toString(36)}`;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly kind: ProcessKind,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch(this.onError);
    }, HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.zrem(keyFor(this.prefix, this.kind), this.instanceId);
  }

  private async beat(): Promise<void> {
    const key = keyFor(this.prefix, this.kind);
    const now = Date.now();
    await this.redis
      .multi()
      .zadd(key, now, this.instanceId)
      .zremrangebyscore(key, 0, now - HEARTBEAT_STALE_MS * 4)
      .exec();
  }
}

/** Instances of `kind` that beat within {@link HEARTBEAT_STALE_MS}. */
export async function liveInstances(redis: RedisClient, prefix: string, kind: ProcessKind): Promise<number> {
  return redis.zcount(keyFor(prefix, kind), Date.now() - HEARTBEAT_STALE_MS, '+inf');
}
