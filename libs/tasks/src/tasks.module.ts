import { Module } from '@nestjs/common';
import { DeliveriesModule } from '@herald/deliveries';
import { BackgroundTaskRepository } from './background-task.repository';
import { BackgroundTaskRunner } from './background-task.runner';
import { BackgroundTaskWorker } from './background-task-worker.service';

/**
 * Background tasks without a polling loop: the API creates and reads them, tests run them on
 * demand. Needs ConfigModule, DbModule, RedisModule and TenancyModule from the host app.
 */
@Module({
  imports: [DeliveriesModule],
  providers: [BackgroundTaskRepository, BackgroundTaskRunner],
  exports: [BackgroundTaskRepository, BackgroundTaskRunner],
})
export class TasksModule {}

/** The polling worker on top of TasksModule (the retention process). */
@Module({
  imports: [TasksModule],
  providers: [BackgroundTaskWorker],
})
export class TaskWorkerModule {}
