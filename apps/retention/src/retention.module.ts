import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { CoreModule } from '@herald/core';
import { DbModule } from '@herald/db';
import { HeartbeatModule } from '@herald/observability';
import { bullRoot, RedisModule } from '@herald/queue';
import { RetentionWorkerModule } from '@herald/retention';
import { MetricsServer } from './metrics.server';

@Module({})
export class RetentionModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: RetentionModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, CoreModule, bullRoot(), HeartbeatModule.forProcess('retention'), RetentionWorkerModule],
      providers: [MetricsServer],
    };
  }
}
