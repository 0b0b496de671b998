import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { TenantKeysService, tenantScope, type TenantScope } from '@herald/core';
import { HttpDeliveryClient } from '@herald/delivery';
import { OPERATIONAL_WEBHOOK_QUEUE, operationalWebhookJob, type OperationalEventMap, type OperationalEventType, type OperationalWebhookJobData } from '@herald/queue';
import { parseSigningSecret, webhookHeaders } from '@herald/signing';
import { OperationalWebhookRepository } from './operational-webhook.repository';

/**
 * Operational webhooks (Svix shape `{type, timestamp, data}`) to the tenant's own URL, signed
 * with its operational secret and sent through the same guarded client as deliveries.
 * Emitting only enqueues; the OperationalWebhookProcessor sends, BullMQ retries.
 */
@Injectable()
export class OperationalWebhookService {
  private readonly logger = new Logger('OperationalWebhooks');

  constructor(
    @InjectQueue(OPERATIONAL_WEBHOOK_QUEUE) private readonly queue: Queue<OperationalWebhookJobData>,
    private readonly target: OperationalWebhookRepository,
    private readonly keys: TenantKeysService,
    private readonly client: HttpDeliveryClient,
  ) {}

  /** Never fails the caller: an operational webhook is a notification about work already done. */
  async emit<T extends OperationalEventType>(scope: TenantScope, type: T, data: OperationalEventMap[T]): Promise<void> {
    const job = operationalWebhookJob(scope.tenantId, type, data);
    try {
      await this.queue.add(job.name, job.data, job.opts);
    } catch (err) {
      this.logger.error(`could not enqueue ${type} for tenant ${scope.tenantId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async send(job: Job<OperationalWebhookJobData>): Promise<void> {
    const { tenantId, eventId, type, timestamp, data } = job.data;
    const scope = tenantScope(tenantId);
    const target = await this.target.target(scope);
    if (!target || !target.secretEnc) return;
    const body = Buffer.from(JSON.stringify({ type, timestamp, data }), 'utf8');
    const key = parseSigningSecret('hmac', await this.keys.decryptString(scope, target.secretEnc));
    const headers = webhookHeaders({ msgId: eventId, timestamp: Math.floor(Date.now() / 1000), body, keys: [key] });
    const result = await this.client.send({ url: target.url, headers, body });
    if (!result.ok) {
      throw new Error(`operational webhook ${type} to tenant ${tenantId} failed: ${result.error?.message ?? `HTTP ${result.status}`}`);
    }
  }
}
