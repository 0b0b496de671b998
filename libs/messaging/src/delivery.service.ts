import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { AuditService, ConflictError, ValidationError } from '@herald/core';
import { ksuid, newId, PrismaService } from '@herald/db';
import { DeliveryWakeups } from '@herald/deliveries';
import { DeliveryRepository } from './delivery.repository';
import type { RecoverOut } from './message.responses';
import type { RecoverIn } from './message.schemas';
import { MessagingLookupService } from './messaging-lookup.service';

/** Svix refuses to recover further back than this. */
export const RECOVER_MAX_AGE_MS = 14 * 86_400_000;
const RECOVER_BATCH_SIZE = 500;

/** Manual re-deliveries: resend one message to one endpoint, recover an endpoint's failures. */
@Injectable()
export class DeliveryService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly deliveries: DeliveryRepository,
    private readonly lookup: MessagingLookupService,
    private readonly wakeups: DeliveryWakeups,
    private readonly audit: AuditService,
  ) {}

  /**
   * Sends the message to the endpoint again, now. The delivery goes back to 'pending' — or is
   * created, when the message never had one for this endpoint (filtered out, or the endpoint
   * came later) — marked manual (its attempt's trigger type), and the dispatchers are woken.
   */
  async resend(ctx: RequestContext, appIdOrUid: string, msgIdOrEventId: string, endpointIdOrUid: string): Promise<void> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const message = await this.lookup.message(ctx, app.id, msgIdOrEventId);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    if (!message.payloadEnc) throw new ConflictError('The message payload has been expunged; it cannot be resent', 'payload_expunged');
    if (endpoint.disabled) throw new ConflictError('The endpoint is disabled; enable it before resending', 'endpoint_disabled');
    const now = new Date();
    await this.prisma.$transaction(async (tx) => {
      const id = await this.deliveries.upsertPending(tx, ctx.scope, { id: newId('dlv', now), appId: app.id, messageId: message.id, endpointId: endpoint.id, now });
      await this.audit.record(tx, ctx.scope, ctx.audit, {
        action: 'message.resent',
        target: { type: 'message', id: message.id },
        details: { appId: app.id, endpointId: endpoint.id, deliveryId: id },
      });
      return id;
    });
    this.wakeups.notify([{ tenantId: ctx.scope.tenantId, endpointId: endpoint.id }]);
  }

  /**
   * Re-queues every failed delivery of the endpoint created in [since, until], in bounded
   * batches (each its own short transaction; the dispatchers are woken after each). Done within the
   * request; the response keeps Svix's shape, whose 1.1.1 status enum knows only "running".
   */
  async recover(ctx: RequestContext, appIdOrUid: string, endpointIdOrUid: string, input: RecoverIn): Promise<RecoverOut> {
    const now = new Date();
    if (input.since.getTime() < now.getTime() - RECOVER_MAX_AGE_MS) {
      throw ValidationError.single(['body', 'since'], 'Cannot recover messages more than 14 days old');
    }
    const until = input.until ?? now;
    if (until.getTime() < input.since.getTime()) throw ValidationError.single(['body', 'until'], 'until must not be before since');
    const app = await this.lookup.app(ctx, appIdOrUid);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    const taskId = `qtask_${ksuid(now)}`;

    let cursor = '';
    for (let first = true; ; first = false) {
      const ids = await this.prisma.$transaction(async (tx) => {
        const batch = await this.deliveries.requeueFailedBatch(tx, ctx.scope, { endpointId: endpoint.id, since: input.since, until, cursor, size: RECOVER_BATCH_SIZE, now });
        // One audit entry per recovery, written with its first batch.
        if (first) {
          await this.audit.record(tx, ctx.scope, ctx.audit, {
            action: 'endpoint.recovered',
            target: { type: 'endpoint', id: endpoint.id },
            details: { appId: app.id, since: input.since.toISOString(), until: until.toISOString(), taskId },
          });
        }
        return batch;
      });
      if (ids.length > 0) this.wakeups.notify([{ tenantId: ctx.scope.tenantId, endpointId: endpoint.id }]);
      if (ids.length < RECOVER_BATCH_SIZE) break;
      cursor = ids[ids.length - 1] ?? cursor;
    }
    return { id: taskId, status: 'running', task: 'endpoint.recover', updatedAt: new Date().toISOString() };
  }
}
