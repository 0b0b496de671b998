import { Injectable } from '@nestjs/common';
import type { OperatorTx, TenantScope, TenantTx } from '@herald/tenancy';
import { newId, Prisma, PrismaService, startId } from '@herald/db';
import type {
  BackgroundTaskData,
  BackgroundTaskRow,
  BackgroundTaskStatus,
  BackgroundTaskType,
  BulkReplayParams,
  PurgeContentParams,
  RecoverParams,
  ReplayMissingParams,
  StepResult,
} from './background-task.types';

const TASK_COLUMNS = Prisma.sql`
  id, tenant_id AS "tenantId", task, status, params, cursor, data, failures, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Bounds on task ids and the direction of a list page (list.paging's PagePlan, without depending on the API layer). */
export interface TaskPageBounds {
  limit: number;
  sort: 'asc' | 'desc';
  gt?: string;
  lt?: string;
}

export interface StepInput<P> {
  scope: TenantScope;
  params: P;
  cursor: string;
  size: number;
  now: Date;
}

/**
 * Background tasks (one home for the table) and the batch each kind of task runs per step.
 * A step's batch and the task's new cursor commit in one transaction (see the runner).
 */
@Injectable()
export class BackgroundTaskRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create<T extends BackgroundTaskType>({ db: tx, scope }: TenantTx, task: { id: string; task: T; params: object; now: Date }): Promise<BackgroundTaskRow> {
    const rows = await tx.$queryRaw<BackgroundTaskRow[]>`
      INSERT INTO background_tasks (id, tenant_id, task, status, params, created_at, updated_at)
      VALUES (${task.id}, ${scope.tenantId}, ${task.task}, 'running', ${JSON.stringify(task.params)}::jsonb, ${task.now}, ${task.now})
      RETURNING ${TASK_COLUMNS}`;
    const row = rows[0];
    if (!row) throw new Error(`background task ${task.id} was not inserted`);
    return row;
  }

  async find(scope: TenantScope, id: string): Promise<BackgroundTaskRow | null> {
    const rows = await this.prisma.$queryRaw<BackgroundTaskRow[]>`
      SELECT ${TASK_COLUMNS} FROM background_tasks WHERE tenant_id = ${scope.tenantId} AND id = ${id}`;
    return rows[0] ?? null;
  }

  /** A page of the tenant's tasks by id, `limit + 1` rows. */
  async list(scope: TenantScope, filter: { status?: BackgroundTaskStatus; task?: BackgroundTaskType; page: TaskPageBounds }): Promise<BackgroundTaskRow[]> {
    const { page } = filter;
    const conditions = [Prisma.sql`tenant_id = ${scope.tenantId}`];
    if (filter.status) conditions.push(Prisma.sql`status = ${filter.status}`);
    if (filter.task) conditions.push(Prisma.sql`task = ${filter.task}`);
    if (page.gt !== undefined) conditions.push(Prisma.sql`id > ${page.gt}`);
    if (page.lt !== undefined) conditions.push(Prisma.sql`id < ${page.lt}`);
    return this.prisma.$queryRaw<BackgroundTaskRow[]>`
      SELECT ${TASK_COLUMNS} FROM background_tasks
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY id ${page.sort === 'asc' ? Prisma.sql`ASC` : Prisma.sql`DESC`}
      LIMIT ${page.limit + 1}`;
  }

  /**
   * Takes the oldest running task nobody holds (never taken, or its holder's lease ran out),
   * for `owner` — or that one task, given its id. SKIP LOCKED: workers claiming at once take different tasks.
   */
  async claim(owner: string, leaseSeconds: number, onlyId?: string): Promise<BackgroundTaskRow | null> {
    const only = onlyId === undefined ? Prisma.sql`TRUE` : Prisma.sql`id = ${onlyId}`;
    const rows = await this.prisma.$queryRaw<BackgroundTaskRow[]>`
      UPDATE background_tasks SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseSeconds})
      WHERE id = (
        SELECT id FROM background_tasks
        WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now()) AND ${only}
        ORDER BY id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      )
      RETURNING ${TASK_COLUMNS}`;
    return rows[0] ?? null;
  }

  /**
   * Locks the task for one step, if `owner` still holds it and it is still running; null
   * otherwise (its lease ran out and another worker took it over). The lock keeps any other
   * worker from claiming it until the step commits.
   */
  async lockForStep(tx: OperatorTx, id: string, owner: string): Promise<BackgroundTaskRow | null> {
    const rows = await tx.$queryRaw<BackgroundTaskRow[]>`
      SELECT ${TASK_COLUMNS} FROM background_tasks
      WHERE id = ${id} AND lease_owner = ${owner} AND status = 'running'
      FOR UPDATE`;
    return rows[0] ?? null;
  }

  /** Records a committed step: the cursor, the progress, a renewed lease — or the end (lease released). */
  async advance({ db: tx, scope }: TenantTx, id: string, update: { cursor: string; data: BackgroundTaskData; status: BackgroundTaskStatus; leaseSeconds: number }): Promise<void> {
    const running = update.status === 'running';
    await tx.$executeRaw`
      UPDATE background_tasks
      SET cursor = ${update.cursor}, data = ${JSON.stringify(update.data)}::jsonb, status = ${update.status},
          lease_owner = CASE WHEN ${running} THEN lease_owner END,
          lease_until = CASE WHEN ${running} THEN now() + make_interval(secs => ${update.leaseSeconds}) END,
          updated_at = now()
      WHERE id = ${id} AND tenant_id = ${scope.tenantId}`;
  }

  /** Hands a task back (a worker stopping between steps): any worker may take it at once. */
  async release(id: string, owner: string): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE background_tasks SET lease_owner = NULL, lease_until = NULL, updated_at = now()
      WHERE id = ${id} AND lease_owner = ${owner} AND status = 'running'`;
  }

  /**
   * A step failed: counts it and lets the task be taken again after `retryAfterSeconds`, or,
   * past `maxFailures`, ends it as failed with the reason in its data — then returns the task.
   */
  async recordFailure(id: string, owner: string, failure: { error: string; maxFailures: number; retryAfterSeconds: number }): Promise<{ id: string; tenantId: string; task: string; data: Record<string, unknown> } | null> {
    const rows = await this.prisma.$queryRaw<{ id: string; tenant_id: string; task: string; data: Record<string, unknown>; status: string }[]>`
      UPDATE background_tasks
      SET failures = failures + 1,
          status = CASE WHEN failures + 1 >= ${failure.maxFailures} THEN 'failed' ELSE status END,
          data = CASE WHEN failures + 1 >= ${failure.maxFailures} THEN data || jsonb_build_object('error', ${failure.error}::text) ELSE data END,
          lease_owner = NULL,
          lease_until = now() + make_interval(secs => ${failure.retryAfterSeconds}),
          updated_at = now()
      WHERE id = ${id} AND lease_owner = ${owner} AND status = 'running'
      RETURNING id, tenant_id, task, data, status`;
    const row = rows[0];
    return row && row.status === 'failed' ? { id: row.id, tenantId: row.tenant_id, task: row.task, data: row.data } : null;
  }

  /**
   * recover: the endpoint's failed deliveries created in [since, until], after the cursor (by
   * delivery id), back to pending, due now, as manual attempts. Deliveries whose payload is
   * gone are passed over: they could not be sent.
   */
  async recoverStep({ db: tx }: TenantTx, step: StepInput<RecoverParams>): Promise<StepResult> {
    const { scope, params, now } = step;
    const at = deliveryCursor(step.cursor, params.since);
    const rows = await tx.$queryRaw<StepRow[]>`
      WITH scanned AS (
        SELECT d.id, d.created_at, m.payload_enc IS NOT NULL AS "hasPayload"
        FROM deliveries d
        JOIN messages m ON m.id = d.message_id
        WHERE d.tenant_id = ${scope.tenantId} AND d.endpoint_id = ${params.endpointId} AND d.app_id = ${params.appId}
          AND (d.created_at, d.id) > (${at.createdAt}, ${at.id}) AND d.created_at <= ${new Date(params.until)}
          AND d.status = 'failed'
        ORDER BY d.created_at, d.id
        LIMIT ${step.size}
      ), changed AS (
        UPDATE deliveries SET status = 'pending', next_attempt_at = ${now}, trigger_type = 1, updated_at = ${now}
        FROM scanned
        WHERE deliveries.id = scanned.id AND deliveries.tenant_id = ${scope.tenantId} AND scanned."hasPayload" AND deliveries.status = 'failed'
        RETURNING deliveries.id
      )
      SELECT last.created_at AS "lastAt", last.id AS "lastId", (SELECT count(*) FROM changed) AS changed
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (SELECT created_at, id FROM scanned ORDER BY created_at DESC, id DESC LIMIT 1) last ON TRUE`;
    return this.result(scope, params.endpointId, rows[0], step, 'messagesSent');
  }

  /**
   * replay-missing: the app's messages created in [since, until], after the cursor (by
   * message id), that the endpoint's filters match (Svix's routing: event types, channels)
   * and that were never attempted to it — no delivery row, or one skipped while the
   * endpoint was disabled — get a pending delivery, due now, as manual attempts. Nothing
   * happens once the endpoint is disabled or deleted.
   */
  async replayMissingStep({ db: tx }: TenantTx, step: StepInput<ReplayMissingParams>): Promise<StepResult> {
    const { scope, params, now } = step;
    const scanned = await tx.$queryRaw<{ id: string; missing: boolean }[]>`
      WITH ep AS (
        SELECT id, filter_types, channels FROM endpoints
        WHERE tenant_id = ${scope.tenantId} AND app_id = ${params.appId} AND id = ${params.endpointId} AND NOT disabled
      )
      SELECT m.id,
             (m.payload_enc IS NOT NULL
               AND EXISTS (SELECT 1 FROM ep WHERE (cardinality(ep.filter_types) = 0 OR m.event_type = ANY(ep.filter_types))
                                              AND (cardinality(ep.channels) = 0 OR m.channels && ep.channels))
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.endpoint_id = ${params.endpointId} AND d.status <> 'skipped')
             ) AS missing
      FROM messages m
      WHERE m.tenant_id = ${scope.tenantId} AND m.app_id = ${params.appId}
        AND m.id > ${step.cursor || startId('msg', new Date(params.since))} AND m.id < ${startId('msg', new Date(Date.parse(params.until) + 1))}
        AND m.created_at >= ${new Date(params.since)} AND m.created_at <= ${new Date(params.until)}
      ORDER BY m.id
      LIMIT ${step.size}`;
    const messageIds = scanned.filter((r) => r.missing).map((r) => r.id);
    let changed = 0n;
    if (messageIds.length > 0) {
      const deliveryIds = messageIds.map(() => newId('dlv', now));
      const rows = await tx.$queryRaw<{ changed: bigint }[]>`
        WITH written AS (
          INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, next_attempt_at, trigger_type, created_at, updated_at)
          SELECT dlv, ${scope.tenantId}, ${params.appId}, msg, ${params.endpointId}, 'pending', ${now}, 1, ${now}, ${now}
          FROM unnest(${deliveryIds}::text[], ${messageIds}::text[]) AS t(dlv, msg)
          ON CONFLICT (message_id, endpoint_id) DO UPDATE
            SET status = 'pending', next_attempt_at = EXCLUDED.next_attempt_at, trigger_type = 1, updated_at = EXCLUDED.updated_at
            WHERE deliveries.tenant_id = EXCLUDED.tenant_id AND deliveries.status = 'skipped' AND deliveries.attempt_count = 0
          RETURNING 1
        )
        SELECT count(*) AS changed FROM written`;
      changed = rows[0]?.changed ?? 0n;
    }
    const last = scanned[scanned.length - 1]?.id;
    const sent = Number(changed);
    return {
      cursor: last ?? step.cursor,
      counts: { messagesSent: sent },
      done: last === undefined,
      wake: sent > 0 ? [{ tenantId: scope.tenantId, endpointId: params.endpointId }] : [],
    };
  }

  /**
   * bulk-replay: the endpoint's deliveries of messages created in [since, until], after the
   * cursor (by delivery id), matching the filters, sent again: back to pending, due now, as
   * manual attempts. Deliveries already pending (due, or being sent) and messages whose
   * payload is gone are passed over.
   */
  async bulkReplayStep({ db: tx }: TenantTx, step: StepInput<BulkReplayParams>): Promise<StepResult> {
    const { scope, params, now } = step;
    const filters: Prisma.Sql[] = [Prisma.sql`TRUE`];
    if (params.statuses) filters.push(Prisma.sql`s.status = ANY(${params.statuses}::text[])`);
    if (params.channel !== undefined) filters.push(Prisma.sql`${params.channel} = ANY(s.channels)`);
    if (params.tag !== undefined) filters.push(Prisma.sql`${params.tag} = ANY(s.tags)`);
    if (params.eventTypes?.length) filters.push(Prisma.sql`s.event_type = ANY(${params.eventTypes}::text[])`);
    if (params.statusCodeClass !== undefined) {
      // The class of the delivery's last attempt's HTTP status; 0: no attempt or no response.
      filters.push(Prisma.sql`
        COALESCE((SELECT (a.response_status / 100) * 100 FROM attempts a
                  WHERE a.tenant_id = ${scope.tenantId} AND a.endpoint_id = ${params.endpointId} AND a.delivery_id = s.id
                  ORDER BY a.id DESC LIMIT 1), 0) = ${params.statusCodeClass}`);
    }
    const at = deliveryCursor(step.cursor, params.since);
    // A delivery is never older than its message, so the endpoint's deliveries created since
    // `since` hold every one to look at; the message's own time decides.
    const rows = await tx.$queryRaw<StepRow[]>`
      WITH scanned AS (
        SELECT d.id, d.created_at, d.status, m.event_type, m.channels, m.tags, m.payload_enc IS NOT NULL AS "hasPayload",
               m.created_at >= ${new Date(params.since)} AND m.created_at <= ${new Date(params.until)} AS "inRange"
        FROM deliveries d
        JOIN messages m ON m.id = d.message_id
        WHERE d.tenant_id = ${scope.tenantId} AND d.endpoint_id = ${params.endpointId} AND d.app_id = ${params.appId}
          AND (d.created_at, d.id) > (${at.createdAt}, ${at.id})
        ORDER BY d.created_at, d.id
        LIMIT ${step.size}
      ), picked AS (
        SELECT s.id FROM scanned s
        WHERE s."inRange" AND s."hasPayload" AND s.status <> 'pending' AND ${Prisma.join(filters, ' AND ')}
      ), changed AS (
        UPDATE deliveries SET status = 'pending', next_attempt_at = ${now}, trigger_type = 1, lease_owner = NULL, lease_until = NULL, updated_at = ${now}
        FROM picked
        WHERE deliveries.id = picked.id AND deliveries.tenant_id = ${scope.tenantId} AND deliveries.status <> 'pending'
        RETURNING deliveries.id
      )
      SELECT last.created_at AS "lastAt", last.id AS "lastId", (SELECT count(*) FROM changed) AS changed
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (SELECT created_at, id FROM scanned ORDER BY created_at DESC, id DESC LIMIT 1) last ON TRUE`;
    return this.result(scope, params.endpointId, rows[0], step, 'messagesSent');
  }

  /** expunge-all-contents: the payloads of the app's messages created up to `until`, after the cursor (by message id), erased. */
  async purgeContentStep({ db: tx }: TenantTx, step: StepInput<PurgeContentParams>): Promise<StepResult> {
    const { scope, params } = step;
    const rows = await tx.$queryRaw<{ last: string | null; changed: bigint }[]>`
      WITH scanned AS (
        SELECT id, payload_enc IS NOT NULL AS "hasPayload" FROM messages
        WHERE tenant_id = ${scope.tenantId} AND app_id = ${params.appId} AND id > ${step.cursor} AND created_at <= ${new Date(params.until)}
        ORDER BY id
        LIMIT ${step.size}
      ), changed AS (
        UPDATE messages SET payload_enc = NULL
        FROM scanned
        WHERE messages.id = scanned.id AND messages.tenant_id = ${scope.tenantId} AND scanned."hasPayload"
        RETURNING messages.id
      )
      SELECT (SELECT max(id) FROM scanned) AS last, (SELECT count(*) FROM changed) AS changed`;
    const row = rows[0];
    const last = row?.last ?? null;
    return { cursor: last ?? step.cursor, counts: { messagesPurged: Number(row?.changed ?? 0n) }, done: last === null, wake: [] };
  }

  private result(scope: TenantScope, endpointId: string, row: StepRow | undefined, step: StepInput<unknown>, counter: string): StepResult {
    const changed = Number(row?.changed ?? 0n);
    const last = row?.lastAt && row.lastId ? `${row.lastAt.toISOString()}|${row.lastId}` : null;
    const done = last === null;
    return {
      cursor: last ?? step.cursor,
      counts: { [counter]: changed },
      // A step that found no row past the cursor ends the task (one more, empty, step than
      // strictly needed, so a full last batch is never mistaken for the end).
      done,
      wake: changed > 0 ? [{ tenantId: scope.tenantId, endpointId }] : [],
    };
  }
}

/** What a delivery step reports: the (created_at, id) of the last delivery it looked at, and how many it changed. */
interface StepRow {
  lastAt: Date | null;
  lastId: string | null;
  changed: bigint;
}

/**
 * Delivery steps walk an endpoint's deliveries in (created_at, id) order — the
 * (endpoint_id, created_at) index, so a step reads about one batch of it — and keep
 * `createdAt|id` as their cursor. Before the first step: just before `since`.
 */
function deliveryCursor(cursor: string, since: string): { createdAt: Date; id: string } {
  const bar = cursor.indexOf('|');
  if (bar < 0) return { createdAt: new Date(since), id: '' };
  return { createdAt: new Date(cursor.slice(0, bar)), id: cursor.slice(bar + 1) };
}
