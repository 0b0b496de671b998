import { Inject, Injectable, Logger } from '@nestjs/common';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { AuditService, OperatorDb, SYSTEM_AUDIT_CONTEXT, type TenantScope } from '@herald/tenancy';
import { failSpan, inSpan, SpanAttr } from '@herald/observability';
import type { RetentionJobData } from '@herald/queue';
import { cutoffFor, effectivePolicy, type RetentionPolicy } from './retention-policy';
import { RetentionMetrics, type PurgeKind } from './retention.metrics';
import { DELETED_TENANT_TABLES, RetentionRepository, type CheckpointKind, type DeletedTenantTable, type KeysetBatch, type KeysetCursor, type TenantRetentionRow } from './retention.repository';

/** What one run removed from one live tenant (the `retention.purged` audit details). */
export interface PurgeCounts {
  payloadsErased: number;
  responsesErased: number;
  messagesDeleted: number;
  attemptsDeleted: number;
  deliveriesDeleted: number;
}

/** What one run removed of a deleted tenant (the `tenant.purged` audit details). */
export interface DeletedTenantCounts {
  messagesDeleted: number;
  deliveriesDeleted: number;
  attemptsDeleted: number;
  endpointsDeleted: number;
  applicationsDeleted: number;
  eventTypesDeleted: number;
  apiKeysDeleted: number;
  idempotencyRecordsDeleted: number;
  settingsDeleted: number;
  checkpointsDeleted: number;
}

export interface RetentionRunResult {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** False when the run was stopped (shutdown) before it went through every tenant. */
  complete: boolean;
  tenantsChecked: number;
  /** Live tenants that had something purged. */
  tenants: (PurgeCounts & { tenantId: string })[];
  /** Deleted tenants whose remaining rows were purged. */
  deletedTenants: (DeletedTenantCounts & { tenantId: string })[];
  /** Expired idempotency records removed (all owners, or the one tenant's). */
  idempotencyRecordsDeleted: number;
  /** Background tasks that ended more than {@link BACKGROUND_TASK_KEEP_DAYS} days ago, removed. */
  backgroundTasksDeleted: number;
  totals: PurgeCounts;
  /** Tenants whose purge failed; the others were still processed. */
  failures: { tenantId: string; error: string }[];
}

/** What a queued run reports back (kept small: it is stored with the job in Redis). */
export interface RetentionRunSummary {
  startedAt: string;
  durationMs: number;
  complete: boolean;
  tenantsChecked: number;
  tenantsPurged: number;
  deletedTenantsPurged: number;
  idempotencyRecordsDeleted: number;
  backgroundTasksDeleted: number;
  totals: PurgeCounts;
}

export interface RetentionRunOptions {
  /** Only this tenant (live or deleted). */
  tenantId?: string;
  /** Stops between batches; what was done so far is committed and audited. */
  signal?: AbortSignal;
}

const TENANT_PAGE = 200;
/** How long a finished or failed background task stays listed (Svix keeps 90 days). */
export const BACKGROUND_TASK_KEEP_DAYS = 90;
const EPOCH = new Date(0);

const TABLE_COUNT_KEY: Record<DeletedTenantTable, keyof DeletedTenantCounts> = {
  endpoints: 'endpointsDeleted',
  applications: 'applicationsDeleted',
  event_types: 'eventTypesDeleted',
  api_keys: 'apiKeysDeleted',
  idempotency_records: 'idempotencyRecordsDeleted',
  tenant_settings: 'settingsDeleted',
  retention_checkpoints: 'checkpointsDeleted',
};

const zeroCounts = (): PurgeCounts => ({ payloadsErased: 0, responsesErased: 0, messagesDeleted: 0, attemptsDeleted: 0, deliveriesDeleted: 0 });
const total = (counts: object): number => Object.values(counts).reduce((sum: number, n) => sum + (typeof n === 'number' ? n : 0), 0);

