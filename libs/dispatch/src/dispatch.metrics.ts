import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const DISPATCHER_METRICS_REGISTRY = Symbol('DISPATCHER_METRICS_REGISTRY');

export type DeliveryOutcome = 'success' | 'retry' | 'failed' | 'skipped' | 'throttled';

export interface SchedulerSnapshot {
  inFlight: number;
  bytesInFlight: number;
  lanes: number;
  dueLanes: number;
  tenants: number;
  openCircuits: number;
}

/** The dispatcher's Prometheus metrics (served by apps/dispatcher on /metrics). */
@Injectable()
export class DispatchMetrics {
  readonly outcomes: Counter<'outcome'>;
  readonly attemptSeconds: Histogram<'result'>;
  readonly ingestToDeliverySeconds: Histogram;
  readonly claims: Counter;
  readonly claimed: Counter;
  readonly probes: Counter;
  private scheduler: (() => SchedulerSnapshot) | undefined;

  constructor(@Inject(DISPATCHER_METRICS_REGISTRY) registry: Registry) {
    this.outcomes = new Counter({
      name: 'herald_delivery_outcomes_total',
      help: 'Attempt outcomes: success, retry (a failed try with more to come), failed (exhausted or final), skipped (endpoint disabled or gone), throttled (a lane waited for its rate limit).',
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
    this.claims = new Counter({ name: 'herald_dispatcher_claims_total', help: 'Claim statements run (each takes due deliveries of many lanes).', registers: [registry] });
    this.claimed = new Counter({ name: 'herald_dispatcher_claimed_deliveries_total', help: 'Deliveries claimed from PostgreSQL.', registers: [registry] });
    this.probes = new Counter({ name: 'herald_circuit_probes_total', help: 'Probe attempts sent to endpoints whose circuit was open.', registers: [registry] });
    const gauge = (name: string, help: string, read: (s: SchedulerSnapshot) => number): void => {
      const scheduler = (): SchedulerSnapshot | undefined => this.scheduler?.();
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const s = scheduler();
          if (s) this.set(read(s));
        },
      });
    };
    gauge('herald_dispatcher_in_flight', 'Requests in flight in this dispatcher (its slots in use).', (s) => s.inFlight);
    gauge('herald_dispatcher_in_flight_bytes', 'Payload bytes in flight in this dispatcher.', (s) => s.bytesInFlight);
    gauge('herald_dispatcher_lanes', 'Endpoint lanes this dispatcher tracks.', (s) => s.lanes);
    gauge('herald_dispatcher_due_lanes', 'Lanes with due deliveries waiting for a slot.', (s) => s.dueLanes);
    gauge('herald_dispatcher_tenants', 'Tenants with lanes in this dispatcher.', (s) => s.tenants);
  }

  bindScheduler(snapshot: () => SchedulerSnapshot): void {
    this.scheduler = snapshot;
  }

  attempt(status: number, failed: boolean, durationMs: number): void {
    const result = status === 0 || (failed && status >= 200 && status < 300) ? 'error' : `${Math.floor(status / 100)}xx`;
    this.attemptSeconds.observe({ result }, durationMs / 1000);
  }
}
