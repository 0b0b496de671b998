import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { EndpointHealthService } from './endpoint-health.service';
import { OutboxRepository } from './outbox.repository';

const PAGE = 500;
const MAX_PAGES_PER_SWEEP = 20;

/**
 * Deliveries are the outbox. Every HERALD_OUTBOX_SWEEP_SECONDS one dispatcher (whoever takes
 * the Redis lock) re-enqueues deliveries that are due but have no job — lost between commit
 * and enqueue, or with Redis — and runs the endpoint health check. A timer plus a lock, not a
 * repeatable BullMQ job, because the sweep must survive the loss of Redis's contents.
 */
@Injectable()
export class OutboxSweepService {
  private readonly logger = new Logger('OutboxSweep');
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly health: EndpointHealthService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  private get intervalMs(): number {
    return this.config.delivery.outboxSweepSeconds * 1000;
  }

  /**
   * How overdue a delivery must be before the sweep looks for its job: long enough for the
   * API's enqueue right after its commit, at most 30 s.
   */
  get graceMs(): number {
    return Math.min(30_000, 2 * this.intervalMs);
  }

  start(): void {
    const tick = (): void => {
      if (this.running) return;
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    };
    // First sweep soon after boot: it is what recovers from a crash.
    this.timer = setInterval(tick, this.intervalMs);
    setTimeout(tick, Math.min(1_000, this.intervalMs)).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sweep; returns how many deliveries it re-enqueued. */
  async sweep(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.graceMs);
    let enqueued = 0;
    let after: { nextAttemptAt: Date; id: string } | undefined;
    for (let page = 0; page < MAX_PAGES_PER_SWEEP; page++) {
      const due = await this.outbox.findDue(before, PAGE, after);
      if (due.length === 0) break;
      const live = await this.outbox.withLiveJob(due.map((d) => d.id));
      const missing = due.filter((d) => !live.has(d.id));
      await this.outbox.enqueue(missing);
      enqueued += missing.length;
      const last = due[due.length - 1];
      if (due.length < PAGE || !last) break;
      after = { nextAttemptAt: last.nextAttemptAt, id: last.id };
    }
    if (enqueued > 0) this.logger.warn(`re-enqueued ${enqueued} due deliveries that had no job`);
    return enqueued;
  }

  private async tick(): Promise<void> {
    if (!this.timer) return;
    try {
      // One sweeper per interval across the fleet; the lock expires on its own.
      if (!(await this.outbox.tryLock('outbox-sweep', this.owner, Math.max(500, this.intervalMs - 250)))) return;
      await this.sweep();
      await this.health.disableLongFailing();
    } catch (err) {
      // A failed sweep is retried at the next tick; say why.
      this.logger.error(`outbox sweep failed: ${err instanceof Error ? err.message : String(err)}`, err instanceof Error ? err.stack : undefined);
    }
  }
}
