import type { JobsOptions } from 'bullmq';
import { JOB_DELIVER, type DeliveryJobData } from './queue.constants';

export interface DeliveryJob {
  name: typeof JOB_DELIVER;
  data: DeliveryJobData;
  opts: JobsOptions;
}

/**
 * The one way to enqueue a delivery (API ingest, resend, recover, outbox sweep). `jobId` is
 * the delivery id so duplicates collapse; a manual resend gets its own id. The dispatcher owns
 * the retry policy (libs/dispatch); keep these options in step with it.
 */
export function deliveryJob(deliveryId: string, tenantId: string, options: { delayMs?: number; manual?: boolean } = {}): DeliveryJob {
  return {
    name: JOB_DELIVER,
    data: { deliveryId, tenantId },
    opts: {
      jobId: options.manual ? `${deliveryId}-manual-${Date.now().toString(36)}` : deliveryId,
      delay: options.delayMs,
      removeOnComplete: true,
      removeOnFail: true,
    },
  };
}
