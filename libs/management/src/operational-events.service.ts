import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { TenantScope } from '@herald/core';
import { OPERATIONAL_WEBHOOK_QUEUE, operationalWebhookJob } from '@herald/queue';

type EndpointEvent = 'endpoint.created' | 'endpoint.updated' | 'endpoint.deleted';

// Enqueueing must not hold up the API when Redis is slow: BullMQ's connection waits through
// reconnects, so the add is bounded and, past the bound, logged.
const ENQUEUE_TIMEOUT_MS = 2_000;

/**
 * Emits the tenant's operational webhooks about its endpoints (Svix `endpoint.created/
 * updated/deleted`). Sent after the change committed, by the dispatcher, to the tenant's
 * operationalWebhookUrl; tenants without one get nothing (the dispatcher drops the job).
 */
@Injectable()
export class OperationalEventsService {
  private readonly logger = new Logger('OperationalEvents');

  constructor(@InjectQueue(OPERATIONAL_WEBHOOK_QUEUE) private readonly queue: Queue) {}

  /** Fire-and-forget after commit: the change stands whether or not the notice goes out. */
  endpointChanged(scope: TenantScope, type: EndpointEvent, app: { id: string; uid: string | null }, endpoint: { id: string; uid: string | null }): void {
    const job = operationalWebhookJob(scope.tenantId, type, { appId: app.id, appUid: app.uid, endpointId: endpoint.id, endpointUid: endpoint.uid });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
    });
    Promise.race([this.queue.add(job.name, job.data, job.opts), timeout])
      .catch((err: unknown) => this.logger.error(`operational webhook ${type} for ${endpoint.id} not enqueued: ${String(err)}`))
      .finally(() => clearTimeout(timer));
  }
}
