import { BullModule } from '@nestjs/bullmq';
import type { DynamicModule } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { createRedis } from './redis';

/**
 * BullMQ's root connection for a process, from the typed config. On a cluster the prefix is
 * hash-tagged (config.redis.queuePrefix), which BullMQ's multi-key scripts need.
 */
export function bullRoot(): DynamicModule {
  return BullModule.forRootAsync({
    useFactory: (config: HeraldConfig) => ({
      connection: createRedis(config.redis.connection, { role: 'bullmq', name: 'herald-bullmq' }),
      prefix: config.redis.queuePrefix,
    }),
    inject: [HERALD_CONFIG],
  });
}
