import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { HttpDeliveryClient } from '@herald/delivery';
import { DeliveryProcessor } from './delivery.processor';
import { DeliveryRepository } from './delivery.repository';
import { OperationalWebhookProcessor } from './operational-webhook.processor';
import { OutboxSweepService } from './outbox-sweep.service';

/** Extra time, beyond one delivery timeout, that in-flight jobs get to finish at shutdown. */
const DRAIN_GRACE_MS = 5_000;

/**
 * Starts and stops the dispatcher in order. Nest runs a module's hooks concurrently and
 * destroys global modules (PrismaService) after this one, so the whole drain happens here, in
 * onModuleDestroy: stop taking jobs, let in-flight jobs finish (bounded), flush the write
 * buffer, close the HTTP pools.
 */
@Injectable()
export class DispatchLifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dispatcher');

  constructor(
    private readonly deliveryProcessor: DeliveryProcessor,
    private readonly opProcessor: OperationalWebhookProcessor,
    private readonly sweep: OutboxSweepService,
    private readonly deliveries: DeliveryRepository,
    private readonly client: HttpDeliveryClient,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.deliveryProcessor.worker.concurrency = this.config.delivery.concurrency;
    this.run(this.deliveryProcessor.worker);
    this.run(this.opProcessor.worker);
    this.sweep.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweep.stop();
    const bound = this.config.delivery.timeoutMs + DRAIN_GRACE_MS;
    await Promise.all([this.close(this.deliveryProcessor.worker, bound), this.close(this.opProcessor.worker, bound)]);
    await this.deliveries.drain();
    await this.client.close();
  }

  private run(worker: Worker): void {
    // Redis trouble (a lost job key after a flush, a dropped connection) surfaces here; the
    // delivery stays due in PostgreSQL and the sweep brings it back.
    worker.on('error', (err) => this.logger.warn(`worker ${worker.name}: ${err.message}`));
    worker.run().catch((err: unknown) => {
      this.logger.error(`worker ${worker.name} stopped: ${err instanceof Error ? err.message : String(err)}`, err instanceof Error ? err.stack : undefined);
    });
  }

  /** Graceful close; past the bound, force it (unfinished jobs stall and run again elsewhere). */
  private async close(worker: Worker, boundMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), boundMs);
    });
    try {
      if ((await Promise.race([worker.close().then(() => 'closed' as const), timedOut])) === 'timeout') {
        this.logger.warn(`worker ${worker.name} did not drain within ${boundMs} ms; forcing it closed`);
        await worker.close(true);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
