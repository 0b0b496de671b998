import type { Registry } from 'prom-client';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { TenancyModule } from '@herald/tenancy';
import { DbModule } from '@herald/db';
import { DISPATCHER_METRICS_REGISTRY, DispatchModule } from '@herald/dispatch';
import { HeartbeatModule, MetricsServer, TracingModule } from '@herald/observability';
import { RedisModule } from '@herald/queue';

@Module({})
export class DispatcherModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: DispatcherModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, TenancyModule, HeartbeatModule.forProcess('dispatcher'), DispatchModule, TracingModule],
      providers: [
        {
          provide: MetricsServer,
          useFactory: (registry: Registry, config: HeraldConfig) => new MetricsServer(registry, config.api.host, config.delivery.metricsPort),
          inject: [DISPATCHER_METRICS_REGISTRY, HERALD_CONFIG],
        },
      ],
    };
  }
}
