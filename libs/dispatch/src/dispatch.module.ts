import { Module } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { DeliveriesModule } from '@herald/deliveries';
import { HttpDeliveryClient } from '@herald/http-delivery';
import { createMetricsRegistry } from '@herald/observability';
import { BacklogMetrics } from './backlog.metrics';
import { BacklogRepository } from './backlog.repository';
import { DispatchLifecycleService } from './dispatch-lifecycle.service';
import { DISPATCHER_METRICS_REGISTRY, DispatchMetrics } from './dispatch.metrics';
import { DispatchService } from './dispatch.service';
import { EndpointContextRepository } from './endpoint-context.repository';
import { EndpointHealthRepository } from './endpoint-health.repository';
import { EndpointHealthService } from './endpoint-health.service';
import { LaneScheduler } from './lane-scheduler';
import { LaneSweepService } from './lane-sweep.service';
import { ThrottleRepository } from './throttle.repository';

/**
 * The dispatcher: lane scheduler, attempts, lane sweep, endpoint health.
 * Needs ConfigModule, DbModule, RedisModule and TenancyModule from the host app.
 */
@Module({
  imports: [DeliveriesModule],
  providers: [
    { provide: HttpDeliveryClient, useFactory: (config: HeraldConfig) => HttpDeliveryClient.fromConfig(config), inject: [HERALD_CONFIG] },
    { provide: DISPATCHER_METRICS_REGISTRY, useFactory: () => createMetricsRegistry('dispatcher') },
    DispatchMetrics,
    BacklogRepository,
    BacklogMetrics,
    EndpointContextRepository,
    ThrottleRepository,
    EndpointHealthRepository,
    DispatchService,
    EndpointHealthService,
    LaneScheduler,
    LaneSweepService,
    DispatchLifecycleService,
  ],
  exports: [DISPATCHER_METRICS_REGISTRY, LaneSweepService, LaneScheduler, EndpointHealthService],
})
export class DispatchModule {}
