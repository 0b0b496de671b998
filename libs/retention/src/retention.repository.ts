import { Injectable } from '@nestjs/common';
import { OperatorDb, type TenantScope } from '@herald/tenancy';
import { Prisma, PrismaService } from '@herald/db';

/** A tenant and its retention policy, as stored (the service applies the operator maximum). */
export interface TenantRetentionRow {
  id: string;
  deleted: boolean;
  payloadRetentionDays: number | null;
  attemptRetentionDays: number | null;
  metadataRetentionDays: number | null;
}

/** Where an age-based erasure stands: rows up to this (created_at, id) have been looked at. */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export interface KeysetBatch {
  /** Rows erased by this statement. */
  erased: number;
  /** Rows the statement locked and looked at (erased ones included); fewer than the limit = end of the window. */
  scanned: number;
  /** The last row looked at, for the next batch; null when nothing was scanned. */
  last: KeysetCursor | null;
}

/** Checkpoint kinds: "every row created before done_before has had this erased". */
export type CheckpointKind = 'payload_age' | 'response_age';

/**
 * Tables emptied, in this order, when a deleted tenant is purged (after its messages and
 * attempts). Order matters: applications cascade to endpoints and messages, so they go after
 * those have been removed in bounded batches. Names are constants, never input.
 */
export const DELETED_TENANT_TABLES = [
  'endpoints', // cascades endpoint_secrets and endpoint_headers (a few rows per endpoint)
  'applications',
  'event_types',
  'api_keys',
  'idempotency_records',
  'tenant_settings',
  'retention_checkpoints',
] as const;
export type DeletedTenantTable = (typeof DELETED_TENANT_TABLES)[number];

// Each batch is one short transaction with bounded lock waits and run time, so the worker can
// never hold locks on the hot tables for long or queue behind a stuck transaction.
const LOCK_TIMEOUT = '5s';
const STATEMENT_TIMEOUT = '60s';
const TX_OPTIONS = { maxWait: 10_000, timeout: 90_000 };

/**
 * Retention's SQL. Every statement touches at most `limit` rows, commits on its own, and
 * takes rows with `FOR UPDATE SKIP LOCKED`, so two retention processes split the work instead
 * of waiting on (or counting) each other's rows. The listing of tenants and the expired
 * idempotency records are the only cross-tenant statements; everything else takes a scope.
 */
@Injectable()
export class RetentionRepository {
  /** Cross-tenant by design: the operator access path's client. */
  private readonly db: PrismaService;

  constructor(operator: OperatorDb) {
    this.db = operator.client;
  }

  /** Tenants (live and deleted) with their stored policy, keyset-paged by id. */
  async listTenants(afterId: string, limit: number): Promise<TenantRetentionRow[]> {
    return this.db.$queryRaw<TenantRetentionRow[]>`
      SELECT t.id, t.deleted_at IS NOT NULL AS deleted,
             s.payload_retention_days AS "payloadRetentionDays",
             s.attempt_retention_days AS "attemptRetentionDays",
             s.metadata_retention_days AS "metadataRetentionDays"
      FROM tenants t LEFT JOIN tenant_settings s ON s.tenant_id = t.id
      WHERE t.id > ${afterId}
      ORDER BY t.id
      LIMIT ${limit}`;
  }

  async findTenant(tenantId: string): Promise<TenantRetentionRow | null> {
    const rows = await this.db.$queryRaw<TenantRetentionRow[]>`
      SELECT t.id, t.deleted_at IS NOT NULL AS deleted,
             s.payload_retention_days AS "payloadRetentionDays",
             s.attempt_retention_days AS "attemptRetentionDays",
             s.metadata_retention_days AS "metadataRetentionDays"
      FROM tenants t LEFT JOIN tenant_settings s ON s.tenant_id = t.id
      WHERE t.id = ${tenantId}`;
    return rows[0] ?? null;
  }