/**
 * Data retention (DESIGN "Data flow 5", STYLE 21). Per live tenant: delete messages (with their
 * deliveries) and attempts older than the metadata retention, erase payloads past their own
 * expiry or older than the payload policy, erase response bodies older than the attempt
 * policy. Deleted tenants (already crypto-shredded) lose every remaining row. Every statement
 * is a bounded batch that commits on its own, so a run can stop or crash anywhere and the next
 * one carries on; two runs at once split the rows between them (SKIP LOCKED). One audit entry
 * per tenant and run records what was removed.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger('Retention');

  constructor(
    private readonly repo: RetentionRepository,
    private readonly audit: AuditService,
    private readonly operator: OperatorDb,
    private readonly metrics: RetentionMetrics,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** A scheduled or queued run. Fails (so the job shows as failed) when some tenant failed. */
  async runJob(data: RetentionJobData, signal?: AbortSignal): Promise<RetentionRunSummary> {
    const result = await this.run({ tenantId: data.tenantId, signal });
    if (result.failures.length > 0) {
      throw new Error(`retention failed for ${result.failures.length} tenant(s): ${result.failures.map((f) => `${f.tenantId}: ${f.error}`).join('; ')}`);
    }
    return {
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      complete: result.complete,
      tenantsChecked: result.tenantsChecked,
      tenantsPurged: result.tenants.length,
      deletedTenantsPurged: result.deletedTenants.length,
      idempotencyRecordsDeleted: result.idempotencyRecordsDeleted,
      backgroundTasksDeleted: result.backgroundTasksDeleted,
      totals: result.totals,
    };
  }

  /** One span per run (traces on), a child per tenant with what was removed: counts and ids only. */
  run(options: RetentionRunOptions = {}): Promise<RetentionRunResult> {
    const attributes = options.tenantId ? { [SpanAttr.tenantId]: options.tenantId } : {};
    return inSpan('herald.retention.run', attributes, async (span) => {
      const result = await this.runAll(options);
      span.setAttributes({
        'herald.retention.complete': result.complete,
        'herald.retention.tenants_checked': result.tenantsChecked,
        'herald.retention.tenants_failed': result.failures.length,
        'herald.retention.idempotency_records_deleted': result.idempotencyRecordsDeleted,
        'herald.retention.background_tasks_deleted': result.backgroundTasksDeleted,
        ...countAttributes(result.totals),
      });
      if (result.failures.length > 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `${result.failures.length} tenant(s) failed` });
      return result;
    });
  }

  private async runAll(options: RetentionRunOptions): Promise<RetentionRunResult> {
    const started = new Date();
    const result: RetentionRunResult = {
      startedAt: started.toISOString(),
      finishedAt: '',
      durationMs: 0,
      complete: true,
      tenantsChecked: 0,
      tenants: [],
      deletedTenants: [],
      idempotencyRecordsDeleted: 0,
      backgroundTasksDeleted: 0,
      totals: zeroCounts(),
      failures: [],
    };
    const timer = this.metrics.runSeconds.startTimer();
    try {
      if (options.tenantId) {
        const tenant = await this.repo.findTenant(options.tenantId);
        if (tenant) await this.processTenant(tenant, result, options.signal);
        if (!options.signal?.aborted) {
          const scope = this.operator.scopeFor(options.tenantId);
          result.idempotencyRecordsDeleted = await this.purgeExpiredIdempotency(options.signal, scope);
          result.backgroundTasksDeleted = await this.purgeEndedTasks(options.signal, scope);
        }
      } else {
        let after = '';
        for (;;) {
          const page = await this.repo.listTenants(after, TENANT_PAGE);
          for (const tenant of page) {
            if (options.signal?.aborted) break;
            await this.processTenant(tenant, result, options.signal);
          }
          const last = page[page.length - 1];
          if (!last || page.length < TENANT_PAGE || options.signal?.aborted) break;
          after = last.id;
        }
        if (!options.signal?.aborted) result.idempotencyRecordsDeleted = await this.purgeExpiredIdempotency(options.signal);
        if (!options.signal?.aborted) result.backgroundTasksDeleted = await this.purgeEndedTasks(options.signal);
      }
      result.complete = !options.signal?.aborted;
    } catch (err) {
      timer({ outcome: 'failed' });
      throw err;
    }
    const finished = new Date();
    result.finishedAt = finished.toISOString();
    result.durationMs = finished.getTime() - started.getTime();
    const outcome = !result.complete ? 'stopped' : result.failures.length > 0 ? 'failed' : 'ok';
    timer({ outcome });
    if (outcome === 'ok') this.metrics.lastSuccess.set(finished.getTime() / 1000);
    this.logger.log(
      `retention run ${outcome} in ${result.durationMs} ms: ${result.tenantsChecked} tenants checked, ` +
        `${JSON.stringify(result.totals)}, ${result.deletedTenants.length} deleted tenants purged, ${result.idempotencyRecordsDeleted} idempotency records, ${result.backgroundTasksDeleted} ended background tasks`,
    );
    return result;
  }

  private processTenant(tenant: TenantRetentionRow, result: RetentionRunResult, signal: AbortSignal | undefined): Promise<void> {
    return inSpan('herald.retention.tenant', { [SpanAttr.tenantId]: tenant.id, 'herald.retention.tenant_deleted': tenant.deleted }, (span) =>
      this.processTenantInSpan(tenant, result, signal, span),
    );
  }

  private async processTenantInSpan(tenant: TenantRetentionRow, result: RetentionRunResult, signal: AbortSignal | undefined, span: Span): Promise<void> {
    result.tenantsChecked += 1;
    const scope = this.operator.scopeFor(tenant.id);
    try {
      if (tenant.deleted) {
        const counts = await this.purgeDeletedTenant(scope, signal);
        if (counts) {
          result.deletedTenants.push({ tenantId: tenant.id, ...counts });
          span.setAttributes(countAttributes(counts));
        }
        return;
      }
      const policy = effectivePolicy(tenant, this.config.retention.defaultPayloadRetentionDays);
      const counts = zeroCounts();
      try {
        await this.purgeLiveTenant(scope, policy, counts, signal);
      } finally {
        span.setAttributes(countAttributes(counts));
        // Whatever was removed is recorded, also when a later batch failed or the run stopped.
        if (total(counts) > 0) {
          await this.audit.recordNow(scope, SYSTEM_AUDIT_CONTEXT, {
            action: 'retention.purged',
            target: { type: 'tenant', id: tenant.id },
            details: { ...counts, retentionDays: { payload: policy.payloadDays, attempt: policy.attemptDays, metadata: policy.metadataDays } },
          });
          result.tenants.push({ tenantId: tenant.id, ...counts });
          for (const key of Object.keys(counts) as (keyof PurgeCounts)[]) result.totals[key] += counts[key];
        }
      }
    } catch (err) {
      // One tenant's failure must not stop retention for everyone else; the run reports it.
      const message = err instanceof Error ? err.message : String(err);
      failSpan(span, err);
      this.logger.error({ err, msg: `retention failed for tenant ${tenant.id}: ${message}` });
      result.failures.push({ tenantId: tenant.id, error: message });
    }
  }

  private async purgeLiveTenant(scope: TenantScope, policy: RetentionPolicy, counts: PurgeCounts, signal: AbortSignal | undefined): Promise<void> {
    const limit = this.config.retention.batchSize;
    const now = new Date();
    const metadataCutoff = cutoffFor(now, policy.metadataDays);

    // Rows past the metadata retention go entirely; no point erasing their payloads first.
    await this.loop(signal, limit, async () => {
      const { messages, deliveries } = await this.repo.deleteMessages(scope, metadataCutoff, limit);
      counts.messagesDeleted += messages;
      counts.deliveriesDeleted += deliveries;
      this.metrics.count('message_deleted', messages);
      this.metrics.count('delivery_deleted', deliveries);
      return messages;
    });
    await this.loop(signal, limit, async () => {
      const n = await this.repo.deleteAttempts(scope, metadataCutoff, limit);
      counts.attemptsDeleted += n;
      this.metrics.count('attempt_deleted', n);
      return n;
    });

    await this.loop(signal, limit, async () => {
      const n = await this.repo.eraseExpiredPayloads(scope, now, limit);
      counts.payloadsErased += n;
      this.metrics.count('payload_erased', n);
      return n;
    });
    counts.payloadsErased += await this.eraseByAge(scope, 'payload_age', cutoffFor(now, policy.payloadDays), signal, (after, cutoff) =>
      this.repo.erasePayloadsCreatedBefore(scope, after, cutoff, limit),
    );
    counts.responsesErased += await this.eraseByAge(scope, 'response_age', cutoffFor(now, policy.attemptDays), signal, (after, cutoff) =>
      this.repo.eraseResponsesCreatedBefore(scope, after, cutoff, limit),
    );
  }

  /**
   * Erases what `kind` covers for rows created before `cutoff`, starting at the tenant's
   * checkpoint and walking forward by (created_at, id), so already-erased rows are read once
   * per run at most. The checkpoint moves only when nothing in the window is left (a row
   * another transaction held is picked up by the next run).
   */
  private async eraseByAge(
    scope: TenantScope,
    kind: CheckpointKind,
    cutoff: Date,
    signal: AbortSignal | undefined,
    erase: (after: KeysetCursor, cutoff: Date) => Promise<KeysetBatch>,
  ): Promise<number> {
    const limit = this.config.retention.batchSize;
    const from = (await this.repo.getCheckpoint(scope, kind)) ?? EPOCH;
    if (cutoff.getTime() <= from.getTime()) return 0;
    let cursor: KeysetCursor = { createdAt: from, id: '' };
    let erased = 0;
    for (;;) {
      if (signal?.aborted) return erased;
      const batch = await erase(cursor, cutoff);
      erased += batch.erased;
      this.metrics.count(kind === 'payload_age' ? 'payload_erased' : 'response_erased', batch.erased);
      if (batch.last) cursor = batch.last;
      if (batch.scanned < limit) break;
      await this.pause();
    }
    if (!(await this.repo.hasUnerased(scope, kind, from, cutoff))) await this.repo.advanceCheckpoint(scope, kind, cutoff);
    return erased;
  }

  /** Removes every remaining row of a deleted tenant; its tenants row and audit log stay as the record. */
  private async purgeDeletedTenant(scope: TenantScope, signal: AbortSignal | undefined): Promise<DeletedTenantCounts | null> {
    if (!(await this.repo.deletedTenantHasRows(scope))) return null;
    const limit = this.config.retention.batchSize;
    const counts: DeletedTenantCounts = {
      messagesDeleted: 0,
      deliveriesDeleted: 0,
      attemptsDeleted: 0,
      endpointsDeleted: 0,
      applicationsDeleted: 0,
      eventTypesDeleted: 0,
      apiKeysDeleted: 0,
      idempotencyRecordsDeleted: 0,
      settingsDeleted: 0,
      checkpointsDeleted: 0,
    };
    // Every row of the tenant was created before this.
    const everything = new Date('9999-12-31T00:00:00Z');
    try {
      await this.loop(signal, limit, async () => {
        const { messages, deliveries } = await this.repo.deleteMessages(scope, everything, limit, true);
        counts.messagesDeleted += messages;
        counts.deliveriesDeleted += deliveries;
        this.metrics.count('message_deleted', messages);
        this.metrics.count('delivery_deleted', deliveries);
        return messages;
      });
      await this.loop(signal, limit, async () => {
        const n = await this.repo.deleteAttempts(scope, everything, limit, true);
        counts.attemptsDeleted += n;
        this.metrics.count('attempt_deleted', n);
        return n;
      });
      for (const table of DELETED_TENANT_TABLES) {
        await this.loop(signal, limit, async () => {
          const n = await this.repo.deleteTenantRows(scope, table, limit);
          counts[TABLE_COUNT_KEY[table]] += n;
          this.metrics.count('deleted_tenant_row', n);
          return n;
        });
      }
    } finally {
      if (total(counts) > 0) {
        await this.audit.recordNow(scope, SYSTEM_AUDIT_CONTEXT, { action: 'tenant.purged', target: { type: 'tenant', id: scope.tenantId }, details: { ...counts } });
      }
    }
    return total(counts) > 0 ? counts : null;
  }

  private purgeExpiredIdempotency(signal: AbortSignal | undefined, scope?: TenantScope): Promise<number> {
    const now = new Date();
    return this.purgeInBatches(signal, 'idempotency_record_deleted', (limit) => this.repo.deleteExpiredIdempotencyRecords(now, limit, scope));
  }

  private purgeEndedTasks(signal: AbortSignal | undefined, scope?: TenantScope): Promise<number> {
    const before = new Date(Date.now() - BACKGROUND_TASK_KEEP_DAYS * 86_400_000);
    return this.purgeInBatches(signal, 'background_task_deleted', (limit) => this.repo.deleteEndedBackgroundTasks(before, limit, scope));
  }

  /** Deletes in batches of HERALD_RETENTION_BATCH_SIZE until done or stopped; counts what went. */
  private async purgeInBatches(signal: AbortSignal | undefined, kind: PurgeKind, deleteBatch: (limit: number) => Promise<number>): Promise<number> {
    const limit = this.config.retention.batchSize;
    let deleted = 0;
    await this.loop(signal, limit, async () => {
      const n = await deleteBatch(limit);
      deleted += n;
      this.metrics.count(kind, n);
      return n;
    });
    return deleted;
  }

  /** Runs batches until one comes back short (the rest, if any, is locked by someone else) or the run stops. */
  private async loop(signal: AbortSignal | undefined, limit: number, batch: () => Promise<number>): Promise<void> {
    while (!signal?.aborted) {
      if ((await batch()) < limit) return;
      await this.pause();
    }
  }

  /** HERALD_RETENTION_BATCH_PAUSE_MS between full batches: trades purge speed for live latency. */
  private async pause(): Promise<void> {
    const ms = this.config.retention.batchPauseMs;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** Purge counts as span attributes: `payloadsErased` → `herald.retention.payloads_erased`. */
function countAttributes(counts: PurgeCounts | DeletedTenantCounts): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([key, n]) => [`herald.retention.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, n as number]));
}
