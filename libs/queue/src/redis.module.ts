import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { createRedis, describeRedis, type RedisClient } from './redis';

/** Injection token for the process's command connection to Redis ({@link RedisClient}). */
export const REDIS = Symbol('REDIS');

/** How long boot waits for Redis (a cluster or sentinel set would otherwise be retried forever). */
const BOOT_PING_TIMEOUT_MS = 20_000;

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      useFactory: async (config: HeraldConfig): Promise<RedisClient> => {
        const redis = createRedis(config.redis.connection, { name: 'herald' });
        // Fail loudly at boot when Redis is unreachable (STYLE 12).
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis (${describeRedis(config.redis.connection)}) did not answer within ${BOOT_PING_TIMEOUT_MS} ms`)), BOOT_PING_TIMEOUT_MS);
        });
        try {
          await Promise.race([redis.ping(), timeout]);
        } catch (err) {
          redis.disconnect();
          throw err;
        } finally {
          clearTimeout(timer);
        }
        return redis;
      },
      inject: [HERALD_CONFIG],
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit();
  }
}
