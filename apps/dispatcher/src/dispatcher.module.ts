import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { CoreModule } from '@herald/core';
import { DbModule } from '@herald/db';
import { DispatchModule } from '@herald/dispatch';
import { HeartbeatModule } from '@herald/observability';
import { bullRoot, RedisModule } from '@herald/queue';
import { MetricsServer } from './metrics.server';

@Module({})
export class DispatcherModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: DispatcherModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, CoreModule, bullRoot(), HeartbeatModule.forProcess('dispatcher'), DispatchModule],
      providers: [MetricsServer],
    };
  }
}
