import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { BackgroundTaskRunner } from './background-task.runner';

/**
 * Runs background tasks in the retention process: every HERALD_TASK_POLL_MS it claims and
 * runs what is due. Any number of workers may run: claims skip locked rows and tasks are
 * held by lease, so each task has one runner at a time; a crashed runner's task is taken
 * over once its lease runs out.
 */
@Injectable()
export class BackgroundTaskWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BackgroundTasks');
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly runner: BackgroundTaskRunner,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.shutdown.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.current = this.runner
        .runDue(this.shutdown.signal)
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn(`background tasks not polled (again in ${this.config.tasks.pollMs} ms): ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => this.schedule(this.config.tasks.pollMs));
    }, delayMs);
  }

  /** Stops between two steps: the step in flight commits and the task is handed back, for any worker to resume at once. */
  async onModuleDestroy(): Promise<void> {
    this.shutdown.abort();
    clearTimeout(this.timer);
    await this.current;
  }
}
