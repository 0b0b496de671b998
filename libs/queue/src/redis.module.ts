import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { createRedis } from './redis';

/** Injection token for the process's command connection to Redis. */
export const REDIS = Symbol('REDIS');

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      useFactory: async (config: HeraldConfig): Promise<Redis> => {
        const redis = createRedis(config.redis.url, { name: 'herald' });
        // Fail loudly at boot when Redis is unreachable (STYLE 12).
        await redis.ping();
        return redis;
      },
      inject: [HERALD_CONFIG],
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit();
  }
}
