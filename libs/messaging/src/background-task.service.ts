import { Injectable } from '@nestjs/common';
import { planPage, toListResponse, type ListResponse, type RequestContext } from '@herald/api-core';
import { ConflictError, NotFoundError, ValidationError, TenantUnitOfWork } from '@herald/tenancy';
import { newId } from '@herald/db';
import { BackgroundTaskRepository, BACKGROUND_TASK_TYPES, type BackgroundTaskParams, type BackgroundTaskRow, type BackgroundTaskType } from '@herald/tasks';
import type { BackgroundTaskListQuery } from './background-task.schemas';
import { deliveryStatusesFor } from './message-status';
import type { BackgroundTaskOut, TaskStartedOut } from './message.responses';
import type { BulkReplayIn, RecoverIn, ReplayIn } from './message.schemas';
import { MessagingLookupService } from './messaging-lookup.service';

/** Svix refuses to recover further back than this. */
export const RECOVER_MAX_AGE_MS = 14 * 86_400_000;

/** Delivery states a bulk replay may send again (pending ones are on their way already). */
const REPLAYABLE = new Set(['success', 'failed', 'skipped']);

/**
 * Svix background tasks: recover, replay-missing, bulk-replay and expunge-all-contents are
 * recorded here (with their audit entry) and answered at once; the retention workers run
 * them (libs/tasks). Tasks are read back by id or listed, tenant-wide.
 */
@Injectable()
export class BackgroundTaskService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly tasks: BackgroundTaskRepository,
    private readonly lookup: MessagingLookupService,
  ) {}

  async list(ctx: RequestContext, query: BackgroundTaskListQuery): Promise<ListResponse<BackgroundTaskOut>> {
    const plan = planPage(query, 'descending');
    // A task type Herald never runs is a valid filter with nothing in it.
    const task = (BACKGROUND_TASK_TYPES as readonly string[]).includes(query.task ?? '') ? (query.task as BackgroundTaskType) : undefined;
    if (query.task !== undefined && task === undefined) return { data: [], iterator: null, prevIterator: null, done: true };
    const rows = await this.tasks.list(ctx.scope, { status: query.status, task, page: plan });
    return toListResponse(rows, plan, (r) => r.id, toBackgroundTaskOut);
  }

  async get(ctx: RequestContext, taskId: string): Promise<BackgroundTaskOut> {
    const row = await this.tasks.find(ctx.scope, taskId);
    if (!row) throw new NotFoundError('Background task not found');
    return toBackgroundTaskOut(row);
  }

  /** Re-queues the endpoint's failed deliveries created in [since, until] (at most 14 days back). */
  async recover(ctx: RequestContext, appIdOrUid: string, endpointIdOrUid: string, input: RecoverIn): Promise<TaskStartedOut> {
    const now = new Date();
    if (input.since.getTime() < now.getTime() - RECOVER_MAX_AGE_MS) {
      throw ValidationError.single(['body', 'since'], 'Cannot recover messages more than 14 days old');
    }
    const range = timeRange(input, now);
    const app = await this.lookup.app(ctx, appIdOrUid);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    return this.start(ctx, 'endpoint.recover', { appId: app.id, endpointId: endpoint.id, ...range }, now, {
      action: 'endpoint.recovered',
      target: { type: 'endpoint', id: endpoint.id },
    });
  }

  /** Delivers the messages created in [since, until] that match the endpoint but were never attempted to it. */
  async replayMissing(ctx: RequestContext, appIdOrUid: string, endpointIdOrUid: string, input: ReplayIn): Promise<TaskStartedOut> {
    const now = new Date();
    const range = timeRange(input, now);
    const app = await this.lookup.app(ctx, appIdOrUid);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    if (endpoint.disabled) throw new ConflictError('The endpoint is disabled; enable it before replaying', 'endpoint_disabled');
    return this.start(ctx, 'endpoint.replay', { appId: app.id, endpointId: endpoint.id, ...range }, now, {
      action: 'endpoint.missing.replayed',
      target: { type: 'endpoint', id: endpoint.id },
    });
  }

  /** Sends again the endpoint's deliveries of messages created in [since, until] that match the filters. */
  async bulkReplay(ctx: RequestContext, appIdOrUid: string, endpointIdOrUid: string, input: BulkReplayIn): Promise<TaskStartedOut> {
    const now = new Date();
    const range = timeRange(input, now);
    const app = await this.lookup.app(ctx, appIdOrUid);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    if (endpoint.disabled) throw new ConflictError('The endpoint is disabled; enable it before replaying', 'endpoint_disabled');
    const params: BackgroundTaskParams['endpoint.bulk-replay'] = { appId: app.id, endpointId: endpoint.id, ...range };
    if (input.status != null) params.statuses = deliveryStatusesFor(input.status, true).filter((s) => REPLAYABLE.has(s));
    if (input.statusCodeClass != null) params.statusCodeClass = input.statusCodeClass;
    if (input.channel != null) params.channel = input.channel;
    if (input.tag != null) params.tag = input.tag;
    if (input.eventTypes?.length) params.eventTypes = input.eventTypes;
    return this.start(ctx, 'endpoint.bulk-replay', params, now, { action: 'endpoint.bulk.replayed', target: { type: 'endpoint', id: endpoint.id } });
  }

  /** Erases the payload of every message of the app created until now (audited again when done, with the count). */
  async expungeAllContents(ctx: RequestContext, appIdOrUid: string): Promise<TaskStartedOut> {
    const now = new Date();
    const app = await this.lookup.app(ctx, appIdOrUid);
    return this.start(ctx, 'application.purge_content', { appId: app.id, until: now.toISOString() }, now, {
      action: 'application.contents.expunge.requested',
      target: { type: 'application', id: app.id },
    });
  }

  private async start<T extends BackgroundTaskType>(
    ctx: RequestContext,
    task: T,
    params: BackgroundTaskParams[T],
    now: Date,
    audit: { action: string; target: { type: string; id: string } },
  ): Promise<TaskStartedOut> {
    const row = await this.uow.run(ctx.scope, async (tx) => {
      const created = await this.tasks.create(tx, { id: newId('qtask', now), task, params, now });
      await tx.audit(ctx.audit, { ...audit, details: { ...params, taskId: created.id } });
      return created;
    });
    return { id: row.id, status: row.status, task: row.task, updatedAt: row.updatedAt.toISOString() };
  }
}

function timeRange(input: { since: Date; until?: Date | null }, now: Date): { since: string; until: string } {
  const until = input.until ?? now;
  if (until.getTime() < input.since.getTime()) throw ValidationError.single(['body', 'until'], 'until must not be before since');
  return { since: input.since.toISOString(), until: until.toISOString() };
}

function toBackgroundTaskOut(row: BackgroundTaskRow): BackgroundTaskOut {
  return { id: row.id, status: row.status, task: row.task, data: row.data, updatedAt: row.updatedAt.toISOString() };
}
