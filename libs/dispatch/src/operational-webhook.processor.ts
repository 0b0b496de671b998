import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { OPERATIONAL_WEBHOOK_QUEUE, type OperationalWebhookJobData } from '@herald/queue';
import { OperationalWebhookService } from './operational-webhook.service';

@Processor(OPERATIONAL_WEBHOOK_QUEUE, { autorun: false, concurrency: 10 })
export class OperationalWebhookProcessor extends WorkerHost {
  constructor(private readonly opWebhooks: OperationalWebhookService) {
    super();
  }

  process(job: Job<OperationalWebhookJobData>): Promise<void> {
    return this.opWebhooks.send(job);
  }
}
