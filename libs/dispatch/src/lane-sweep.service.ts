import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { DeliveryLaneRepository } from '@herald/deliveries';
import { REDIS, tryLeadership, type RedisClient } from '@herald/queue';
import { EndpointHealthService } from './endpoint-health.service';
import { LaneScheduler } from './lane-scheduler';

const PAGE = 1_000;
/** Lanes looked at per sweep at most; beyond, the cursor carries the rest to the next sweep. */
const MAX_PAGES_PER_SWEEP = 20;

/**
 * Deliveries in PostgreSQL are the outbox. Every HERALD_OUTBOX_SWEEP_SECONDS each dispatcher
 * walks the lanes with pending deliveries (one index probe per lane, a cursor kept across
 * sweeps) and wakes those that are due or soon due — so work nobody was told about (a lost
 * wake-up, Redis down, a crashed dispatcher's expired leases, another dispatcher's retries)
 * is found within one period, however deep any backlog. One dispatcher per period (a Redis
 * lock; skipped while Redis is down) also runs the endpoint health check.
 */
@Injectable()
export class LaneSweepService {
  private readonly logger = new Logger('LaneSweep');
  private readonly owner = randomUUID();
  private cursor = '';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly lanes: DeliveryLaneRepository,
    private readonly scheduler: LaneScheduler,
    private readonly health: EndpointHealthService,
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  private get intervalMs(): number {
    return this.config.delivery.outboxSweepSeconds * 1000;
  }

  start(): void {
    const tick = (): void => {
      if (this.running || !this.timer) return;
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    };
    this.timer = setInterval(tick, this.intervalMs);
    // The first sweep right at boot: it is what picks up after a crash.
    setImmediate(tick);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep; returns how many lanes it found due. */
  async sweep(now = Date.now()): Promise<number> {
    // Lanes due within two periods get a timer; later ones are found by a later sweep.
    const horizon = now + 2 * this.intervalMs;
    let due = 0;
    for (let page = 0; page < MAX_PAGES_PER_SWEEP; page++) {
      const found = await this.lanes.discoverLanes(this.cursor, PAGE);
      for (const lane of found) {
        const at = lane.nextDueAt.getTime();
        if (at <= now) {
          due += 1;
          this.scheduler.wake([lane]);
        } else if (at <= horizon) {
          this.scheduler.wakeAt(lane, lane.nextDueAt);
        }
      }
      const last = found[found.length - 1];
      if (found.length < PAGE || !last) {
        this.cursor = '';
        break;
      }
      this.cursor = last.endpointId;
    }
    this.scheduler.forgetIdle();
    return due;
  }

  private async tick(): Promise<void> {
    try {
      await this.sweep();
    } catch (err) {
      this.logger.error({ err, msg: `lane sweep failed (again next period): ${err instanceof Error ? err.message : String(err)}` });
    }
    try {
      const key = `${this.config.redis.queuePrefix}:lock:endpoint-health`;
      if (await tryLeadership(this.redis, key, this.owner, Math.max(500, this.intervalMs - 250))) await this.health.disableLongFailing();
    } catch (err) {
      this.logger.warn(`endpoint health check skipped this period: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
