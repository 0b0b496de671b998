import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DelayedError, type Job, type Queue } from 'bullmq';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { NotFoundError, TenantKeysService, tenantScope, type TenantScope } from '@herald/core';
import { newId } from '@herald/db';
import { HttpDeliveryClient, type DeliveryResult } from '@herald/delivery';
import { DELIVERY_QUEUE, deliveryJob, type DeliveryJobPayload, type MessageAttemptEventData } from '@herald/queue';
import { webhookHeaders } from '@herald/signing';
import { DispatchMetrics } from './dispatch.metrics';
import { DeliveryRepository, type DeliveryRow, type DispatchWrite } from './delivery.repository';
import { EndpointContextRepository, type EndpointContext } from './endpoint-context.repository';
import { EndpointHealthService } from './endpoint-health.service';
import { OperationalWebhookService } from './operational-webhook.service';
import { decideRetry, RetryLaterError, type AttemptFailure, type RetryDecision } from './retry-policy';
import { ThrottleRepository } from './throttle.repository';

const ACTIVE_STATUSES = new Set(['pending', 'sending']);
/** Svix sends `message.attempt.failing` on the fourth failed try. */
const FAILING_NOTICE_AT = 4;

const ATTEMPT_SUCCESS = 0;
const ATTEMPT_FAIL = 2;

type Outcome = { kind: 'success' } | RetryDecision;

