import { Inject, Injectable } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import { ApiMetrics, IdempotencyRepository, listResponse, planNewestFirst, takePage, type ListResponse, type RequestContext } from '@herald/api-core';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { ConflictError, NotFoundError, PayloadTooLargeError, TenantKeysService, ValidationError, TenantUnitOfWork } from '@herald/tenancy';
import { newId } from '@herald/db';
import { DeliveryWakeups } from '@herald/deliveries';
import { ApplicationService, assertSameUid } from '@herald/app-config';
import { currentTraceparent, inSpan, SpanAttr } from '@herald/observability';
import { routeMessage, type Route } from './endpoint-routing';
import { toMessageOut } from './message.mappers';
import type { MessageOut } from './message.responses';
import { MessageRepository, type IngestContext, type NewDelivery } from './message.repository';
import { rawPayloadOf, type EventExampleIn, type MessageIn, type MessageListQuery } from './message.schemas';
import { MessagingLookupService, readPayloadText } from './messaging-lookup.service';
import { latestSchema, PayloadSchemaValidator } from './payload-schema.validator';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const DEFAULT_MESSAGE_RETENTION_DAYS = 90;
/** Svix's built-in test event: `send-example` delivers it without a defined event type. */
export const PING_EVENT_TYPE = 'svix.ping';
const PING_PAYLOAD = Object.freeze({ success: true });
/** An application id (not a uid): one that is not the caller's is never created, only 404. */
const APP_ID_SHAPE = /^app_[0-9A-Za-z]{27}$/;

/** What ingest writes, whichever route asked for it (create, send-example). */
interface IngestPlan {
  context: IngestContext;
  eventType: string;
  /** The payload as the response shows it. */
  payload: unknown;
  /** JSON.stringify(payload), or a raw payload as given: the exact bytes stored, signed and sent. */
  payloadText: string;
  /** A raw payload's Content-Type; null for JSON. */
  rawContentType: string | null;
  eventId: string | null;
  channels: string[];
  tags: string[];
  retentionMs: number;
  deliverAt: Date | null;
  routes: Route[];
  /** When the request arrived: the message's time and id. */
  now: Date;
}

/** What ingest returns when the message's context changed before its insert: nothing was stored. */
const STALE = Symbol('stale ingest context');
/** A stale context is read again this many times less one; the last try stores unchecked. */
const MAX_INGEST_ATTEMPTS = 3;

/**
 * Messages: ingest (one statement writes the message and its deliveries, then the jobs are
 * enqueued), reads with decrypted payloads, and erasure.
 */
