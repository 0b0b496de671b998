import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { DeliveryLaneRepository, DeliveryWakeupListener } from '@herald/deliveries';
import { HttpDeliveryClient } from '@herald/http-delivery';
import { LaneScheduler } from './lane-scheduler';
import { LaneSweepService } from './lane-sweep.service';

/** Extra time, beyond one delivery timeout, that attempts in flight get to finish at shutdown. */
const DRAIN_GRACE_MS = 5_000;

/**
 * Starts and stops the dispatcher in order. Nest destroys global modules (PrismaService)
 * after this one, so the whole drain happens here: stop listening and sweeping, stop
 * claiming, let attempts in flight finish and be recorded (bounded), close the HTTP pools.
 */
@Injectable()
export class DispatchLifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dispatcher');

  constructor(
    private readonly scheduler: LaneScheduler,
    private readonly sweep: LaneSweepService,
    private readonly wakeups: DeliveryWakeupListener,
    private readonly lanes: DeliveryLaneRepository,
    private readonly client: HttpDeliveryClient,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.wakeups.listen((lanes) => this.scheduler.wake(lanes));
    } catch (err) {
      // Wake-ups only save latency: without Redis the sweep still finds every delivery.
      this.logger.warn(`not listening for wake-ups yet (Redis): ${err instanceof Error ? err.message : String(err)}`);
    }
    this.sweep.start();
    this.logger.log(`dispatching as ${this.lanes.owner}: ${this.config.delivery.concurrency} slots, ${this.config.delivery.endpointMaxInFlight} per endpoint, tenant share ${this.config.delivery.tenantShare}`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweep.stop();
    await this.scheduler.stop(this.config.delivery.timeoutMs + DRAIN_GRACE_MS);
    await this.lanes.drain();
    await this.client.close();
  }
}
