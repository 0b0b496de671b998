import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { OperatorDb, SYSTEM_AUDIT_CONTEXT, tenantScope, type TenantTx } from '@herald/tenancy';
import { DeliveryWakeups, OperationalEvents, type OperationalEventRow } from '@herald/deliveries';
import { BackgroundTaskRepository, type StepInput } from './background-task.repository';
import type { BackgroundTaskData, BackgroundTaskParams, BackgroundTaskRow, BackgroundTaskType, StepResult } from './background-task.types';

/** A task whose steps failed this many times in a row (database errors, say) ends as failed. */
const MAX_FAILURES = 5;
const RETRY_AFTER_SECONDS = 5;

type StepFn = (tx: TenantTx, input: StepInput<never>) => Promise<StepResult>;

/** The task's holder lost it (lease ran out, another worker took over): its step was rolled back. */
class LeaseLostError extends Error {}

/**
 * Runs background tasks in steps. A step locks the task row (only while this worker still
 * holds it), runs one batch after the task's cursor and records the new cursor and counts,
 * all in one transaction: a crash loses at most the step in flight, which rolls back, and
 * the next holder starts after the last committed cursor — nothing is done twice.
 */
@Injectable()
export class BackgroundTaskRunner {
  private readonly logger = new Logger('BackgroundTasks');
  /** This worker's name in leases: host, pid and a random part (a restarted process is a new owner). */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly steps: Record<BackgroundTaskType, StepFn>;

  constructor(
    private readonly operator: OperatorDb,
    private readonly tasks: BackgroundTaskRepository,
    private readonly wakeups: DeliveryWakeups,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly operationalEvents: OperationalEvents,
  ) {
    this.steps = {
      'endpoint.recover': (tx, input) => this.tasks.recoverStep(tx, input),
      'endpoint.replay': (tx, input) => this.tasks.replayMissingStep(tx, input),
      'endpoint.bulk-replay': (tx, input) => this.tasks.bulkReplayStep(tx, input),
      'application.purge_content': (tx, input) => this.tasks.purgeContentStep(tx, input),
    };
  }

  /** Claims and runs tasks until none is left to claim (or `signal` aborts); returns how many it ran. */
  async runDue(signal?: AbortSignal): Promise<number> {
    let ran = 0;
    while (!signal?.aborted) {
      const task = await this.tasks.claim(this.owner, this.config.tasks.leaseSeconds);
      if (!task) break;
      await this.run(task, signal);
      ran += 1;
    }
    return ran;
  }

  /** Runs that one task to its end, if nobody holds it (an operator's "now", and tests sharing a database); whether it ran. */
  async runOne(taskId: string): Promise<boolean> {
    const task = await this.tasks.claim(this.owner, this.config.tasks.leaseSeconds, taskId);
    if (!task) return false;
    await this.run(task);
    return true;
  }

  /** Runs a claimed task step by step until it ends, this worker loses it, or `signal` aborts. */
  private async run(task: BackgroundTaskRow, signal?: AbortSignal): Promise<void> {
    const { batchSize, batchPauseMs } = this.config.tasks;
    try {
      for (;;) {
        if (signal?.aborted) {
          // Stopping (SIGTERM): the last step is committed; hand the task back rather than make
          // the next worker wait out the lease.
          await this.tasks.release(task.id, this.owner);
          return;
        }
        // The claim is operator work (any tenant's task); once locked, the task's own tenant id
        // (task decoding) binds the step: it reads and writes that tenant's rows only.
        const { done, wake, finished } = await this.operator.transaction(async (db) => {
          const current = await this.tasks.lockForStep(db, task.id, this.owner);
          if (!current) throw new LeaseLostError(`background task ${task.id} was taken over`);
          const tx = this.operator.forTenant(db, tenantScope(current.tenantId));
          const step = this.steps[current.task];
          const result = await step(tx, { scope: tx.scope, params: current.params as never, cursor: current.cursor, size: batchSize, now: new Date() });
          const data = addCounts(current.data, result.counts);
          await this.tasks.advance(tx, current.id, { cursor: result.cursor, data, status: result.done ? 'finished' : 'running', leaseSeconds: this.config.tasks.leaseSeconds });
          // The tenant hears of the end (background_task.finished) in the step that ended it.
          const finished = result.done ? await this.recordEnd(tx, current, data) : null;
          return { ...result, finished };
        });
        if (wake.length > 0) this.wakeups.notify(wake);
        if (finished) this.operationalEvents.wake([finished]);
        if (done) return;
        if (batchPauseMs > 0) await new Promise((resolve) => setTimeout(resolve, batchPauseMs));
      }
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.logger.warn(err.message);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(`background task ${task.id} (${task.task}) step failed: ${message}`, err instanceof Error ? err.stack : undefined);
      const failed = await this.tasks.recordFailure(task.id, this.owner, { error: 'the task failed; see the worker logs', maxFailures: MAX_FAILURES, retryAfterSeconds: RETRY_AFTER_SECONDS });
      if (failed) {
        await this.operationalEvents.emit(this.operator.scopeFor(failed.tenantId), 'background_task.finished', { taskId: failed.id, task: failed.task, status: 'failed', data: failed.data });
      }
    }
  }

  /**
   * A finished task's operational webhook, inserted with its last step (wake after commit); and
   * expunging every payload of an app is audited again when it is complete, with its count.
   */
  private async recordEnd(tx: TenantTx, task: BackgroundTaskRow, data: BackgroundTaskData): Promise<OperationalEventRow | null> {
    if (task.task === 'application.purge_content') {
      const params = task.params as BackgroundTaskParams['application.purge_content'];
      await tx.audit(SYSTEM_AUDIT_CONTEXT, {
        action: 'application.contents.expunged',
        target: { type: 'application', id: params.appId },
        details: { taskId: task.id, ...data },
      });
    }
    const event = await this.operationalEvents.prepare(tx.scope, 'background_task.finished', { taskId: task.id, task: task.task, status: 'finished', data });
    if (event) await this.operationalEvents.insertForTenant(tx, [event]);
    return event;
  }
}

function addCounts(data: BackgroundTaskData, counts: Record<string, number>): BackgroundTaskData {
  const next: BackgroundTaskData = { ...data };
  for (const [key, value] of Object.entries(counts)) {
    const before = next[key];
    next[key] = (typeof before === 'number' ? before : 0) + value;
  }
  return next;
}
