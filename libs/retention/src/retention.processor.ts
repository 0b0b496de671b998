import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { RETENTION_QUEUE, type RetentionJobData } from '@herald/queue';
import { RetentionService, type RetentionRunSummary } from './retention.service';

/**
 * One retention run per job, one job at a time per process. A run can take long: the lock is
 * renewed while it works, and a process that dies mid-run leaves a stalled job that another
 * process picks up (every batch already done stays done).
 */
export const RETENTION_WORKER_OPTIONS = {
  autorun: false,
  concurrency: 1,
  lockDuration: 60_000,
  stalledInterval: 30_000,
  maxStalledCount: 3,
} as const;

@Processor(RETENTION_QUEUE, RETENTION_WORKER_OPTIONS)
export class RetentionProcessor extends WorkerHost {
  /** Aborted at shutdown: the run stops after its current batch. */
  readonly shutdown = new AbortController();

  constructor(private readonly retention: RetentionService) {
    super();
  }

  process(job: Job<RetentionJobData>): Promise<RetentionRunSummary> {
    return this.retention.runJob(job.data, this.shutdown.signal);
  }
}
