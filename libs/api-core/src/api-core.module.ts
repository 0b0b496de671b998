import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { createMetricsRegistry } from '@herald/observability';
import { AccessGuard } from './access.guard';
import { API_METRICS_REGISTRY, ApiMetrics } from './api-metrics';
import { ApiKeyAuthService } from './api-key-auth.service';
import { ApiKeyLookupRepository } from './api-key-lookup.repository';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { HeraldErrorFilter } from './error.filter';
import { IdempotencySealer } from './idempotency-sealer';
import { IdempotencyGuard } from './idempotency.guard';
import { IdempotencyRepository } from './idempotency.repository';
import { OpenApiBuilder } from './openapi.builder';
import { RateLimitRepository } from './rate-limit.repository';
import { RateLimiter } from './rate-limiter.service';

/** HTTP kernel shared by every API feature: auth, rate limits, access rules, idempotency, error mapping, OpenAPI. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    AuthFailureLimiter,
    ApiKeyAuthService,
    ApiKeyLookupRepository,
    { provide: API_METRICS_REGISTRY, useFactory: () => createMetricsRegistry('api') },
    ApiMetrics,
    RateLimitRepository,
    RateLimiter,
    IdempotencyRepository,
    IdempotencySealer,
    OpenApiBuilder,
    // In this order: the idempotency guard needs the caller AccessGuard names.
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: IdempotencyGuard },
    { provide: APP_FILTER, useClass: HeraldErrorFilter },
  ],
  exports: [ApiKeyAuthService, API_METRICS_REGISTRY, ApiMetrics, IdempotencyRepository, OpenApiBuilder],
})
export class ApiCoreModule {}
