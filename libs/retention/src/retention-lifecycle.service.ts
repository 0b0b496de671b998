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

/** Longest time between two checks that the job scheduler still exists. */
const SCHEDULER_CHECK_MAX_MS = 60_000;

/**
 * Schedules retention runs (BullMQ job scheduler, every HERALD_RETENTION_INTERVAL_MINUTES)
 * and starts and stops the worker. Nest destroys global modules (PrismaService) after this
 * one, so the run in progress is stopped and drained here.
 *
 * Any number of retention processes may run: they all upsert the same scheduler id, which
 * BullMQ keeps as one schedule (an upsert replaces the pending iteration at the same time),
 * and each iteration is one job that one worker takes — one run per period fleet-wide. The
 * schedule lives in Redis only, so each process also checks every period (at most every
 * minute) that it still exists and recreates it when Redis lost it (a flush, a restart
 * without persistence, a failover to a replica that had not received it).
 */
@Injectable()
export class RetentionLifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private schedulerCheck: NodeJS.Timeout | undefined;

  constructor(
    @InjectQueue(RETENTION_QUEUE) private readonly queue: Queue<RetentionJobData>,
    private readonly processor: RetentionProcessor,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  private get everyMs(): number {
    return this.config.retention.intervalMinutes * 60_000;
  }

  private async upsertScheduler(): Promise<void> {
    await this.queue.upsertJobScheduler(
      RETENTION_SCHEDULER_ID,
      { every: this.everyMs },
      { name: JOB_RETENTION_RUN, data: {}, opts: { attempts: 1, removeOnComplete: 50, removeOnFail: 50 } },
    );
  }

  /** Recreates the job scheduler if Redis no longer has it. */
  async ensureScheduler(): Promise<boolean> {
    if (await this.queue.getJobScheduler(RETENTION_SCHEDULER_ID)) return false;
    await this.upsertScheduler();
    this.logger.warn('the retention job scheduler was missing from Redis (data lost?): recreated');
    return true;
  }

  async onApplicationBootstrap(): Promise<void> {
    // At boot always upsert: HERALD_RETENTION_INTERVAL_MINUTES may have changed.
    await this.upsertScheduler();
    this.schedulerCheck = setInterval(
      () => {
        this.ensureScheduler().catch((err: unknown) => this.logger.warn(`retention job scheduler not checked (again next period): ${err instanceof Error ? err.message : String(err)}`));
      },
      Math.min(this.everyMs, SCHEDULER_CHECK_MAX_MS),
    );
    this.schedulerCheck.unref();
    const worker = this.processor.worker;
    worker.on('error', (err) => this.logger.warn(`worker ${worker.name}: ${err.message}`));
    worker.on('failed', (job, err) => this.logger.error({ err, jobId: job?.id, msg: `retention job ${job?.id ?? '?'} failed: ${err.message}` }));
    worker.run().catch((err: unknown) => {
      this.logger.error({ err, msg: `retention worker stopped: ${err instanceof Error ? err.message : String(err)}` });
    });
    this.logger.log(`retention scheduled every ${this.config.retention.intervalMinutes} min`);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.schedulerCheck);
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
