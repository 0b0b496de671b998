import { randomBytes } from 'node:crypto';
import type { JobsOptions } from 'bullmq';

/**
 * Operational webhooks: events about the tenant's own integration (Svix "operational
 * webhooks"), sent to tenant_settings.operational_webhook_url by the dispatcher. Any process
 * emits one by adding `operationalWebhookJob(...)` to OPERATIONAL_WEBHOOK_QUEUE.
 */
export const OPERATIONAL_WEBHOOK_QUEUE = 'operational-webhooks';
export const JOB_OPERATIONAL_WEBHOOK = 'operational-webhook';

export interface EndpointEventData {
  appId: string;
  appUid: string | null;
  endpointId: string;
  endpointUid: string | null;
}

export interface EndpointDisabledEventData extends EndpointEventData {
  failSince: string;
}

export interface MessageAttemptEventData {
  appId: string;
  appUid: string | null;
  endpointId: string;
  msgId: string;
  msgEventId: string | null;
  lastAttempt: { id: string; responseStatusCode: number; timestamp: string };
}

export interface OperationalEventMap {
  'endpoint.created': EndpointEventData;
  'endpoint.updated': EndpointEventData;
  'endpoint.deleted': EndpointEventData;
  'endpoint.disabled': EndpointDisabledEventData;
  'message.attempt.failing': MessageAttemptEventData;
  'message.attempt.exhausted': MessageAttemptEventData;
  'message.attempt.recovered': MessageAttemptEventData;
}

export type OperationalEventType = keyof OperationalEventMap;

/** Job data: ids and metadata only (no payloads, no secrets). */
export interface OperationalWebhookJobData<T extends OperationalEventType = OperationalEventType> {
  tenantId: string;
  /** `webhook-id` of the operational webhook, fixed at emission so retries share it. */
  eventId: string;
  type: T;
  /** ISO time of the event. */
  timestamp: string;
  data: OperationalEventMap[T];
}

export interface OperationalWebhookJob {
  name: typeof JOB_OPERATIONAL_WEBHOOK;
  data: OperationalWebhookJobData;
  opts: JobsOptions;
}

export function operationalWebhookJob<T extends OperationalEventType>(tenantId: string, type: T, data: OperationalEventMap[T], at: Date = new Date()): OperationalWebhookJob {
  const eventId = `msg_op${at.getTime().toString(36)}${randomBytes(8).toString('hex')}`;
  return {
    name: JOB_OPERATIONAL_WEBHOOK,
    data: { tenantId, eventId, type, timestamp: at.toISOString(), data },
    opts: {
      jobId: eventId,
      attempts: 8,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: true,
      stackTraceLimit: 0,
    },
  };
}