/**
 * One delivery job: load, check, throttle, sign, send, record, decide what comes next.
 * Retries go through BullMQ (a recorded failure throws RetryLaterError, whose delay the
 * queue's backoff strategy uses); see docs/decisions/0003-retries.md.
 */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger('Dispatch');

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly endpoints: EndpointContextRepository,
    private readonly throttle: ThrottleRepository,
    private readonly keys: TenantKeysService,
    private readonly client: HttpDeliveryClient,
    private readonly health: EndpointHealthService,
    private readonly opWebhooks: OperationalWebhookService,
    private readonly metrics: DispatchMetrics,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue<DeliveryJobPayload>,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async deliver(job: Job<DeliveryJobPayload>, token: string | undefined): Promise<void> {
    const scope = tenantScope(job.data.tenantId);
    const delivery = await this.deliveries.load(scope, job.data.deliveryId);
    // Gone (purged) or finished: a duplicate or stale job has nothing to do.
    if (!delivery || !ACTIVE_STATUSES.has(delivery.status)) return;

    let endpoint: EndpointContext | null;
    try {
      endpoint = await this.endpoints.get(scope, delivery.endpointId);
    } catch (err) {
      // The tenant was deleted (its data key is gone): nothing can be sent for it any more.
      if (!(err instanceof NotFoundError)) throw err;
      endpoint = null;
    }
    if (!endpoint || endpoint.disabled) {
      await this.deliveries.write(scope, { delivery: { id: delivery.id, tenantId: scope.tenantId, status: 'skipped', attemptIncrement: 0, nextAttemptAt: null, lastAttemptAt: null } });
      this.metrics.outcomes.inc({ outcome: 'skipped' });
      return;
    }

    if (endpoint.throttleRate) {
      const waitMs = await this.throttle.acquire(endpoint.id, job.id ?? delivery.id, endpoint.throttleRate);
      if (waitMs > 0) {
        const at = Date.now() + waitMs;
        // Keeps next_attempt_at truthful for the sweep; not awaited, a late or lost update only
        // makes the sweep look earlier, and it finds the delayed job.
        this.deliveries
          .write(scope, { delivery: { id: delivery.id, tenantId: scope.tenantId, status: 'pending', attemptIncrement: 0, nextAttemptAt: new Date(at), lastAttemptAt: null } })
          .catch((err: unknown) => this.logger.warn(`could not record the throttled schedule of ${delivery.id}: ${String(err)}`));
        this.metrics.outcomes.inc({ outcome: 'throttled' });
        await job.moveToDelayed(at, token);
        throw new DelayedError();
      }
    }

    await this.attempt(job, scope, delivery, endpoint);
  }

  private async attempt(job: Job<DeliveryJobPayload>, scope: TenantScope, delivery: DeliveryRow, endpoint: EndpointContext): Promise<void> {
    const manual = job.data.manual === true;
    const attemptNo = delivery.attemptCount + 1;
    const now = Date.now();
    const keys = endpoint.keys.filter((k) => k.expiresAt === null || k.expiresAt > now).map((k) => k.key);

    let result: DeliveryResult;
    if (!delivery.payloadEnc) {
      result = failure('the message payload was erased before it could be delivered');
    } else if (keys.length === 0) {
      result = failure('the endpoint has no active signing secret');
    } else {
      // Serialised once at ingest; these exact bytes are signed and sent.
      const body = await this.keys.decrypt(scope, delivery.payloadEnc);
      const headers = { ...endpoint.headers, ...webhookHeaders({ msgId: delivery.messageId, timestamp: Math.floor(now / 1000), body, keys, svixHeaders: endpoint.sendSvixHeaders }) };
      result = await this.client.send({ url: endpoint.url, headers, body });
    }

    const outcome: Outcome = result.ok
      ? { kind: 'success' }
      : !delivery.payloadEnc
        ? { kind: 'exhausted' }
        : decideRetry(attemptNo, this.config.delivery.retryScheduleSeconds, failureOf(result));
    const at = new Date();
    const attemptId = newId('atmpt');
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
        responseEnc: await this.keys.encrypt(scope, result.body),
        durationMs: result.durationMs,
        triggerType: manual ? 1 : 0,
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
      endpoint: { endpointId: endpoint.id, tenantId: scope.tenantId, failedAt: result.ok ? null : at },
    };
    // Durable before the job is acknowledged (completed or moved to its retry).
    await this.deliveries.write(scope, write);

    this.metrics.attempt(result.status, !result.ok, result.durationMs);
    this.metrics.outcomes.inc({ outcome: outcome.kind === 'success' ? 'success' : outcome.kind === 'retry' ? 'retry' : 'failed' });
    if (result.ok) this.metrics.ingestToDeliverySeconds.observe((at.getTime() - delivery.messageCreatedAt.getTime()) / 1000);

    await this.notify(scope, delivery, endpoint, attemptNo, outcome, { id: attemptId, responseStatusCode: result.status, timestamp: at.toISOString() });

    switch (outcome.kind) {
      case 'success':
      case 'exhausted':
        return;
      case 'gone':
        await this.health.disable(scope, endpoint, 'the endpoint answered 410 Gone');
        return;
      case 'retry':
        if (manual) {
          // A resend is not the delivery's own job chain: hand the retry to that chain.
          const retry = deliveryJob(delivery.id, scope.tenantId, { delayMs: outcome.delayMs });
          await this.queue.add(retry.name, retry.data, retry.opts);
          return;
        }
        throw new RetryLaterError(outcome.delayMs, result.error?.message ?? `HTTP ${result.status}`);
    }
  }

  private async notify(scope: TenantScope, delivery: DeliveryRow, endpoint: EndpointContext, attemptNo: number, outcome: Outcome, lastAttempt: MessageAttemptEventData['lastAttempt']): Promise<void> {
    if (!endpoint.hasOperationalWebhook) return;
    const data: MessageAttemptEventData = { appId: delivery.appId, appUid: endpoint.appUid, endpointId: endpoint.id, msgId: delivery.messageId, msgEventId: delivery.eventId, lastAttempt };
    if (outcome.kind === 'success') {
      // "recovered" follows a "failing" notice, which went out at the fourth failure.
      if (delivery.attemptCount >= FAILING_NOTICE_AT) await this.opWebhooks.emit(scope, 'message.attempt.recovered', data);
    } else if (outcome.kind === 'retry') {
      if (attemptNo === FAILING_NOTICE_AT) await this.opWebhooks.emit(scope, 'message.attempt.failing', data);
    } else {
      await this.opWebhooks.emit(scope, 'message.attempt.exhausted', data);
    }
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
