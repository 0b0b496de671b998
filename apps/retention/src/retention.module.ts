import type { Registry } from 'prom-client';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { TenancyModule } from '@herald/tenancy';
import { DbModule } from '@herald/db';
import { HeartbeatModule, MetricsServer, TracingModule } from '@herald/observability';
import { bullRoot, RedisModule } from '@herald/queue';
import { RETENTION_METRICS_REGISTRY, RetentionWorkerModule } from '@herald/retention';
import { TaskWorkerModule } from '@herald/tasks';

@Module({})
export class RetentionModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: RetentionModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, TenancyModule, bullRoot(), HeartbeatModule.forProcess('retention'), RetentionWorkerModule, TaskWorkerModule, TracingModule],
      providers: [
        {
          provide: MetricsServer,
          useFactory: (registry: Registry, config: HeraldConfig) => new MetricsServer(registry, config.api.host, config.retention.metricsPort),
          inject: [RETENTION_METRICS_REGISTRY, HERALD_CONFIG],
        },
      ],
    };
  }
}
