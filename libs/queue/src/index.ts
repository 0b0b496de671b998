export * from './queue.constants';
export * from './redis';
export * from './redis.module';
export * from './bull';
export * from './leader-lock';
export * from './redis-script';
export * from './redis-prefix';
