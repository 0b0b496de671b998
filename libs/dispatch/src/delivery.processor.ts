import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { DELIVERY_QUEUE, type DeliveryJobPayload } from '@herald/queue';
import { DispatchService } from './dispatch.service';
import { deliveryBackoff } from './retry-policy';

/**
 * Worker options that cannot come from config at decoration time (concurrency can: the
 * lifecycle service sets it from HERALD_DISPATCHER_CONCURRENCY before starting the worker).
 * A killed dispatcher's jobs come back after the lock expires (≤ 15 s) and the next stalled
 * check (every 5 s).
 */
export const DELIVERY_WORKER_OPTIONS = {
  autorun: false,
  lockDuration: 15_000,
  stalledInterval: 5_000,
  maxStalledCount: 5,
  settings: { backoffStrategy: deliveryBackoff },
} as const;

@Processor(DELIVERY_QUEUE, DELIVERY_WORKER_OPTIONS)
export class DeliveryProcessor extends WorkerHost {
  constructor(private readonly dispatch: DispatchService) {
    super();
  }

  process(job: Job<DeliveryJobPayload>, token?: string): Promise<void> {
    return this.dispatch.deliver(job, token);
  }
}
