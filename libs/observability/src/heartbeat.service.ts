import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import type { RedisClient } from '@herald/queue';
import { Heartbeat, type ProcessKind } from './heartbeat';

export const PROCESS_KIND = Symbol('PROCESS_KIND');
export const HEARTBEAT_REDIS = Symbol('HEARTBEAT_REDIS');

/** Beats while the process runs; the API's health reports who is alive. */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeat');
  private readonly heartbeat: Heartbeat;

  constructor(@Inject(HEARTBEAT_REDIS) redis: RedisClient, @Inject(HERALD_CONFIG) config: HeraldConfig, @Inject(PROCESS_KIND) kind: ProcessKind) {
    this.heartbeat = new Heartbeat(redis, config.redis.queuePrefix, kind, (err) => this.logger.warn(`heartbeat failed: ${String(err)}`));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.heartbeat.stop();
  }
}
