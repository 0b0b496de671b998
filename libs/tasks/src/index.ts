export * from './background-task.types';
export * from './background-task.repository';
export * from './background-task.runner';
export * from './background-task-worker.service';
export * from './tasks.module';
