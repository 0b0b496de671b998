import { Inject, Injectable, Logger } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { TenantKeysService, tenantScope, type TenantScope } from '@herald/tenancy';
import { newId } from '@herald/db';
import {
  ATTEMPT_FAIL,
  ATTEMPT_SUCCESS,
  decideRetry,
  DeliveryLaneRepository,
  internalErrorBackoffMs,
  OperationalEvents,
  type AttemptFailure,
  type CircuitTransition,
  type ClaimedDelivery,
  type DispatchWrite,
  type MessageAttemptEventData,
  type OperationalEventRow,
  type RetryDecision,
} from '@herald/deliveries';
import { HttpDeliveryClient, type DeliveryResult } from '@herald/http-delivery';
import { contextFromTraceparent, failSpan, heraldTracer, SpanAttr } from '@herald/observability';
import { webhookHeaders } from '@herald/signing';
import { DispatchMetrics } from './dispatch.metrics';
import type { EndpointContext } from './endpoint-context.repository';
import { EndpointHealthService } from './endpoint-health.service';
import { OpenedPayloads } from './opened-payloads';

/** Svix sends `message.attempt.failing` on the fourth failed try. */
const FAILING_NOTICE_AT = 4;
/** How long one decryption of a payload serves the other deliveries of its message. */
const OPENED_REUSE_MS = 1_000;
/** Plaintext kept for that reuse, at most (sealed bytes). */
const OPENED_MAX_BYTES = 32 << 20;

type Outcome = { kind: 'success' } | RetryDecision;

/** An attempt made and not yet recorded. */
export interface SentAttempt {
  delivery: ClaimedDelivery;
  endpoint: EndpointContext;
  result: DeliveryResult;
  outcome: Outcome;
  at: Date;
  /** The attempt's span, ended once the attempt is recorded. */
  span: Span;
}

/** What one attempt did, for the scheduler. */
export interface AttemptReport {
  ok: boolean;
  /** When the delivery is due again (a retry), if it is. */
  retryAt: Date | null;
  /** The endpoint was disabled (410 Gone). */
  disabled: boolean;
  /** The endpoint's circuit changed with this attempt's write. */
  transition: CircuitTransition | null;
}

