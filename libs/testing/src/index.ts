export * from './test-config';
export * from './test-database';
export * from './factories';
export * from './webhook-receiver';
export * from './dns-server';
export * from './wakeup-recorder';
export * from './private-services';
export * from './private-redis-ha';
export * from './herald-fleet';
export * from './otlp-receiver';
// Tests import it from here, as before; it lives with the Redis client (the bench uses it too).
export { deleteRedisPrefix } from '@herald/queue';
