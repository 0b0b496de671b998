import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const RETENTION_METRICS_REGISTRY = Symbol('RETENTION_METRICS_REGISTRY');

/** What a retention statement removed. */
export type PurgeKind =
  | 'payload_erased'
  | 'response_erased'
  | 'message_deleted'
  | 'delivery_deleted'
  | 'attempt_deleted'
  | 'idempotency_record_deleted'
  | 'background_task_deleted'
  | 'deleted_tenant_row';

/** The retention worker's Prometheus metrics (served by apps/retention on /metrics). */
@Injectable()
export class RetentionMetrics {
  readonly purged: Counter<'kind'>;
  readonly runSeconds: Histogram<'outcome'>;
  readonly lastSuccess: Gauge;

  constructor(@Inject(RETENTION_METRICS_REGISTRY) registry: Registry) {
    this.purged = new Counter({
      name: 'herald_retention_purged_rows_total',
      help: 'Rows erased or deleted by retention, by kind (payload_erased, response_erased, message_deleted, delivery_deleted, attempt_deleted, idempotency_record_deleted, background_task_deleted, deleted_tenant_row).',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.runSeconds = new Histogram({
      name: 'herald_retention_run_duration_seconds',
      help: 'Duration of one retention run, by outcome (ok, failed, stopped).',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200],
      registers: [registry],
    });
    this.lastSuccess = new Gauge({
      name: 'herald_retention_last_success_timestamp_seconds',
      help: 'Unix time at which the last complete retention run finished (alert when it falls behind).',
      registers: [registry],
    });
  }

  count(kind: PurgeKind, rows: number): void {
    if (rows > 0) this.purged.inc({ kind }, rows);
  }
}
