import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { ConflictError, TenantUnitOfWork } from '@herald/tenancy';
import { newId } from '@herald/db';
import { DeliveryWakeups } from '@herald/deliveries';
import { DeliveryRepository } from './delivery.repository';
import { MessagingLookupService } from './messaging-lookup.service';

/** Manual re-delivery of one message to one endpoint (the bulk ones are background tasks). */
@Injectable()
export class DeliveryService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly deliveries: DeliveryRepository,
    private readonly lookup: MessagingLookupService,
    private readonly wakeups: DeliveryWakeups,
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
    await this.uow.run(ctx.scope, async (tx) => {
      const id = await this.deliveries.upsertPending(tx, { id: newId('dlv', now), appId: app.id, messageId: message.id, endpointId: endpoint.id, now });
      await tx.audit(ctx.audit, {
        action: 'message.resent',
        target: { type: 'message', id: message.id },
        details: { appId: app.id, endpointId: endpoint.id, deliveryId: id },
      });
      return id;
    });
    this.wakeups.notify([{ tenantId: ctx.scope.tenantId, endpointId: endpoint.id }]);
  }
}
