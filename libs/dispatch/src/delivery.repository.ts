import { Injectable } from '@nestjs/common';
import type { TenantScope } from '@herald/core';
import { PrismaService } from '@herald/db';
import { MicroBatcher } from './micro-batcher';

export type DeliveryStatus = 'pending' | 'sending' | 'success' | 'failed' | 'skipped';

/** A delivery with what the dispatcher needs of its message. */
export interface DeliveryRow {
  id: string;
  tenantId: string;
  appId: string;
  messageId: string;
  endpointId: string;
  status: DeliveryStatus;
  attemptCount: number;
  payloadEnc: Uint8Array | null;
  eventId: string | null;
  messageCreatedAt: Date;
}

export interface AttemptInsert {
  id: string;
  tenantId: string;
  appId: string;
  messageId: string;
  endpointId: string;
  deliveryId: string;
  url: string;
  /** Svix MessageStatus: 0 success, 2 fail. */
  status: number;
  responseStatus: number;
  responseEnc: Buffer;
  durationMs: number;
  /** 0 scheduled, 1 manual. */
  triggerType: number;
  error: string | null;
  createdAt: Date;
}

export interface DeliveryChange {
  id: string;
  tenantId: string;
  status: DeliveryStatus;
  attemptIncrement: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
}

/** An attempt's effect on its endpoint's failure streak: `failedAt` null = it succeeded. */
export interface EndpointStreakChange {
  endpointId: string;
  tenantId: string;
  failedAt: Date | null;
}

export interface DispatchWrite {
  attempt?: AttemptInsert;
  delivery: DeliveryChange;
  endpoint?: EndpointStreakChange;
}

const LOAD_BATCH = { maxSize: 500, maxDelayMs: 1 };
const WRITE_BATCH = { maxSize: 500, maxDelayMs: 4 };

/**
 * The dispatcher's hot path in PostgreSQL. Loads and writes of concurrent jobs are batched
 * (one statement per few milliseconds instead of one per job); a caller's promise resolves
 * only once its batch committed, so no job completes before its attempt is durable.
 */
@Injectable()
export class DeliveryRepository {
  private readonly loader = new MicroBatcher<{ tenantId: string; id: string }, DeliveryRow | null>((keys) => this.loadMany(keys), LOAD_BATCH);
  private readonly writer = new MicroBatcher<DispatchWrite, void>((writes) => this.writeMany(writes), WRITE_BATCH);

  constructor(private readonly prisma: PrismaService) {}

  load(scope: TenantScope, deliveryId: string): Promise<DeliveryRow | null> {
    return this.loader.submit({ tenantId: scope.tenantId, id: deliveryId });
  }

  /** Resolves once the write is committed. */
  write(scope: TenantScope, write: DispatchWrite): Promise<void> {
    if (write.delivery.tenantId !== scope.tenantId) throw new Error('delivery write for another tenant');
    return this.writer.submit(write);
  }

  /** Waits for every pending write (shutdown). */
  async drain(): Promise<void> {
    await this.loader.drain();
    await this.writer.drain();
  }

  private async loadMany(keys: { tenantId: string; id: string }[]): Promise<(DeliveryRow | null)[]> {
    const rows = await this.prisma.$queryRaw<DeliveryRow[]>`
      SELECT d.id, d.tenant_id AS "tenantId", d.app_id AS "appId", d.message_id AS "messageId", d.endpoint_id AS "endpointId",
             d.status, d.attempt_count AS "attemptCount", m.payload_enc AS "payloadEnc", m.event_id AS "eventId",
             m.created_at AS "messageCreatedAt"
      FROM unnest(${keys.map((k) => k.id)}::text[], ${keys.map((k) => k.tenantId)}::text[]) AS k(id, tenant_id)
      JOIN deliveries d ON d.id = k.id AND d.tenant_id = k.tenant_id
      JOIN messages m ON m.id = d.message_id AND m.tenant_id = d.tenant_id`;
    const byKey = new Map(rows.map((r) => [`${r.tenantId}/${r.id}`, r]));
    return keys.map((k) => byKey.get(`${k.tenantId}/${k.id}`) ?? null);
  }

