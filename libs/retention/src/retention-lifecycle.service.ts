import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { JOB_RETENTION_RUN, RETENTION_QUEUE, type RetentionJobData } from '@herald/queue';
import { RetentionProcessor } from './retention.processor';

/** The one job scheduler of the fleet: every retention process upserts the same id. */
export const RETENTION_SCHEDULER_ID = 'retention-run';

/** How long a stopping process waits for the current batch before forcing the worker closed. */
const CLOSE_BOUND_MS = 30_000;

/**
 * Schedules retention runs (BullMQ job scheduler, every HERALD_RETENTION_INTERVAL_MINUTES)
 * and starts and stops the worker. Nest destroys global modules (PrismaService) after this
 * one, so the run in progress is stopped and drained here.
 */
@Injectable()
export class RetentionLifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');

  constructor(
    @InjectQueue(RETENTION_QUEUE) private readonly queue: Queue<RetentionJobData>,
    private readonly processor: RetentionProcessor,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const every = this.config.retention.intervalMinutes * 60_000;
    await this.queue.upsertJobScheduler(
      RETENTION_SCHEDULER_ID,
      { every },
      { name: JOB_RETENTION_RUN, data: {}, opts: { attempts: 1, removeOnComplete: 50, removeOnFail: 50 } },
    );
    const worker = this.processor.worker;
    worker.on('error', (err) => this.logger.warn(`worker ${worker.name}: ${err.message}`));
    worker.on('failed', (job, err) => this.logger.error(`retention job ${job?.id ?? '?'} failed: ${err.message}`));
    worker.run().catch((err: unknown) => {
      this.logger.error(`retention worker stopped: ${err instanceof Error ? err.message : String(err)}`, err instanceof Error ? err.stack : undefined);
    });
    this.logger.log(`retention scheduled every ${this.config.retention.intervalMinutes} min`);
  }

  async onModuleDestroy(): Promise<void> {
    this.processor.shutdown.abort();
    const worker = this.processor.worker;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CLOSE_BOUND_MS);
    });
    try {
      if ((await Promise.race([worker.close().then(() => 'closed' as const), timedOut])) === 'timeout') {
        this.logger.warn(`retention worker did not stop within ${CLOSE_BOUND_MS} ms; forcing it closed`);
        await worker.close(true);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
