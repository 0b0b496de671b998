import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { GroupCommit } from '@herald/db';
import { DELIVERY_QUEUE, deliveryJob, type DeliveryJobData } from '@herald/queue';

type BulkJob = ReturnType<typeof deliveryJob>;

/** Jobs of concurrent requests go to Redis in one `addBulk` (one round trip, one MULTI). */
const ADD_BATCH = { maxSize: 128, maxInFlight: 2 };

/**
 * How long a request waits for Redis to take its jobs. The BullMQ connection retries forever
 * (it must, for workers), so without a bound a Redis outage would hang every ingest request.
 */
const ENQUEUE_TIMEOUT_MS = 2_000;

/**
 * Hands committed deliveries to the dispatcher. Enqueueing happens after the database commit
 * and never fails the request: a delivery whose job did not make it is still due in
 * PostgreSQL, and the dispatcher's outbox sweep enqueues it again.
 */
@Injectable()
export class DeliveryQueueRepository {
  private readonly logger = new Logger('DeliveryQueue');
  private readonly adds = new GroupCommit<BulkJob[], void>(async (lists) => {
    await this.queue.addBulk(lists.flat());
    return lists.map(() => undefined);
  }, ADD_BATCH);

  constructor(@InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobData>) {}

  /** Enqueues one job per delivery; returns false (and logs) when Redis did not take them. */
  async enqueue(tenantId: string, deliveryIds: string[], options: { manual?: boolean; delayMs?: number } = {}): Promise<boolean> {
    if (deliveryIds.length === 0) return true;
    const jobs = deliveryIds.map((id) => deliveryJob(id, tenantId, options));
    const adding = this.adds.submit(jobs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ENQUEUE_TIMEOUT_MS);
    });
    try {
      const outcome = await Promise.race([adding.then(() => 'added' as const), timeout]);
      if (outcome === 'timeout') {
        // The add may still land later (jobId dedupes); if it fails, say so then.
        adding.catch((err: unknown) => this.logFailure(tenantId, deliveryIds, err));
        this.logFailure(tenantId, deliveryIds, new Error(`enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`));
        return false;
      }
      return true;
    } catch (err) {
      this.logFailure(tenantId, deliveryIds, err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private logFailure(tenantId: string, deliveryIds: string[], err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.logger.error(
      `Could not enqueue ${deliveryIds.length} delivery job(s) of tenant ${tenantId} (first ${deliveryIds[0]}): ${reason}; the outbox sweep will enqueue them`,
      err instanceof Error ? err.stack : undefined,
    );
  }
}
