import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { PrismaService } from '@herald/db';
import { DELIVERY_QUEUE, deliveryJob, REDIS, type DeliveryJobPayload } from '@herald/queue';

export interface DueDelivery {
  id: string;
  tenantId: string;
  nextAttemptAt: Date;
}

/**
 * The outbox side of deliveries: which are due, which have a live job, and re-adding the
 * missing ones. This is the one cross-tenant read of the dispatcher — the sweep works for the
 * whole installation, and hands each delivery on with its own tenant id.
 */
@Injectable()
export class OutboxRepository {
  constructor(
    private readonly prisma: PrismaService,
    @Inject(REDIS) private readonly redis: Redis,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobPayload>,
  ) {}

  /** Due deliveries (pending/sending, next try before `before`), oldest first, keyset-paged. Uses deliveries_due_idx. */
  async findDue(before: Date, limit: number, after?: { nextAttemptAt: Date; id: string }): Promise<DueDelivery[]> {
    const cursor = after ?? { nextAttemptAt: new Date(0), id: '' };
    return this.prisma.$queryRaw<DueDelivery[]>`
      SELECT id, tenant_id AS "tenantId", next_attempt_at AS "nextAttemptAt"
      FROM deliveries
      WHERE status IN ('pending', 'sending') AND next_attempt_at < ${before}
        AND (next_attempt_at, id) > (${cursor.nextAttemptAt}, ${cursor.id})
      ORDER BY next_attempt_at, id
      LIMIT ${limit}`;
  }

  /** Jobs in the delivery queue by state (for the queue-depth gauge). */
  async queueCounts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
  }

  /** The earliest next_attempt_at of a due delivery, or null when none is due. Uses deliveries_due_idx. */
  async oldestDueAt(now: Date): Promise<Date | null> {
    const rows = await this.prisma.$queryRaw<{ at: Date | null }[]>`
      SELECT min(next_attempt_at) AS at FROM deliveries
      WHERE status IN ('pending', 'sending') AND next_attempt_at <= ${now}`;
    return rows[0]?.at ?? null;
  }

  /** The ids among `ids` that have a job in the queue (waiting, delayed, active or prioritised). */
  async withLiveJob(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.exists(this.queue.toKey(id));
    const results = (await pipeline.exec()) ?? [];
    const live = new Set<string>();
    ids.forEach((id, i) => {
      const [err, exists] = results[i] ?? [new Error('missing pipeline result'), 0];
      if (err) throw err;
      if (exists === 1) live.add(id);
    });
    return live;
  }

  /** Adds jobs for deliveries (jobId = delivery id: a job that appeared meanwhile is not doubled). */
  async enqueue(deliveries: { id: string; tenantId: string }[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.queue.addBulk(deliveries.map((d) => deliveryJob(d.id, d.tenantId)));
  }

  /** Takes the fleet-wide sweep lock for `ttlMs`; false when another process holds it. */
  async tryLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = `${this.queue.opts.prefix ?? 'bull'}:lock:${name}`;
    return (await this.redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK';
  }
}