  /** Deletes up to `limit` messages created before `cutoff`, with their deliveries (counted). */
  async deleteMessages(scope: TenantScope, cutoff: Date, limit: number, onlyIfDeleted = false): Promise<{ messages: number; deliveries: number }> {
    const guard = onlyIfDeleted ? tenantIsDeleted(scope) : Prisma.sql`TRUE`;
    const rows = await this.batch((tx) =>
      tx.$queryRaw<{ messages: number; deliveries: number }[]>`
        WITH doomed AS (
          SELECT id FROM messages
          WHERE tenant_id = ${scope.tenantId} AND created_at < ${cutoff} AND ${guard}
          ORDER BY created_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ), d AS (
          -- Deleted here rather than by the foreign key's cascade, so they can be counted.
          DELETE FROM deliveries WHERE tenant_id = ${scope.tenantId} AND message_id IN (SELECT id FROM doomed) RETURNING 1
        ), m AS (
          DELETE FROM messages WHERE tenant_id = ${scope.tenantId} AND id IN (SELECT id FROM doomed) RETURNING 1
        )
        SELECT (SELECT count(*) FROM m)::int AS messages, (SELECT count(*) FROM d)::int AS deliveries`,
    );
    return rows[0] ?? { messages: 0, deliveries: 0 };
  }

  /** Deletes up to `limit` attempts created before `cutoff` (attempts have no foreign key to cascade from). */
  async deleteAttempts(scope: TenantScope, cutoff: Date, limit: number, onlyIfDeleted = false): Promise<number> {
    const guard = onlyIfDeleted ? tenantIsDeleted(scope) : Prisma.sql`TRUE`;
    return this.batch(
      (tx) => tx.$executeRaw`
        DELETE FROM attempts
        WHERE tenant_id = ${scope.tenantId} AND id IN (
          SELECT id FROM attempts
          WHERE tenant_id = ${scope.tenantId} AND created_at < ${cutoff} AND ${guard}
          ORDER BY created_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)`,
    );
  }

  /**
   * Erases up to `limit` payloads whose own expiry (set at ingest: the tenant policy or the
   * message's shorter payloadRetentionPeriod) has passed. Uses messages_payload_expiry_idx,
   * which only holds payloads not yet erased.
   */
  async eraseExpiredPayloads(scope: TenantScope, now: Date, limit: number): Promise<number> {
    return this.batch(
      (tx) => tx.$executeRaw`
        UPDATE messages SET payload_enc = NULL
        WHERE tenant_id = ${scope.tenantId} AND payload_enc IS NOT NULL AND id IN (
          SELECT id FROM messages
          WHERE tenant_id = ${scope.tenantId} AND payload_enc IS NOT NULL AND payload_expires_at < ${now}
          -- The order steers the planner to the partial index even when most rows match.
          ORDER BY payload_expires_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)`,
    );
  }

  /**
   * Erases payloads of messages created in [after, cutoff) — a policy shortened after ingest
   * applies to old rows too. Keyset-paged from `after`, so erased rows are not read twice.
   */
  async erasePayloadsCreatedBefore(scope: TenantScope, after: KeysetCursor, cutoff: Date, limit: number): Promise<KeysetBatch> {
    return this.keysetBatch(
      (tx) => tx.$queryRaw<KeysetRow[]>`
        WITH picked AS (
          SELECT id, created_at FROM messages
          WHERE tenant_id = ${scope.tenantId} AND payload_enc IS NOT NULL
            AND created_at >= ${after.createdAt} AND (created_at, id) > (${after.createdAt}, ${after.id}) AND created_at < ${cutoff}
          ORDER BY created_at, id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ), erased AS (
          UPDATE messages m SET payload_enc = NULL FROM picked
          WHERE m.id = picked.id AND m.tenant_id = ${scope.tenantId} AND m.payload_enc IS NOT NULL
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM erased)::int AS erased, (SELECT count(*) FROM picked)::int AS scanned,
               last.created_at AS "lastCreatedAt", last.id AS "lastId"
        FROM (SELECT 1) one
        LEFT JOIN (SELECT id, created_at FROM picked ORDER BY created_at DESC, id DESC LIMIT 1) last ON TRUE`,
    );
  }

