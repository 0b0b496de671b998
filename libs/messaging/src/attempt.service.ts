import { Injectable } from '@nestjs/common';
import { listResponse, planNewestFirst, planPage, takePage, type ListResponse, type PagePlan, type RequestContext } from '@herald/api-core';
import { NotFoundError, TenantUnitOfWork } from '@herald/tenancy';
import { AttemptRepository, type AttemptFilter } from './attempt.repository';
import { DeliveryRepository } from './delivery.repository';
import { deliveryStatusesFor } from './message-status';
import { toAttemptOut, toEndpointMessageOut, toMessageEndpointOut, toMessageOut } from './message.mappers';
import type { EndpointMessageOut, MessageAttemptOut, MessageEndpointOut, MessageOut } from './message.responses';
import { MessageRepository, type MessageRow } from './message.repository';
import type { AttemptListQuery, EndpointMessageListQuery, MessageEndpointListQuery } from './message.schemas';
import { MessagingLookupService } from './messaging-lookup.service';

/** Svix's StatusCodeClass → [low, high) of the response status ("none" = no HTTP response). */
function statusRange(statusCodeClass: number | undefined): [number, number] | undefined {
  if (statusCodeClass === undefined) return undefined;
  return statusCodeClass === 0 ? [0, 100] : [statusCodeClass, statusCodeClass + 100];
}

/** Reads of delivery attempts and of the message × endpoint deliveries they belong to. */
@Injectable()
export class AttemptService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly attempts: AttemptRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly messages: MessageRepository,
    private readonly lookup: MessagingLookupService,
  ) {}

  async listByMessage(ctx: RequestContext, appIdOrUid: string, msgIdOrEventId: string, query: AttemptListQuery): Promise<ListResponse<MessageAttemptOut>> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const message = await this.lookup.message(ctx, app.id, msgIdOrEventId);
    let endpointId: string | undefined;
    if (query.endpoint_id) {
      const endpoint = await this.deliveries.findEndpoint(ctx.scope, app.id, query.endpoint_id);
      // An unknown endpoint has no attempts: an empty page, as for any filter that matches nothing.
      if (!endpoint) return { data: [], iterator: null, prevIterator: null, done: true };
      endpointId = endpoint.id;
    }
    const plan = planNewestFirst(query, 'atmpt');
    return this.listAttempts(ctx, { ...this.filterOf(app.id, plan, query), messageId: message.id, endpointId }, query, false);
  }

  async listByEndpoint(ctx: RequestContext, appIdOrUid: string, endpointIdOrUid: string, query: AttemptListQuery): Promise<ListResponse<MessageAttemptOut>> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    const plan = planNewestFirst(query, 'atmpt');
    return this.listAttempts(ctx, { ...this.filterOf(app.id, plan, query), endpointId: endpoint.id }, query, query.with_msg);
  }

  async get(ctx: RequestContext, appIdOrUid: string, msgIdOrEventId: string, attemptId: string): Promise<MessageAttemptOut> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const message = await this.lookup.message(ctx, app.id, msgIdOrEventId);
    const attempt = await this.attempts.find(ctx.scope, app.id, message.id, attemptId);
    if (!attempt) throw new NotFoundError('Message attempt');
    return toAttemptOut(attempt, await this.lookup.response(ctx.scope, attempt, true));
  }

  /** Erases a stored response body (it may hold what the receiver should not have sent). */
  async expungeContent(ctx: RequestContext, appIdOrUid: string, msgIdOrEventId: string, attemptId: string): Promise<void> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const message = await this.lookup.message(ctx, app.id, msgIdOrEventId);
    const attempt = await this.attempts.find(ctx.scope, app.id, message.id, attemptId);
    if (!attempt) throw new NotFoundError('Message attempt');
    await this.uow.run(ctx.scope, async (tx) => {
      await this.attempts.eraseResponse(tx, attempt.id);
      await tx.audit(ctx.audit, {
        action: 'message_attempt.content.expunged',
        target: { type: 'message_attempt', id: attempt.id },
        details: { appId: app.id, msgId: message.id },
      });
    });
  }

  /** Messages routed to an endpoint, each with its delivery's state. */
  async listEndpointMessages(ctx: RequestContext, appIdOrUid: string, endpointIdOrUid: string, query: EndpointMessageListQuery): Promise<ListResponse<EndpointMessageOut>> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    const plan = planNewestFirst(query, 'msg');
    const rows = await this.deliveries.listEndpointMessages(ctx.scope, {
      appId: app.id,
      endpointId: endpoint.id,
      plan,
      statuses: query.status === undefined ? undefined : deliveryStatusesFor(query.status, query.expanded_statuses),
      channel: query.channel,
      tag: query.tag,
      eventTypes: query.event_types,
    });
    const page = takePage(rows, plan);
    const data = await Promise.all(
      page.rows.map(async (row) => toEndpointMessageOut(row, await this.lookup.payload(ctx.scope, row.payloadEnc, query.with_content), query.expanded_statuses)),
    );
    return listResponse(page, (row) => row.id, data);
  }

  /** Endpoints a message was routed to, each with its delivery's state, in endpoint creation order (as Svix). */
  async listMessageEndpoints(ctx: RequestContext, appIdOrUid: string, msgIdOrEventId: string, query: MessageEndpointListQuery): Promise<ListResponse<MessageEndpointOut>> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const message = await this.lookup.message(ctx, app.id, msgIdOrEventId);
    const plan = planPage(query, 'ascending');
    const page = takePage(await this.deliveries.listMessageEndpoints(ctx.scope, app.id, message.id, plan), plan);
    return listResponse(page, (row) => row.id, page.rows.map((row) => toMessageEndpointOut(row, query.expanded_statuses)));
  }

  private filterOf(appId: string, plan: PagePlan, query: AttemptListQuery): AttemptFilter {
    return {
      appId,
      plan,
      // Attempts are either sent or failed; 4 (canceled) matches none.
      status: query.status === 4 ? -1 : query.status,
      responseStatusRange: statusRange(query.status_code_class),
      channel: query.channel,
      tag: query.tag,
      eventTypes: query.event_types,
    };
  }

  private async listAttempts(ctx: RequestContext, filter: AttemptFilter, query: AttemptListQuery, withMsg: boolean): Promise<ListResponse<MessageAttemptOut>> {
    const page = takePage(await this.attempts.list(ctx.scope, filter), filter.plan);
    const messages = new Map<string, MessageOut>();
    if (withMsg) {
      const found: MessageRow[] = await this.messages.findByIds(ctx.scope, [...new Set(page.rows.map((a) => a.messageId))]);
      await Promise.all(found.map(async (m) => messages.set(m.id, toMessageOut(m, await this.lookup.payload(ctx.scope, m.payloadEnc, query.with_content)))));
    }
    const data = await Promise.all(
      page.rows.map(async (a) => toAttemptOut(a, await this.lookup.response(ctx.scope, a, query.with_content), messages.get(a.messageId))),
    );
    return listResponse(page, (a) => a.id, data);
  }
}
