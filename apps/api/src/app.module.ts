import { Module, type DynamicModule } from '@nestjs/common';
import { ApiCoreModule } from '@herald/api-core';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { CoreModule } from '@herald/core';
import { DbModule } from '@herald/db';
import { AppConfigModule } from '@herald/app-config';
import { MessagingModule } from '@herald/messaging';
import { PlatformModule } from '@herald/platform';
import { TracingModule } from '@herald/observability';
import { RedisModule } from '@herald/queue';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';

@Module({})
export class ApiModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.forRoot(config), DbModule, RedisModule, CoreModule, ApiCoreModule, MessagingModule, AppConfigModule, PlatformModule, TracingModule],
      controllers: [HealthController, MetricsController],
    };
  }
}