  /** Erases stored response bodies of attempts created in [after, cutoff) ("EXPUNGED" on read). */
  async eraseResponsesCreatedBefore(scope: TenantScope, after: KeysetCursor, cutoff: Date, limit: number): Promise<KeysetBatch> {
    return this.keysetBatch(
      (tx) => tx.$queryRaw<KeysetRow[]>`
        WITH picked AS (
          SELECT id, created_at FROM attempts
          WHERE tenant_id = ${scope.tenantId} AND response_enc IS NOT NULL
            AND created_at >= ${after.createdAt} AND (created_at, id) > (${after.createdAt}, ${after.id}) AND created_at < ${cutoff}
          ORDER BY created_at, id
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ), erased AS (
          UPDATE attempts a SET response_enc = NULL, response_expunged = TRUE FROM picked
          WHERE a.id = picked.id AND a.tenant_id = ${scope.tenantId} AND a.response_enc IS NOT NULL
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM erased)::int AS erased, (SELECT count(*) FROM picked)::int AS scanned,
               last.created_at AS "lastCreatedAt", last.id AS "lastId"
        FROM (SELECT 1) one
        LEFT JOIN (SELECT id, created_at FROM picked ORDER BY created_at DESC, id DESC LIMIT 1) last ON TRUE`,
    );
  }

  /** True when some row of the window still holds what `kind` erases (e.g. it was locked and skipped). */
  async hasUnerased(scope: TenantScope, kind: CheckpointKind, from: Date, cutoff: Date): Promise<boolean> {
    const rows =
      kind === 'payload_age'
        ? await this.db.$queryRaw<{ found: boolean }[]>`
            SELECT EXISTS (SELECT 1 FROM messages WHERE tenant_id = ${scope.tenantId} AND payload_enc IS NOT NULL
                           AND created_at >= ${from} AND created_at < ${cutoff}) AS found`
        : await this.db.$queryRaw<{ found: boolean }[]>`
            SELECT EXISTS (SELECT 1 FROM attempts WHERE tenant_id = ${scope.tenantId} AND response_enc IS NOT NULL
                           AND created_at >= ${from} AND created_at < ${cutoff}) AS found`;
    return rows[0]?.found ?? false;
  }

  async getCheckpoint(scope: TenantScope, kind: CheckpointKind): Promise<Date | null> {
    const row = await this.db.retentionCheckpoint.findUnique({
      where: { tenantId_kind: { tenantId: scope.tenantId, kind } },
      select: { doneBefore: true },
    });
    return row?.doneBefore ?? null;
  }

  /** Moves the checkpoint forward (never back: a lengthened policy has nothing left to erase below it). */
  async advanceCheckpoint(scope: TenantScope, kind: CheckpointKind, doneBefore: Date): Promise<void> {
    await this.db.$executeRaw`
      INSERT INTO retention_checkpoints (tenant_id, kind, done_before, updated_at)
      SELECT ${scope.tenantId}, ${kind}, ${doneBefore}, now()
      WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ${scope.tenantId} AND deleted_at IS NULL)
      ON CONFLICT (tenant_id, kind) DO UPDATE
        SET done_before = GREATEST(retention_checkpoints.done_before, EXCLUDED.done_before), updated_at = now()`;
  }

  /** Deletes up to `limit` idempotency records past their expiry (all owners, or one tenant's). */
  async deleteExpiredIdempotencyRecords(now: Date, limit: number, scope?: TenantScope): Promise<number> {
    const owner = scope ? Prisma.sql`AND tenant_id = ${scope.tenantId}` : Prisma.empty;
    return this.batch(
      (tx) => tx.$executeRaw`
        DELETE FROM idempotency_records
        WHERE expires_at < ${now} ${owner} AND ctid = ANY (ARRAY(
          SELECT ctid FROM idempotency_records
          WHERE expires_at < ${now} ${owner}
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED))`,
    );
  }