  private async writeMany(writes: DispatchWrite[]): Promise<void[]> {
    const attempts = writes.flatMap((w) => (w.attempt ? [w.attempt] : []));
    // One change per delivery and per endpoint per statement: later writes win, increments add up.
    const deliveries = new Map<string, DeliveryChange>();
    for (const { delivery } of writes) {
      const prior = deliveries.get(delivery.id);
      deliveries.set(delivery.id, prior ? { ...delivery, attemptIncrement: prior.attemptIncrement + delivery.attemptIncrement, lastAttemptAt: delivery.lastAttemptAt ?? prior.lastAttemptAt } : delivery);
    }
    const streaks = new Map<string, EndpointStreakChange>();
    for (const w of writes) if (w.endpoint) streaks.set(w.endpoint.endpointId, w.endpoint);
    // Sorted ids: concurrent batches take row locks in the same order (no deadlocks).
    const d = [...deliveries.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const byEndpoint = [...streaks.values()].sort((a, b) => (a.endpointId < b.endpointId ? -1 : 1));
    const recovered = byEndpoint.filter((s) => s.failedAt === null);
    const failing = byEndpoint.filter((s) => s.failedAt !== null);
    const iso = (t: Date | null): string | null => (t ? t.toISOString() : null);

    // One statement, one round trip, atomic. A delivery already marked 'success' stays so: a
    // late duplicate's failure must not reopen it.
    await this.prisma.$executeRaw`
      WITH new_attempts AS (
        INSERT INTO attempts (id, tenant_id, app_id, message_id, endpoint_id, delivery_id, url, status, response_status,
                              response_enc, duration_ms, trigger_type, error, created_at)
        SELECT a.id, a.tenant_id, a.app_id, a.message_id, a.endpoint_id, a.delivery_id, a.url, a.status, a.response_status,
               decode(a.response_b64, 'base64'), a.duration_ms, a.trigger_type, a.error, a.created_at
        FROM unnest(${attempts.map((a) => a.id)}::text[], ${attempts.map((a) => a.tenantId)}::text[], ${attempts.map((a) => a.appId)}::text[],
                    ${attempts.map((a) => a.messageId)}::text[], ${attempts.map((a) => a.endpointId)}::text[], ${attempts.map((a) => a.deliveryId)}::text[],
                    ${attempts.map((a) => a.url)}::text[], ${attempts.map((a) => a.status)}::int[], ${attempts.map((a) => a.responseStatus)}::int[],
                    ${attempts.map((a) => a.responseEnc.toString('base64'))}::text[], ${attempts.map((a) => a.durationMs)}::int[],
                    ${attempts.map((a) => a.triggerType)}::int[], ${attempts.map((a) => a.error)}::text[], ${attempts.map((a) => a.createdAt.toISOString())}::timestamptz[])
          AS a(id, tenant_id, app_id, message_id, endpoint_id, delivery_id, url, status, response_status, response_b64, duration_ms, trigger_type, error, created_at)
        RETURNING 1
      ), changed_deliveries AS (
        UPDATE deliveries AS d SET
          status = CASE WHEN d.status = 'success' THEN d.status ELSE u.status END,
          attempt_count = d.attempt_count + u.inc,
          next_attempt_at = CASE WHEN d.status = 'success' THEN d.next_attempt_at ELSE u.next_at END,
          last_attempt_at = GREATEST(d.last_attempt_at, u.last_at),
          updated_at = now()
        FROM unnest(${d.map((c) => c.id)}::text[], ${d.map((c) => c.tenantId)}::text[], ${d.map((c) => c.status)}::text[],
                    ${d.map((c) => c.attemptIncrement)}::int[], ${d.map((c) => iso(c.nextAttemptAt))}::timestamptz[], ${d.map((c) => iso(c.lastAttemptAt))}::timestamptz[])
          AS u(id, tenant_id, status, inc, next_at, last_at)
        WHERE d.id = u.id AND d.tenant_id = u.tenant_id
        RETURNING 1
      ), recovered AS (
        UPDATE endpoints AS e SET failing_since = NULL
        FROM unnest(${recovered.map((s) => s.endpointId)}::text[], ${recovered.map((s) => s.tenantId)}::text[]) AS s(id, tenant_id)
        WHERE e.id = s.id AND e.tenant_id = s.tenant_id AND e.failing_since IS NOT NULL
        RETURNING 1
      ), failing AS (
        UPDATE endpoints AS e SET failing_since = s.failed_at
        FROM unnest(${failing.map((s) => s.endpointId)}::text[], ${failing.map((s) => s.tenantId)}::text[], ${failing.map((s) => iso(s.failedAt))}::timestamptz[]) AS s(id, tenant_id, failed_at)
        WHERE e.id = s.id AND e.tenant_id = s.tenant_id AND e.failing_since IS NULL
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM new_attempts) + (SELECT count(*) FROM changed_deliveries) + (SELECT count(*) FROM recovered) + (SELECT count(*) FROM failing)`;
    return writes.map(() => undefined);
  }
}
