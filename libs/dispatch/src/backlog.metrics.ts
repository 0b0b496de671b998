import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { withTimeout } from '@herald/observability';
import { BacklogRepository, DUE_COUNT_CAP } from './backlog.repository';
import { DISPATCHER_METRICS_REGISTRY } from './dispatch.metrics';

/** A scrape never waits longer than this for PostgreSQL; a slow source keeps its last value. */
const SCRAPE_TIMEOUT_MS = 1_000;
/** Per-endpoint circuit series at most (open circuits are few; the total is exact). */
const CIRCUIT_SERIES_MAX = 500;

/** Backlog and circuit gauges, read from PostgreSQL when Prometheus scrapes. */
@Injectable()
export class BacklogMetrics {
  private readonly logger = new Logger('BacklogMetrics');

  constructor(@Inject(DISPATCHER_METRICS_REGISTRY) registry: Registry, backlog: BacklogRepository) {
    const warn = (what: string, err: unknown): void => this.logger.warn(`${what} not updated: ${err instanceof Error ? err.message : String(err)}`);
    new Gauge({
      name: 'herald_deliveries_due',
      help: `Deliveries due and not yet claimed (counted up to ${DUE_COUNT_CAP}), read at scrape time.`,
      registers: [registry],
      async collect() {
        try {
          this.set(await withTimeout(backlog.dueCount(), SCRAPE_TIMEOUT_MS));
        } catch (err) {
          warn('herald_deliveries_due', err);
        }
      },
    });
    new Gauge({
      name: 'herald_deliveries_in_flight',
      help: 'Deliveries claimed by dispatchers (all of them) and not yet recorded, read at scrape time.',
      registers: [registry],
      async collect() {
        try {
          this.set(await withTimeout(backlog.inFlightCount(), SCRAPE_TIMEOUT_MS));
        } catch (err) {
          warn('herald_deliveries_in_flight', err);
        }
      },
    });
    new Gauge({
      name: 'herald_delivery_oldest_due_age_seconds',
      help: 'Age of the oldest delivery that is due and not claimed, 0 when none; read at scrape time.',
      registers: [registry],
      async collect() {
        try {
          const at = await withTimeout(backlog.oldestDueAt(), SCRAPE_TIMEOUT_MS);
          this.set(at ? Math.max(0, (Date.now() - at.getTime()) / 1000) : 0);
        } catch (err) {
          warn('herald_delivery_oldest_due_age_seconds', err);
        }
      },
    });
    new Gauge({
      name: 'herald_endpoint_circuit_open',
      help: `1 for each endpoint whose circuit is not closed (state label), at most ${CIRCUIT_SERIES_MAX} series.`,
      labelNames: ['tenant_id', 'endpoint_id', 'state'],
      registers: [registry],
      async collect() {
        try {
          const open = await withTimeout(backlog.openCircuits(CIRCUIT_SERIES_MAX), SCRAPE_TIMEOUT_MS);
          this.reset();
          for (const c of open) this.set({ tenant_id: c.tenantId, endpoint_id: c.endpointId, state: c.state }, 1);
        } catch (err) {
          warn('herald_endpoint_circuit_open', err);
        }
      },
    });
  }
}