  /** Deletes up to `limit` background tasks that ended (finished or failed) before `before`. */
  async deleteEndedBackgroundTasks(before: Date, limit: number, scope?: TenantScope): Promise<number> {
    const owner = scope ? Prisma.sql`AND tenant_id = ${scope.tenantId}` : Prisma.empty;
    return this.batch(
      (tx) => tx.$executeRaw`
        DELETE FROM background_tasks
        WHERE id = ANY (ARRAY(
          SELECT id FROM background_tasks
          WHERE status IN ('finished', 'failed') AND updated_at < ${before} ${owner}
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED))`,
    );
  }

  /** True while a deleted tenant still has rows to purge. */
  async deletedTenantHasRows(scope: TenantScope): Promise<boolean> {
    const t = scope.tenantId;
    const rows = await this.db.$queryRaw<{ found: boolean }[]>`
      SELECT (EXISTS (SELECT 1 FROM messages WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM attempts WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM endpoints WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM applications WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM event_types WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM api_keys WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM idempotency_records WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM tenant_settings WHERE tenant_id = ${t})
           OR EXISTS (SELECT 1 FROM retention_checkpoints WHERE tenant_id = ${t})) AS found`;
    return rows[0]?.found ?? false;
  }

  /**
   * Deletes up to `limit` rows of a deleted tenant from `table`. The statement itself checks
   * that the tenant is marked deleted, so a bug upstream cannot purge a live tenant.
   */
  async deleteTenantRows(scope: TenantScope, table: DeletedTenantTable, limit: number): Promise<number> {
    const name = Prisma.raw(table);
    return this.batch(
      (tx) => tx.$executeRaw`
        DELETE FROM ${name}
        WHERE tenant_id = ${scope.tenantId} AND ${tenantIsDeleted(scope)} AND ctid = ANY (ARRAY(
          SELECT ctid FROM ${name}
          WHERE tenant_id = ${scope.tenantId}
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED))`,
    );
  }

  private async keysetBatch(run: (tx: Prisma.TransactionClient) => Promise<KeysetRow[]>): Promise<KeysetBatch> {
    const rows = await this.batch(run);
    const row = rows[0];
    if (!row) return { erased: 0, scanned: 0, last: null };
    return {
      erased: row.erased,
      scanned: row.scanned,
      last: row.lastCreatedAt && row.lastId ? { createdAt: row.lastCreatedAt, id: row.lastId } : null,
    };
  }

  /**
   * One statement in its own short transaction, with lock waits and run time bounded. A
   * deadlock or lock timeout (e.g. against the dispatcher) is retried a few times; the
   * statement changed nothing when it failed, so retrying cannot double-count.
   */
  private async batch<T>(run: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.db.$transaction(async (tx) => {
          await tx.$queryRaw`SELECT set_config('lock_timeout', ${LOCK_TIMEOUT}, true), set_config('statement_timeout', ${STATEMENT_TIMEOUT}, true)`;
          return run(tx);
        }, TX_OPTIONS);
      } catch (err) {
        if (attempt >= MAX_TRIES || !isTransient(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.floor(Math.random() * 100)));
      }
    }
  }
}

const MAX_TRIES = 4;
// deadlock_detected, serialization_failure, lock_not_available (lock_timeout).
const TRANSIENT_PG_CODES = new Set(['40P01', '40001', '55P03']);

/** Prisma reports raw-query failures as P2010 with the PostgreSQL code in the adapter error. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (err.code === 'P2034') return true;
  const cause = (err.meta as { driverAdapterError?: { cause?: { code?: unknown } } } | undefined)?.driverAdapterError?.cause;
  return typeof cause?.code === 'string' && TRANSIENT_PG_CODES.has(cause.code);
}

interface KeysetRow {
  erased: number;
  scanned: number;
  lastCreatedAt: Date | null;
  lastId: string | null;
}

function tenantIsDeleted(scope: TenantScope): Prisma.Sql {
  return Prisma.sql`EXISTS (SELECT 1 FROM tenants WHERE id = ${scope.tenantId} AND deleted_at IS NOT NULL)`;
}
