import { Inject, Injectable } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';

/** The API process's Prometheus registry (a /metrics route serves it). */
export const API_METRICS_REGISTRY = Symbol('API_METRICS_REGISTRY');

@Injectable()
export class ApiMetrics {
  readonly rateLimited: Counter<'principal'>;
  readonly rateLimitFailOpen: Counter;
  readonly messagesIngested: Counter;
  readonly deliveriesCreated: Counter<'status'>;
  readonly ingestContexts: Counter<'source'>;

  constructor(@Inject(API_METRICS_REGISTRY) registry: Registry) {
    this.rateLimited = new Counter({
      name: 'herald_api_rate_limited_total',
      help: 'API requests refused with 429 by the per-key rate limit, by principal kind.',
      labelNames: ['principal'],
      registers: [registry],
    });
    this.rateLimitFailOpen = new Counter({
      name: 'herald_api_rate_limit_fail_open_total',
      help: 'API requests let through without a rate-limit check because Redis did not answer in time.',
      registers: [registry],
    });
    this.messagesIngested = new Counter({
      name: 'herald_messages_ingested_total',
      help: 'Messages created (stored with their deliveries) through the API.',
      registers: [registry],
    });
    this.deliveriesCreated = new Counter({
      name: 'herald_deliveries_created_total',
      help: 'Deliveries created at ingest, by initial status (pending = enqueued for the dispatcher, skipped = endpoint disabled).',
      labelNames: ['status'],
      registers: [registry],
    });
    this.ingestContexts = new Counter({
      name: 'herald_ingest_contexts_total',
      help: "How messages were routed: with a context kept from an earlier message (kept) or read for this one (read); stale counts the inserts that found it changed and routed again.",
      labelNames: ['source'],
      registers: [registry],
    });
  }
}
