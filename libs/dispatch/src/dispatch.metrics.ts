import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';

export const DISPATCHER_METRICS_REGISTRY = Symbol('DISPATCHER_METRICS_REGISTRY');

export type DeliveryOutcome = 'success' | 'retry' | 'failed' | 'skipped' | 'throttled';

/** The dispatcher's Prometheus metrics (served by apps/dispatcher on /metrics). */
@Injectable()
export class DispatchMetrics {
  readonly outcomes: Counter<'outcome'>;
  readonly attemptSeconds: Histogram<'result'>;
  readonly ingestToDeliverySeconds: Histogram;

  constructor(@Inject(DISPATCHER_METRICS_REGISTRY) registry: Registry) {
    this.outcomes = new Counter({
      name: 'herald_delivery_outcomes_total',
      help: 'Delivery job outcomes: success, retry (a failed try with more to come), failed (exhausted or final), skipped, throttled (delayed by the rate limit).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.attemptSeconds = new Histogram({
      name: 'herald_delivery_attempt_duration_seconds',
      help: 'Duration of one outbound delivery request, by result class (2xx, 3xx, 4xx, 5xx, error).',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers: [registry],
    });
    this.ingestToDeliverySeconds = new Histogram({
      name: 'herald_delivery_ingest_to_success_seconds',
      help: 'Time from message creation to its successful delivery to an endpoint.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000],
      registers: [registry],
    });
  }

  attempt(status: number, failed: boolean, durationMs: number): void {
    const result = status === 0 || (failed && status >= 200 && status < 300) ? 'error' : `${Math.floor(status / 100)}xx`;
    this.attemptSeconds.observe({ result }, durationMs / 1000);
  }
}
