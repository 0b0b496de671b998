import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { TenantKeysService, type TenantScope, type TenantTx } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { currentTraceparent } from '@herald/observability';
import type { CircuitState } from './delivery-status';
import { DeliveryWakeups } from './delivery-wakeups';
import { insertOperationalEvents, type OperationalEventRow } from './operational-event.rows';

export interface EndpointEventData {
  appId: string;
  appUid: string | null;
  endpointId: string;
  endpointUid: string | null;
}

export interface EndpointDisabledEventData extends EndpointEventData {
  failSince: string;
}

/** Herald's extension: an endpoint's circuit breaker opened (its deliveries are parked) or closed again. */
export interface EndpointCircuitEventData extends EndpointEventData {
  state: CircuitState;
  consecutiveFailures: number;
  /** When the next probe goes (open), else null. */
  nextProbeAt: string | null;
}

export interface MessageAttemptEventData {
  appId: string;
  appUid: string | null;
  endpointId: string;
  msgId: string;
  msgEventId: string | null;
  lastAttempt: { id: string; responseStatusCode: number; timestamp: string };
}

/** A background task ended (Svix's `background_task.finished`): its id, kind, status and result. */
export interface BackgroundTaskFinishedEventData {
  taskId: string;
  task: string;
  status: 'finished' | 'failed';
  data: Record<string, unknown>;
}

/** Operational webhooks (Svix's, plus the circuit breaker's): type → `data`. */
export interface OperationalEventMap {
  'endpoint.created': EndpointEventData;
  'endpoint.updated': EndpointEventData;
  'endpoint.deleted': EndpointEventData;
  'endpoint.disabled': EndpointDisabledEventData;
  'endpoint.circuit.opened': EndpointCircuitEventData;
  'endpoint.circuit.closed': EndpointCircuitEventData;
  'message.attempt.failing': MessageAttemptEventData;
  'message.attempt.exhausted': MessageAttemptEventData;
  'message.attempt.recovered': MessageAttemptEventData;
  'background_task.finished': BackgroundTaskFinishedEventData;
}

export type OperationalEventType = keyof OperationalEventMap;

/** Every operational event type: what an operational endpoint's `filterTypes` may name. */
export const OPERATIONAL_EVENT_TYPES = [
  'endpoint.created',
  'endpoint.updated',
  'endpoint.deleted',
  'endpoint.disabled',
  'endpoint.circuit.opened',
  'endpoint.circuit.closed',
  'message.attempt.failing',
  'message.attempt.exhausted',
  'message.attempt.recovered',
  'background_task.finished',
] as const satisfies readonly OperationalEventType[];

interface OperationalTarget {
  appId: string;
  endpoints: { id: string; filterTypes: string[] }[];
}

/** How long an operational-endpoint list is reused: endpoint changes reach emission within this. */
const TARGET_CACHE_TTL_MS = 1_000;
const TARGET_CACHE_MAX = 20_000;

/**
 * Operational webhooks are messages of the tenant's hidden operational application, delivered
 * to its endpoints by the same pipeline as every message: stored in PostgreSQL with the event
 * that caused them (the outbox), signed, guarded, retried on the message schedule, swept.
 * The body is Svix's `{type, timestamp, data}`.
 */
@Injectable()
export class OperationalEvents {
  private readonly targets = new Map<string, { expiresAt: number; value: Promise<OperationalTarget | null> }>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly keys: TenantKeysService,
    private readonly wakeups: DeliveryWakeups,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  /** The rows for one event, or null when no endpoint of the tenant wants it. */
  async prepare<T extends OperationalEventType>(scope: TenantScope, type: T, data: OperationalEventMap[T], at: Date = new Date()): Promise<OperationalEventRow | null> {
    const traceParent = currentTraceparent();
    const target = await this.target(scope);
    if (!target) return null;
    const endpoints = target.endpoints.filter((e) => e.filterTypes.length === 0 || e.filterTypes.includes(type));
    if (endpoints.length === 0) return null;
    const payload = Buffer.from(JSON.stringify({ type, timestamp: at.toISOString(), data }), 'utf8');
    return {
      tenantId: scope.tenantId,
      appId: target.appId,
      messageId: newId('msg', at),
      eventType: type,
      payloadEnc: await this.keys.encrypt(scope, payload),
      payloadSize: payload.length,
      payloadExpiresAt: new Date(at.getTime() + this.config.retention.defaultPayloadRetentionDays * 86_400_000),
      createdAt: at,
      traceParent,
      deliveries: endpoints.map((e) => ({ id: newId('dlv', at), endpointId: e.id })),
    };
  }

  /** Inserts prepared events inside a tenant's unit of work (only that tenant's); call `wake` after it commits. */
  async insertForTenant(tx: TenantTx, rows: OperationalEventRow[]): Promise<void> {
    if (rows.some((r) => r.tenantId !== tx.scope.tenantId)) throw new Error("operational events of another tenant in this tenant's transaction");
    await insertOperationalEvents(tx.db, rows);
  }

  /** Tells the dispatchers about committed events. */
  wake(rows: (OperationalEventRow | null)[]): void {
    this.wakeups.notify(rows.flatMap((r) => (r ? r.deliveries.map((d) => ({ tenantId: r.tenantId, endpointId: d.endpointId })) : [])));
  }

  /** One event in its own statement (for changes that were committed without it). */
  async emit<T extends OperationalEventType>(scope: TenantScope, type: T, data: OperationalEventMap[T]): Promise<void> {
    const row = await this.prepare(scope, type, data);
    if (!row) return;
    await insertOperationalEvents(this.prisma, [row]);
    this.wake([row]);
  }

  /** Forget a tenant's operational endpoints now (this process changed them). */
  evict(scope: TenantScope): void {
    this.targets.delete(scope.tenantId);
  }

  private target(scope: TenantScope): Promise<OperationalTarget | null> {
    const now = Date.now();
    const hit = this.targets.get(scope.tenantId);
    if (hit && hit.expiresAt > now) return hit.value;
    if (this.targets.size >= TARGET_CACHE_MAX) this.targets.clear();
    const value = this.readTarget(scope);
    this.targets.set(scope.tenantId, { expiresAt: now + TARGET_CACHE_TTL_MS, value });
    void value.catch(() => this.targets.delete(scope.tenantId));
    return value;
  }

  private async readTarget(scope: TenantScope): Promise<OperationalTarget | null> {
    const rows = await this.prisma.$queryRaw<{ app_id: string; id: string | null; filter_types: string[] | null }[]>`
      SELECT a.id AS app_id, e.id, e.filter_types
      FROM applications a
      LEFT JOIN endpoints e ON e.app_id = a.id AND e.tenant_id = a.tenant_id AND e.disabled = false
      WHERE a.tenant_id = ${scope.tenantId} AND a.kind = 'operational'`;
    const first = rows[0];
    if (!first) return null;
    return { appId: first.app_id, endpoints: rows.flatMap((r) => (r.id ? [{ id: r.id, filterTypes: r.filter_types ?? [] }] : [])) };
  }
}