/**
 * One attempt of one claimed delivery: sign, send, record, decide what comes next (retry time,
 * failure, success), and the operational events it causes — all written in one commit.
 * See docs/decisions/0003-retries.md and 0010-dispatcher-v2.md.
 */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger('Dispatch');
  private readonly opened = new OpenedPayloads(OPENED_REUSE_MS, OPENED_MAX_BYTES);

  constructor(
    private readonly lanes: DeliveryLaneRepository,
    private readonly keys: TenantKeysService,
    private readonly client: HttpDeliveryClient,
    private readonly health: EndpointHealthService,
    private readonly opEvents: OperationalEvents,
    private readonly metrics: DispatchMetrics,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  /**
   * Signs and sends one claimed delivery and decides what comes next. Nothing is recorded
   * yet: the caller frees the endpoint's slot as soon as this resolves, then records.
   */
  async send(delivery: ClaimedDelivery, endpoint: EndpointContext): Promise<SentAttempt> {
    const attemptNo = delivery.attemptCount + 1;
    // A child of the ingest span whose traceparent the message carries: one trace per message.
    const span = heraldTracer().startSpan(
      'herald.delivery.attempt',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [SpanAttr.tenantId]: delivery.tenantId,
          [SpanAttr.appId]: delivery.appId,
          [SpanAttr.endpointId]: endpoint.id,
          [SpanAttr.messageId]: delivery.messageId,
          [SpanAttr.deliveryId]: delivery.id,
          [SpanAttr.attemptNumber]: attemptNo,
          'http.request.method': 'POST',
        },
      },
      contextFromTraceparent(delivery.traceParent),
    );
    try {
      return await this.sendInSpan(delivery, endpoint, attemptNo, span);
    } catch (err) {
      failSpan(span, err);
      span.end();
      throw err;
    }
  }

  private async sendInSpan(delivery: ClaimedDelivery, endpoint: EndpointContext, attemptNo: number, span: Span): Promise<SentAttempt> {
    const scope = tenantScope(delivery.tenantId);
    const now = Date.now();
    const keys = endpoint.keys.filter((k) => k.expiresAt === null || k.expiresAt > now).map((k) => k.key);

    let result: DeliveryResult;
    if (!delivery.payloadEnc) {
      result = failure('the message payload was erased before it could be delivered');
    } else if (keys.length === 0) {
      result = failure('the endpoint has no active signing secret');
    } else {
      // Serialised once at ingest (or the producer's raw bytes); these exact bytes are signed and sent.
      const sealed = delivery.payloadEnc;
      const body = await this.opened.get(scope.tenantId, delivery.messageId, sealed.byteLength, now, () => this.keys.decrypt(scope, sealed));
      const headers = { ...endpoint.headers, ...webhookHeaders({ msgId: delivery.messageId, timestamp: Math.floor(now / 1000), body, keys, svixHeaders: endpoint.sendSvixHeaders }) };
      result = await this.client.send({ url: endpoint.url, headers, body, contentType: delivery.rawContentType ?? undefined });
    }
    const outcome: Outcome = result.ok
      ? { kind: 'success' }
      : !delivery.payloadEnc
        ? { kind: 'exhausted' }
        : decideRetry(attemptNo, this.config.delivery.retryScheduleSeconds, failureOf(result));
    span.setAttribute('http.response.status_code', result.status);
    if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.kind ?? `status ${result.status}` });
    return { delivery, endpoint, result, outcome, at: new Date(), span };
  }

  /**
   * Records a sent attempt: its row, the delivery's next state, the endpoint's streak and
   * circuit, the operational events it causes — one commit, retried while PostgreSQL is away.
   */
  async record(sent: SentAttempt, shouldStop: () => boolean): Promise<AttemptReport> {
    const { span } = sent;
    try {
      // Active while recording: operational events this attempt causes continue its trace.
      return await context.with(trace.setSpan(context.active(), span), () => this.recordInSpan(sent, shouldStop));
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  private async recordInSpan(sent: SentAttempt, shouldStop: () => boolean): Promise<AttemptReport> {
    const { delivery, endpoint, result, outcome, at, span } = sent;
    const scope = tenantScope(delivery.tenantId);
    const attemptId = newId('atmpt', at);
    span.setAttributes({ [SpanAttr.attemptId]: attemptId, [SpanAttr.outcome]: outcome.kind });
    const events = await this.events(scope, delivery, endpoint, delivery.attemptCount + 1, outcome, { id: attemptId, responseStatusCode: result.status, timestamp: at.toISOString() });
    const write: DispatchWrite = {
      attempt: {
        id: attemptId,
        tenantId: scope.tenantId,
        appId: delivery.appId,
        messageId: delivery.messageId,
        endpointId: endpoint.id,
        deliveryId: delivery.id,
        url: endpoint.url,
        status: result.ok ? ATTEMPT_SUCCESS : ATTEMPT_FAIL,
        responseStatus: result.status,
        // An empty body is stored as NULL: nothing to protect, and no encryption spent on it.
        responseEnc: result.body.length === 0 ? null : await this.keys.encrypt(scope, result.body),
        durationMs: result.durationMs,
        triggerType: delivery.triggerType,
        error: result.error?.message ?? null,
        createdAt: at,
      },
      delivery: {
        id: delivery.id,
        tenantId: scope.tenantId,
        status: outcome.kind === 'success' ? 'success' : outcome.kind === 'retry' ? 'pending' : 'failed',
        attemptIncrement: 1,
        nextAttemptAt: outcome.kind === 'retry' ? new Date(at.getTime() + outcome.delayMs) : null,
        lastAttemptAt: at,
      },
      endpoint: { endpointId: endpoint.id, tenantId: scope.tenantId, ok: result.ok, at },
      events: events.length > 0 ? events : undefined,
    };
    const transition = await this.writeDurably(scope, write, shouldStop);
    this.opEvents.wake(events);

    this.metrics.attempt(result.status, !result.ok, result.durationMs);
    this.metrics.outcomes.inc({ outcome: outcome.kind === 'success' ? 'success' : outcome.kind === 'retry' ? 'retry' : 'failed' });
    if (result.ok) this.metrics.ingestToDeliverySeconds.observe((at.getTime() - delivery.messageCreatedAt.getTime()) / 1000);
    // The outcome is recorded; what follows from it must not make it look unrecorded.
    try {
      if (outcome.kind === 'gone') await this.health.disable(scope, endpoint, 'the endpoint answered 410 Gone');
      if (transition && !endpoint.operational) await this.announceCircuit(scope, endpoint, transition);
    } catch (err) {
      this.logger.error({ err, msg: `after recording ${delivery.id}: ${err instanceof Error ? err.message : String(err)}` });
    }
    return { ok: result.ok, retryAt: write.delivery.nextAttemptAt, disabled: outcome.kind === 'gone', transition };
  }

  /** An endpoint disabled or gone: its due deliveries are skipped (resendable, never sent). */
  async skip(scope: TenantScope, endpointId: string, limit: number): Promise<number> {
    const skipped = await this.lanes.skipDue({ tenantId: scope.tenantId, endpointId }, limit);
    if (skipped > 0) this.metrics.outcomes.inc({ outcome: 'skipped' }, skipped);
    return skipped;
  }

  /**
   * The attempt happened: its record must land. While PostgreSQL is away the write is retried
   * (holding the slot, so nothing more is claimed meanwhile) until it lands or the process stops.
   */
  private async writeDurably(scope: TenantScope, write: DispatchWrite, shouldStop: () => boolean): Promise<CircuitTransition | null> {
    for (let tries = 1; ; tries++) {
      try {
        return await this.lanes.write(scope, write);
      } catch (err) {
        if (shouldStop() && tries >= 3) throw err;
        const delay = Math.min(internalErrorBackoffMs(tries), 5_000);
        this.logger.warn(`recording attempt of ${write.delivery.id} failed (try ${tries}), again in ${delay} ms: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** The operational events an attempt causes (Svix's message.attempt.*). */
  private async events(
    scope: TenantScope,
    delivery: ClaimedDelivery,
    endpoint: EndpointContext,
    attemptNo: number,
    outcome: Outcome,
    lastAttempt: MessageAttemptEventData['lastAttempt'],
  ): Promise<OperationalEventRow[]> {
    // Attempts to the operational endpoints themselves announce nothing (no loops).
    if (endpoint.operational) return [];
    const data: MessageAttemptEventData = { appId: delivery.appId, appUid: endpoint.appUid, endpointId: endpoint.id, msgId: delivery.messageId, msgEventId: delivery.eventId, lastAttempt };
    let row: OperationalEventRow | null = null;
    if (outcome.kind === 'success') {
      // "recovered" follows a "failing" notice, which went out at the fourth failure.
      if (delivery.attemptCount >= FAILING_NOTICE_AT) row = await this.opEvents.prepare(scope, 'message.attempt.recovered', data);
    } else if (outcome.kind === 'retry') {
      if (attemptNo === FAILING_NOTICE_AT) row = await this.opEvents.prepare(scope, 'message.attempt.failing', data);
    } else {
      row = await this.opEvents.prepare(scope, 'message.attempt.exhausted', data);
    }
    return row ? [row] : [];
  }

  private async announceCircuit(scope: TenantScope, endpoint: EndpointContext, t: CircuitTransition): Promise<void> {
    if (t.to === 'half-open') return;
    const type = t.to === 'open' ? 'endpoint.circuit.opened' : 'endpoint.circuit.closed';
    // Only real openings and closings (not a failed probe re-opening the circuit).
    if (t.to === 'open' && t.from !== 'closed') return;
    this.logger.log(`circuit of endpoint ${endpoint.id} (tenant ${scope.tenantId}) ${t.to}`);
    await this.opEvents.emit(scope, type, {
      appId: endpoint.appId,
      appUid: endpoint.appUid,
      endpointId: endpoint.id,
      endpointUid: endpoint.uid,
      state: t.to,
      consecutiveFailures: t.consecutiveFailures,
      nextProbeAt: t.probeAt ? t.probeAt.toISOString() : null,
    });
  }
}

/** A try that could not be made at all; recorded like a failed request, with the reason. */
function failure(message: string): DeliveryResult {
  return { status: 0, ok: false, body: Buffer.alloc(0), truncated: false, durationMs: 0, error: { kind: 'network', message } };
}

function failureOf(result: DeliveryResult): AttemptFailure {
  if (result.error) return result.error.kind === 'timeout' ? { kind: 'timeout' } : { kind: result.error.kind };
  return { kind: 'status', status: result.status, retryAfterMs: result.retryAfterMs };
}
