import type { JobsOptions } from 'bullmq';
import { JOB_DELIVER, type DeliveryJobData } from './queue.constants';

/** Job data of a delivery: ids, and whether a person asked for this try (trigger type 1). */
export interface DeliveryJobPayload extends DeliveryJobData {
  manual?: true;
}

export interface DeliveryJob {
  name: typeof JOB_DELIVER;
  data: DeliveryJobPayload;
  opts: JobsOptions;
}

/**
 * Name of the dispatcher's custom backoff strategy: a failed try throws an error carrying the
 * delay the retry schedule chose (see docs/decisions/0003-retries.md).
 */
export const DELIVERY_BACKOFF = 'herald-retry-schedule';

/**
 * BullMQ's own attempt limit, set far above any retry schedule: the dispatcher decides when a
 * delivery is exhausted (from deliveries.attempt_count), BullMQ only runs the retries.
 */
export const DELIVERY_JOB_MAX_ATTEMPTS = 1000;

/**
 * The one way to enqueue a delivery (API ingest, resend, recover, outbox sweep). `jobId` is
 * the delivery id so duplicates collapse; a manual resend gets its own id. The dispatcher owns
 * the retry policy (libs/dispatch); keep these options in step with it.
 */
export function deliveryJob(deliveryId: string, tenantId: string, options: { delayMs?: number; manual?: boolean } = {}): DeliveryJob {
  return {
    name: JOB_DELIVER,
    data: options.manual ? { deliveryId, tenantId, manual: true } : { deliveryId, tenantId },
    opts: {
      jobId: options.manual ? `${deliveryId}-manual-${Date.now().toString(36)}` : deliveryId,
      delay: options.delayMs,
      attempts: DELIVERY_JOB_MAX_ATTEMPTS,
      backoff: { type: DELIVERY_BACKOFF },
      removeOnComplete: true,
      removeOnFail: true,
      // Retries are routine here, not exceptional: keep no stack traces in Redis.
      stackTraceLimit: 0,
    },
  };
}
