import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { DISPATCHER_METRICS_REGISTRY } from './dispatch.metrics';
import { OutboxRepository } from './outbox.repository';

/** A scrape never waits longer than this for Redis or PostgreSQL; a slow source keeps its last value. */
const SCRAPE_TIMEOUT_MS = 1_000;

/**
 * Backlog gauges, computed when Prometheus scrapes: delivery-queue depth by job state
 * (BullMQ `getJobCounts`) and the age of the oldest delivery that is due but not yet sent.
 */
@Injectable()
export class BacklogMetrics {
  private readonly logger = new Logger('BacklogMetrics');

  constructor(@Inject(DISPATCHER_METRICS_REGISTRY) registry: Registry, outbox: OutboxRepository) {
    const warn = (what: string, err: unknown): void => this.logger.warn(`${what} not updated: ${err instanceof Error ? err.message : String(err)}`);
    new Gauge({
      name: 'herald_delivery_queue_jobs',
      help: 'Jobs in the delivery queue by state (wait, active, delayed, prioritized, failed), read at scrape time.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        try {
          const counts = await withTimeout(outbox.queueCounts(), SCRAPE_TIMEOUT_MS);
          for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
        } catch (err) {
          warn('herald_delivery_queue_jobs', err);
        }
      },
    });
    new Gauge({
      name: 'herald_delivery_oldest_due_age_seconds',
      help: 'Age of the oldest delivery that is due (pending or sending, next try in the past), 0 when none; read at scrape time.',
      registers: [registry],
      async collect() {
        try {
          const now = new Date();
          const at = await withTimeout(outbox.oldestDueAt(now), SCRAPE_TIMEOUT_MS);
          this.set(at ? Math.max(0, (now.getTime() - at.getTime()) / 1000) : 0);
        } catch (err) {
          warn('herald_delivery_oldest_due_age_seconds', err);
        }
      },
    });
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