@Injectable()
export class MessageService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly messages: MessageRepository,
    private readonly lookup: MessagingLookupService,
    private readonly wakeups: DeliveryWakeups,
    private readonly keys: TenantKeysService,
    private readonly validator: PayloadSchemaValidator,
    private readonly metrics: ApiMetrics,
    private readonly idempotency: IdempotencyRepository,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly applications: ApplicationService,
  ) {}

  async create(ctx: RequestContext, appIdOrUid: string, input: MessageIn, withContent: boolean): Promise<MessageOut> {
    const raw = rawPayloadOf(input);
    const payloadText = raw ? this.checkedSize(raw.text) : this.serialize(input.payload);
    const now = new Date();
    const retentionMs = messageRetentionMs(input);
    // The first try may route with a context this process read for an earlier message (no read
    // of its own); the insert checks it is still the database's and stores nothing if not. Then
    // the message is routed again from a fresh read; the last try is not checked, as before
    // contexts were kept (endpoints that change on every message would otherwise never settle).
    for (let attempt = 1; ; attempt += 1) {
      const read = await this.ingestContext(ctx, appIdOrUid, input, now, retentionMs, raw !== null, attempt === 1);
      const context = attempt < MAX_INGEST_ATTEMPTS ? read : { ...read, check: null };
      const channels = input.channels ?? [];
      const out = await this.ingest(ctx, {
        context,
        eventType: input.eventType,
        payload: raw ? readPayloadText(raw.text) : input.payload,
        payloadText,
        rawContentType: raw?.contentType ?? null,
        eventId: input.eventId ?? null,
        channels,
        tags: input.tags ?? [],
        retentionMs,
        deliverAt: input.deliverAt ?? null,
        routes: routeMessage(context.endpoints, input.eventType, channels),
        now,
      });
      if (out === STALE) continue;
      return withContent ? out : { ...out, payload: {} };
    }
  }

  /**
   * The app, its endpoints and the event type for this message, checked against the request
   * (app exists or is created from the body, `deliverAt`, the payload's schema). A kept context
   * (`mayUseCached`) that refuses the message is read again first: the refusal must be the
   * database's, not an old copy's.
   */
  private async ingestContext(ctx: RequestContext, appIdOrUid: string, input: MessageIn, now: Date, retentionMs: number, raw: boolean, mayUseCached: boolean): Promise<IngestContext> {
    const cached = mayUseCached ? this.messages.cachedIngestContext(ctx.scope, appIdOrUid, input.eventType) : undefined;
    if (cached) {
      try {
        await this.checkMessage(ctx, cached, input, now, retentionMs, raw);
        this.metrics.ingestContexts.inc({ source: 'kept' });
        return cached;
      } catch {
        // Read again below, and answer from that.
      }
    }
    let context = await this.messages.loadIngestContext(ctx.scope, appIdOrUid, input.eventType);
    // Only a uid creates: a path shaped like an id names another tenant's app (or a deleted one).
    if (!context && input.application && !APP_ID_SHAPE.test(appIdOrUid)) {
      assertSameUid(appIdOrUid, input.application.uid);
      // Checked before the application is created, so a refused message creates nothing.
      this.assertDeliverAt(input.deliverAt, now, retentionMs, await this.messages.tenantPayloadRetentionDays(ctx.scope));
      await this.applications.createFromBody(ctx, appIdOrUid, input.application, 'message.create');
      context = await this.messages.loadIngestContext(ctx.scope, appIdOrUid, input.eventType);
    }
    if (!context) throw new NotFoundError('Application');
    await this.checkMessage(ctx, context, input, now, retentionMs, raw);
    this.metrics.ingestContexts.inc({ source: 'read' });
    return context;
  }

  private async checkMessage(ctx: RequestContext, context: IngestContext, input: MessageIn, now: Date, retentionMs: number, raw: boolean): Promise<void> {
    this.assertDeliverAt(input.deliverAt, now, retentionMs, context.payloadRetentionDays);
    // A raw payload is the producer's own bytes (maybe not JSON): the event type's schema is not applied.
    if (context.eventType && !raw) {
      const { id, updatedAt } = context.eventType;
      await this.validator.validate(
        { cacheKey: `${id}:${updatedAt.getTime()}`, loadSchemas: () => this.messages.findEventTypeSchemas(ctx.scope, id) },
        input.payload,
      );
    }
  }

  /** A message of the event type's example payload, routed to this one endpoint only. */
  async sendExample(ctx: RequestContext, appIdOrUid: string, endpointIdOrUid: string, input: EventExampleIn): Promise<MessageOut> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const endpoint = await this.lookup.endpoint(ctx, app.id, endpointIdOrUid);
    const read = await this.messages.loadIngestContext(ctx.scope, app.id, input.eventType);
    if (!read) throw new NotFoundError('Application');
    // The app's context with this one endpoint; examples are stored unchecked, as they always were.
    const context: IngestContext = { ...read, endpoints: read.endpoints.filter((e) => e.id === endpoint.id), check: null };
    let payload: Record<string, unknown>;
    // Svix's ping needs no event type of the tenant's: its example is always {"success": true}.
    if (input.eventType === PING_EVENT_TYPE) payload = { ...PING_PAYLOAD };
    else if (!context.eventType) throw new NotFoundError('Event type');
    else payload = exampleOf(await this.messages.findEventTypeSchemas(ctx.scope, context.eventType.id), input.exampleIndex ?? 0);
    return this.ingest(ctx, {
      context,
      eventType: input.eventType,
      payload,
      payloadText: this.serialize(payload),
      rawContentType: null,
      eventId: null,
      channels: [],
      tags: [],
      retentionMs: DEFAULT_MESSAGE_RETENTION_DAYS * DAY_MS,
      deliverAt: null,
      now: new Date(),
      // The example goes to the endpoint that asked for it, whatever its filters.
      routes: context.endpoints.map((e) => ({ endpointId: e.id, status: e.disabled ? 'skipped' : 'pending' })),
    }).then((out) => {
      // Unchecked inserts are never stale.
      if (out === STALE) throw new Error('an unchecked ingest reported a stale context');
      return out;
    });
  }

  async list(ctx: RequestContext, appIdOrUid: string, query: MessageListQuery): Promise<ListResponse<MessageOut>> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const plan = planNewestFirst(query, 'msg');
    const rows = await this.messages.list(ctx.scope, { appId: app.id, plan, channel: query.channel, tag: query.tag, eventTypes: query.event_types });
    const page = takePage(rows, plan);
    const data = await Promise.all(page.rows.map(async (m) => toMessageOut(m, await this.lookup.payload(ctx.scope, m.payloadEnc, query.with_content))));
    return listResponse(page, (m) => m.id, data);
  }

  async get(ctx: RequestContext, appIdOrUid: string, msgIdOrEventId: string, withContent: boolean): Promise<MessageOut> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const message = await this.lookup.message(ctx, app.id, msgIdOrEventId);
    return toMessageOut(message, await this.lookup.payload(ctx.scope, message.payloadEnc, withContent));
  }

  /**
   * Right to erasure: the payload is gone at once, and so is the response kept for the
   * Idempotency-Key that created the message (it holds the payload); the metadata stays.
   */
  async expungeContent(ctx: RequestContext, appIdOrUid: string, msgIdOrEventId: string): Promise<void> {
    const app = await this.lookup.app(ctx, appIdOrUid);
    const message = await this.lookup.message(ctx, app.id, msgIdOrEventId);
    await this.uow.run(ctx.scope, async (tx) => {
      await this.messages.erasePayload(tx, message.id);
      await this.idempotency.forgetResource(tx, message.id);
      await tx.audit(ctx.audit, {
        action: 'message.content.expunged',
        target: { type: 'message', id: message.id },
        details: { appId: app.id },
      });
    });
  }

  /** The payload as stored and sent; refused with 413 beyond HERALD_MAX_PAYLOAD_BYTES. */
  private serialize(payload: Record<string, unknown>): string {
    return this.checkedSize(JSON.stringify(payload));
  }

  private checkedSize(text: string): string {
    const size = Buffer.byteLength(text, 'utf8');
    const maxBytes = this.config.api.maxPayloadBytes;
    if (size > maxBytes) throw new PayloadTooLargeError(`Payload is ${size} bytes; the limit is ${maxBytes}`);
    return text;
  }

  /**
   * `deliverAt` must fall within the payload's retention (the message's own, capped by the
   * tenant's): a delivery due after its payload is erased could never be sent.
   */
  private assertDeliverAt(deliverAt: Date | null | undefined, now: Date, messageRetentionMs: number, tenantRetentionDays: number | null): void {
    if (!deliverAt) return;
    const retentionMs = this.effectiveRetentionMs(messageRetentionMs, tenantRetentionDays);
    if (deliverAt.getTime() > now.getTime() + retentionMs) {
      throw ValidationError.single(['body', 'deliverAt'], `must not be later than the payload's retention (${Math.round(retentionMs / HOUR_MS)} hours from now)`);
    }
  }

  private effectiveRetentionMs(messageRetentionMs: number, tenantRetentionDays: number | null): number {
    return Math.min(messageRetentionMs, (tenantRetentionDays ?? this.config.retention.defaultPayloadRetentionDays) * DAY_MS);
  }

  /** One span per ingest: its traceparent is stored with the message, so every attempt continues this trace. */
  private ingest(ctx: RequestContext, plan: IngestPlan): Promise<MessageOut | typeof STALE> {
    const attributes = { [SpanAttr.tenantId]: ctx.scope.tenantId, [SpanAttr.appId]: plan.context.appId, [SpanAttr.eventType]: plan.eventType };
    return inSpan('herald.ingest', attributes, (span) => this.ingestInSpan(ctx, plan, span));
  }

  private async ingestInSpan(ctx: RequestContext, plan: IngestPlan, span: Span): Promise<MessageOut | typeof STALE> {
    const { payloadText, now } = plan;
    const payloadSize = Buffer.byteLength(payloadText, 'utf8');
    const retentionMs = this.effectiveRetentionMs(plan.retentionMs, plan.context.payloadRetentionDays);
    const deliverAt = plan.deliverAt && plan.deliverAt.getTime() > now.getTime() ? plan.deliverAt : null;
    const messageId = newId('msg', now);
    const deliveries: NewDelivery[] = plan.routes.map((r) => ({
      id: newId('dlv', now),
      endpointId: r.endpointId,
      status: r.status,
      nextAttemptAt: r.status === 'pending' ? (deliverAt ?? now) : null,
    }));
    const message = {
      id: messageId,
      appId: plan.context.appId,
      eventType: plan.eventType,
      eventId: plan.eventId,
      channels: plan.channels,
      tags: plan.tags,
      payloadEnc: await this.keys.encrypt(ctx.scope, payloadText),
      payloadSize,
      payloadExpiresAt: new Date(now.getTime() + retentionMs),
      rawContentType: plan.rawContentType,
      createdAt: now,
      traceParent: currentTraceparent(),
    };
    span.setAttributes({ [SpanAttr.messageId]: messageId, [SpanAttr.deliveries]: deliveries.length });
    const outcome = await this.messages.insertWithDeliveries(ctx.scope, message, deliveries, plan.context.check);
    if (outcome === 'stale') {
      this.metrics.ingestContexts.inc({ source: 'stale' });
      span.setAttributes({ [SpanAttr.ingestStale]: true });
      return STALE;
    }
    if (outcome === 'duplicate') throw new ConflictError(`A message with eventId "${plan.eventId ?? ''}" already exists in this application`);

    const pending = deliveries.filter((d) => d.status === 'pending');
    this.metrics.messagesIngested.inc();
    if (pending.length > 0) this.metrics.deliveriesCreated.inc({ status: 'pending' }, pending.length);
    if (deliveries.length > pending.length) this.metrics.deliveriesCreated.inc({ status: 'skipped' }, deliveries.length - pending.length);
    // Committed: the dispatchers may take them now (a message for later is found when due).
    this.wakeups.notify(pending.map((d) => ({ tenantId: ctx.scope.tenantId, endpointId: d.endpointId })));

    const out = toMessageOut(message, plan.payload);
    if (deliverAt) out.deliverAt = deliverAt.toISOString();
    return out;
  }
}

/** The payload retention a message asks for (its hours or days; Svix's default is 90 days). */
function messageRetentionMs(input: Pick<MessageIn, 'payloadRetentionHours' | 'payloadRetentionPeriod'>): number {
  return input.payloadRetentionHours != null ? input.payloadRetentionHours * HOUR_MS : (input.payloadRetentionPeriod ?? DEFAULT_MESSAGE_RETENTION_DAYS) * DAY_MS;
}


/** The event type's example payload: `examples[index]` of its latest schema, or `{}`. */
export function exampleOf(schemas: unknown, index: number): Record<string, unknown> {
  const examples = latestSchema(schemas)?.['examples'];
  if (!Array.isArray(examples) || examples.length === 0) return {};
  const example: unknown = examples[index] ?? examples[0];
  return typeof example === 'object' && example !== null && !Array.isArray(example) ? (example as Record<string, unknown>) : {};
}
