import { BullModule } from '@nestjs/bullmq';
import type { DynamicModule } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { createRedis } from './redis';

/** BullMQ's root connection for a process, from the typed config. */
export function bullRoot(): DynamicModule {
  return BullModule.forRootAsync({
    useFactory: (config: HeraldConfig) => ({
      connection: createRedis(config.redis.url, { forBullmq: true, name: 'herald-bullmq' }),
      prefix: config.redis.queuePrefix,
    }),
    inject: [HERALD_CONFIG],
  });
}
