import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { createRedis, REDIS, type RedisClient } from '@herald/queue';

/** An endpoint lane of a tenant: where due deliveries wait. */
export interface LaneRef {
  tenantId: string;
  endpointId: string;
}

/** Redis channel the dispatchers listen on; one per queue prefix (tests and benches run side by side). */
export function wakeChannel(config: HeraldConfig): string {
  return `${config.redis.queuePrefix}:deliveries:wake`;
}

const LOG_EVERY_MS = 10_000;

/**
 * Tells the dispatchers that endpoint lanes have new due deliveries (ingest, resend, recover,
 * operational events), so they claim them at once instead of at their next lane sweep.
 *
 * A wake-up is only a hint: the deliveries are already committed in PostgreSQL, which is the
 * outbox. If Redis is down or a message is lost, the dispatchers' periodic lane discovery
 * finds the work within HERALD_OUTBOX_SWEEP_SECONDS. So publishing never fails or delays the
 * caller: lanes named in the same tick go out in one PUBLISH, not awaited.
 */
@Injectable()
export class DeliveryWakeups {
  private readonly logger = new Logger('DeliveryWakeups');
  private readonly channel: string;
  private pending = new Map<string, LaneRef>();
  private scheduled = false;
  private lastErrorLog = 0;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.channel = wakeChannel(config);
  }

  notify(lanes: Iterable<LaneRef>): void {
    for (const lane of lanes) this.pending.set(`${lane.tenantId} ${lane.endpointId}`, lane);
    if (this.scheduled || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const lanes = [...this.pending.keys()];
    this.pending = new Map();
    if (lanes.length === 0) return;
    this.redis.publish(this.channel, lanes.join('\n')).catch((err: unknown) => {
      const now = Date.now();
      if (now - this.lastErrorLog < LOG_EVERY_MS) return;
      this.lastErrorLog = now;
      this.logger.warn(`wake-up not published (the lane sweep will find the work): ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

/**
 * The dispatcher's side: a dedicated connection subscribed to the wake channel. ioredis
 * reconnects and re-subscribes by itself; what is missed meanwhile, the lane sweep finds.
 */
@Injectable()
export class DeliveryWakeupListener implements OnModuleDestroy {
  private readonly logger = new Logger('DeliveryWakeups');
  private connection: RedisClient | undefined;

  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {}

  async listen(onWake: (lanes: LaneRef[]) => void): Promise<void> {
    const channel = wakeChannel(this.config);
    const redis = createRedis(this.config.redis.connection, {
      role: 'subscriber',
      name: 'herald-wake',
      onError: (err) => this.logger.warn(`wake-up subscription: ${err.message}`),
    });
    this.connection = redis;
    redis.on('message', (from: string, message: string) => {
      if (from !== channel) return;
      const lanes: LaneRef[] = [];
      for (const line of message.split('\n')) {
        const [tenantId, endpointId] = line.split(' ');
        if (tenantId && endpointId) lanes.push({ tenantId, endpointId });
      }
      onWake(lanes);
    });
    await redis.subscribe(channel);
  }

  async onModuleDestroy(): Promise<void> {
    const redis = this.connection;
    this.connection = undefined;
    if (redis) await redis.quit().catch(() => redis.disconnect());
  }
}
