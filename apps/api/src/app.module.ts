import { Module, type DynamicModule } from '@nestjs/common';
import { ApiCoreModule } from '@herald/api-core';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { TenancyModule } from '@herald/tenancy';
import { DbModule } from '@herald/db';
import { AppConfigModule } from '@herald/app-config';
import { MessagingModule } from '@herald/messaging';
import { TenantAdminModule } from '@herald/tenant-admin';
import { TracingModule } from '@herald/observability';
import { RedisModule } from '@herald/queue';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';

@Module({})
export class ApiModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, TenancyModule, ApiCoreModule, MessagingModule, AppConfigModule, TenantAdminModule, TracingModule],
      controllers: [HealthController, MetricsController],
    };
  }
}
