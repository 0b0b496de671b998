import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { HttpDeliveryClient } from '@herald/delivery';
import { createMetricsRegistry } from '@herald/observability';
import { DELIVERY_QUEUE, OPERATIONAL_WEBHOOK_QUEUE } from '@herald/queue';
import { BacklogMetrics } from './backlog.metrics';
import { DispatchLifecycleService } from './dispatch-lifecycle.service';
import { DISPATCHER_METRICS_REGISTRY, DispatchMetrics } from './dispatch.metrics';
import { DispatchService } from './dispatch.service';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryRepository } from './delivery.repository';
import { EndpointContextRepository } from './endpoint-context.repository';
import { EndpointHealthRepository } from './endpoint-health.repository';
import { EndpointHealthService } from './endpoint-health.service';
import { OperationalWebhookProcessor } from './operational-webhook.processor';
import { OperationalWebhookRepository } from './operational-webhook.repository';
import { OperationalWebhookService } from './operational-webhook.service';
import { OutboxRepository } from './outbox.repository';
import { OutboxSweepService } from './outbox-sweep.service';
import { ThrottleRepository } from './throttle.repository';

/**
 * The dispatcher: delivery and operational-webhook workers, outbox sweep, endpoint health.
 * Needs ConfigModule, DbModule, RedisModule, CoreModule and bullRoot() from the host app.
 */
@Module({
  imports: [BullModule.registerQueue({ name: DELIVERY_QUEUE }, { name: OPERATIONAL_WEBHOOK_QUEUE })],
  providers: [
    { provide: HttpDeliveryClient, useFactory: (config: HeraldConfig) => HttpDeliveryClient.fromConfig(config), inject: [HERALD_CONFIG] },
    { provide: DISPATCHER_METRICS_REGISTRY, useFactory: () => createMetricsRegistry('dispatcher') },
    DispatchMetrics,
    BacklogMetrics,
    DeliveryRepository,
    EndpointContextRepository,
    ThrottleRepository,
    OutboxRepository,
    EndpointHealthRepository,
    OperationalWebhookRepository,
    DispatchService,
    EndpointHealthService,
    OperationalWebhookService,
    OutboxSweepService,
    DeliveryProcessor,
    OperationalWebhookProcessor,
    DispatchLifecycleService,
  ],
  exports: [DISPATCHER_METRICS_REGISTRY, OutboxSweepService, EndpointHealthService, OperationalWebhookService],
})
export class DispatchModule {}
