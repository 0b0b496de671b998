import { Module } from '@nestjs/common';
import { createMetricsRegistry } from '@herald/observability';
import { KeyRewrapRepository } from './key-rewrap.repository';
import { KeyRewrapService } from './key-rewrap.service';
import { RETENTION_METRICS_REGISTRY, RetentionMetrics } from './retention.metrics';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/**
 * Retention and key rotation without any queue: used by the retention worker and by the CLI
 * (`retention run`, `keys rewrap`). Needs ConfigModule, DbModule and TenancyModule from the host.
 */
@Module({
  providers: [
    { provide: RETENTION_METRICS_REGISTRY, useFactory: () => createMetricsRegistry('retention') },
    RetentionMetrics,
    RetentionRepository,
    RetentionService,
    KeyRewrapRepository,
    KeyRewrapService,
  ],
  exports: [RETENTION_METRICS_REGISTRY, RetentionService, KeyRewrapService],
})
export class DataRetentionModule {}
