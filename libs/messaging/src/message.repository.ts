import { Injectable } from '@nestjs/common';
import { keyRange, type PagePlan } from '@herald/api-core';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import { GroupCommit, hotSql, hotSqlFragment, Prisma, PrismaService } from '@herald/db';
import type { RoutableEndpoint } from './endpoint-routing';
import type { DeliveryStatus } from './message-status';

export interface AppRef {
  id: string;
}

/** Everything ingest needs, read in one round trip. */
export interface IngestContext {
  appId: string;
  payloadRetentionDays: number | null;
  eventType: { id: string; updatedAt: Date } | null;
  endpoints: RoutableEndpoint[];
  /**
   * How the insert checks that this context is still the database's: the app as the request named
   * it and a digest of everything above (null: not checked, e.g. a test message to one endpoint).
   */
  check: IngestContextCheck | null;
}

export interface IngestContextCheck {
  app: string;
  stamp: string;
}

/** What the insert of a message found: stored, a duplicate `eventId`, or a context out of date. */
export type IngestOutcome = 'inserted' | 'duplicate' | 'stale';

export interface NewMessage {
  id: string;
  appId: string;
  eventType: string;
  eventId: string | null;
  channels: string[];
  tags: string[];
  payloadEnc: Buffer;
  payloadSize: number;
  payloadExpiresAt: Date;
  /** A raw payload's Content-Type; null for JSON Herald serialised. */
  rawContentType: string | null;
  createdAt: Date;
  /** W3C traceparent of the ingest span (null when tracing is off): attempts continue its trace. */
  traceParent: string | null;
}

export interface NewDelivery {
  id: string;
  endpointId: string;
  status: Extract<DeliveryStatus, 'pending' | 'skipped'>;
  nextAttemptAt: Date | null;
}

export interface MessageRow {
  id: string;
  appId: string;
  eventType: string;
  eventId: string | null;
  channels: string[];
  tags: string[];
  payloadEnc: Uint8Array | null;
  createdAt: Date;
}

export interface MessageListFilter {
  appId: string;
  /** The page: its id bounds (iterator, before/after) and direction. */
  plan: PagePlan;
  channel?: string;
  tag?: string;
  eventTypes?: string[];
}

const MESSAGE_SELECT = {
  id: true,
  appId: true,
  eventType: true,
  eventId: true,
  channels: true,
  tags: true,
  payloadEnc: true,
  createdAt: true,
} as const;

interface IngestRow {
  app_id: string;
  payload_retention_days: number | null;
  et_id: string | null;
  et_updated_at: Date | null;
  endpoints: RoutableEndpoint[];
  stamp: string;
}

interface ContextKey {
  tenantId: string;
  appIdOrUid: string;
  eventType: string;
}

function toIngestContext(row: IngestRow | undefined, app: string): IngestContext | null {
  if (!row) return null;
  return {
    appId: row.app_id,
    payloadRetentionDays: row.payload_retention_days,
    eventType: row.et_id && row.et_updated_at ? { id: row.et_id, updatedAt: row.et_updated_at } : null,
    endpoints: row.endpoints,
    check: { app, stamp: row.stamp },
  };
}

/**
 * What ingest reads about one app and event type, for a row `q` (tenant_id, app: its id or uid,
 * event_type): the app, the tenant's payload retention, the event type's version and the app's
 * endpoints, with `stamp`, a digest of all of it. The context read and the insert that checks it
 * both use this text, so the two digests agree exactly when the data does.
 */
const INGEST_CONTEXT_OF = hotSqlFragment(`
        SELECT x.*, md5(x::text) AS stamp FROM (
          SELECT a.id AS app_id,
                 s.payload_retention_days,
                 et.id AS et_id, et.updated_at AS et_updated_at,
                 COALESCE((
                   SELECT json_agg(json_build_object('id', e.id, 'disabled', e.disabled, 'filterTypes', e.filter_types, 'channels', e.channels) ORDER BY e.id)
                   FROM endpoints e
                   WHERE e.tenant_id = a.tenant_id AND e.app_id = a.id
                 ), '[]'::json) AS endpoints
          FROM applications a
          LEFT JOIN tenant_settings s ON s.tenant_id = a.tenant_id
          LEFT JOIN event_types et ON et.tenant_id = a.tenant_id AND et.name = q.event_type
          WHERE a.tenant_id = q.tenant_id AND a.kind = 'customer' AND (a.id = q.app OR a.uid = q.app)
          ORDER BY (a.id = q.app) DESC
          LIMIT 1
        ) x`);

/**
 * The ingest contexts this process read lately, by tenant, app (id or uid, as requests name it)
 * and event type. Nothing here is trusted: the insert that uses an entry checks its digest
 * against the database (INGEST_CONTEXT_OF) and reports the message stale when they differ, so an
 * endpoint changed by another process, or directly in the database, counts from its next message.
 * Bounded by entries and by the endpoints they hold; the oldest entries go first.
 */
class IngestContextCache {
  private readonly entries = new Map<string, IngestContext>();
  private endpoints = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxEndpoints: number,
  ) {}

  get(key: string): IngestContext | undefined {
    return this.entries.get(key);
  }

  set(key: string, context: IngestContext): void {
    this.delete(key);
    if (context.endpoints.length > this.maxEndpoints) return;
    this.entries.set(key, context);
    this.endpoints += context.endpoints.length;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.endpoints <= this.maxEndpoints) break;
      this.entries.delete(oldest);
      this.endpoints -= entry.endpoints.length;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.endpoints -= entry.endpoints.length;
  }
}
const CONTEXT_CACHE_ENTRIES = 2_000;
const CONTEXT_CACHE_ENDPOINTS = 20_000;

const contextKey = (tenantId: string, appIdOrUid: string, eventType: string): string => `${tenantId}\0${appIdOrUid}\0${eventType}`;

interface IngestItem {
  /** The caller's scope, kept so a message retried alone is written for the same tenant. */
  scope: TenantScope;
  message: NewMessage;
  deliveries: NewDelivery[];
  /** The context the message was routed with, to check in the same statement (null: unchecked). */
  check: IngestContextCheck | null;
}
type IngestResult = { outcome: IngestOutcome } | { error: unknown };

/**
 * Group commit of ingest: at most this many insert statements run at once; requests arriving
 * meanwhile join the next one. Fewer, larger statements measured faster on every axis (see
 * docs/performance.md); two, not one, so one insert waiting on a row lock does not stall all ingest.
 */
const INGEST_BATCH = { maxSize: 256, maxInFlight: 2 };
/**
 * Ingest-context reads of concurrent requests share one query the same way (reads take no
 * locks); requests for the same app and event type share one lookup.
 */
const CONTEXT_BATCH = { maxSize: 256, maxInFlight: 1, keyOf: (k: ContextKey) => contextKey(k.tenantId, k.appIdOrUid, k.eventType) };

/** Messages and their first deliveries. Every method is tenant-scoped. */
@Injectable()
export class MessageRepository {
  private readonly contextBatch = new GroupCommit<ContextKey, IngestContext | null>((keys) => this.loadContexts(keys), CONTEXT_BATCH);
  private readonly ingestBatch = new GroupCommit<IngestItem, IngestResult>((items) => this.insertBatch(items), INGEST_BATCH);
  private readonly contexts = new IngestContextCache(CONTEXT_CACHE_ENTRIES, CONTEXT_CACHE_ENDPOINTS);

  constructor(private readonly prisma: PrismaService) {}

  /**
   * The app (by id or uid), the tenant's retention, the event type's version stamp (its
   * schemas are read only when no compiled validator is cached) and the app's endpoints.
   */
  async loadIngestContext(scope: TenantScope, appIdOrUid: string, eventType: string): Promise<IngestContext | null> {
    const context = await this.contextBatch.submit({ tenantId: scope.tenantId, appIdOrUid, eventType });
    if (context) this.contexts.set(contextKey(scope.tenantId, appIdOrUid, eventType), context);
    return context;
  }

  /**
   * The context read earlier for this app and event type, if this process has one; the insert
   * checks it (insertWithDeliveries reports 'stale' when it is out of date).
   */
  cachedIngestContext(scope: TenantScope, appIdOrUid: string, eventType: string): IngestContext | undefined {
    return this.contexts.get(contextKey(scope.tenantId, appIdOrUid, eventType));
  }

  /**
   * The same read as loadIngestContext for a batch of concurrent requests (each with its own
   * tenant), in one query: each input row is looked up by the same per-tenant lateral query.
   * A busy producer sends many messages to one app at once: the batch holds each (tenant, app,
   * event type) once and its requests share the lookup (CONTEXT_BATCH's key).
   * The keys go as JSON, not arrays: PostgreSQL counts an array's elements when it plans with
   * the values, which made every call's own plan look cheaper than the prepared generic one, so
   * it planned each call again (0.45 ms, four times the lookup); JSON rows are estimated alike
   * either way, so the generic plan (the same shape) is kept.
   */
  private async loadContexts(keys: ContextKey[]): Promise<(IngestContext | null)[]> {
    const rows = await this.prisma.hot(hotSql<IngestRow & { idx: number }>`/* hot:ingest_context */
      SELECT q.idx, c.*
      FROM jsonb_to_recordset(${JSON.stringify(keys.map((k, i) => ({ idx: i + 1, tenant_id: k.tenantId, app: k.appIdOrUid, event_type: k.eventType })))}::jsonb)
        AS q(idx int, tenant_id text, app text, event_type text)
      CROSS JOIN LATERAL (${INGEST_CONTEXT_OF}) c`);
    const byIndex = new Map(rows.map((r) => [r.idx, r]));
    return keys.map((k, i) => toIngestContext(byIndex.get(i + 1), k.appIdOrUid));
  }

  /** The tenant's payload retention setting (null: the operator default). */
  async tenantPayloadRetentionDays(scope: TenantScope): Promise<number | null> {
    const row = await this.prisma.tenantSettings.findUnique({ where: { tenantId: scope.tenantId }, select: { payloadRetentionDays: true } });
    return row?.payloadRetentionDays ?? null;
  }

  async findApp(scope: TenantScope, appIdOrUid: string): Promise<AppRef | null> {
    const apps = await this.prisma.application.findMany({
      where: { tenantId: scope.tenantId, kind: 'customer', OR: [{ id: appIdOrUid }, { uid: appIdOrUid }] },
      select: { id: true },
      take: 2,
    });
    // An id match wins over a uid that happens to spell another app's id.
    return apps.find((a) => a.id === appIdOrUid) ?? apps[0] ?? null;
  }

  /**
   * The message and its deliveries, committed together. Concurrent calls share one statement
   * (group commit: one round trip and one commit for many requests); the promise resolves
   * once this message's batch committed. With `check`, the same statement first reads the
   * context again and stores nothing when it changed since the message was routed ('stale'; a
   * cached context is then forgotten). An `eventId` already used in the app stores nothing
   * ('duplicate').
   */
  async insertWithDeliveries(scope: TenantScope, message: NewMessage, deliveries: NewDelivery[], check: IngestContextCheck | null): Promise<IngestOutcome> {
    const result = await this.ingestBatch.submit({ scope, message, deliveries, check });
    if ('error' in result) throw result.error;
    if (result.outcome === 'stale' && check) this.contexts.delete(contextKey(scope.tenantId, check.app, message.eventType));
    return result.outcome;
  }

  /**
   * One statement for a batch of messages (each with its own tenant id) and all their
   * deliveries. If the batch fails (say an app deleted meanwhile breaks one row's foreign
   * key), each message is retried alone so only the culprit sees the error.
   */
  private async insertBatch(items: IngestItem[]): Promise<IngestResult[]> {
    // The sealed payloads go as one binary parameter, each row naming its slice: base64 inside
    // the JSON cost PostgreSQL a JSON parse and a decode of every payload byte (a third of the
    // statement's time with 1 KiB payloads), and the API an encoding and a copy.
    let nextByte = 1; // substring() counts from 1
    const rows = items.map(({ scope, message: m, deliveries, check }) => {
      const payloadAt = nextByte;
      nextByte += m.payloadEnc.length;
      return {
        id: m.id,
        tenant_id: scope.tenantId,
        app_id: m.appId,
        event_type: m.eventType,
        event_id: m.eventId,
        channels: m.channels,
        tags: m.tags,
        payload_at: payloadAt,
        payload_len: m.payloadEnc.length,
        payload_size: m.payloadSize,
        payload_expires_at: m.payloadExpiresAt.toISOString(),
        raw_content_type: m.rawContentType,
        created_at: m.createdAt.toISOString(),
        trace_parent: m.traceParent,
        deliveries: deliveries.map((d) => ({ id: d.id, endpoint_id: d.endpointId, status: d.status, next_attempt_at: d.nextAttemptAt?.toISOString() ?? null })),
        check_app: check?.app ?? null,
        check_stamp: check?.stamp ?? null,
      };
    });
    const payloads = Buffer.concat(items.map((i) => i.message.payloadEnc));
    let results: { id: string; fresh: boolean; inserted: boolean }[];
    try {
      // `checked` reads each (tenant, app, event type) of the batch once, as loadContexts does;
      // only the messages whose context is unchanged (`fresh`) are stored.
      results = await this.prisma.hot(hotSql<{ id: string; fresh: boolean; inserted: boolean }>`/* hot:ingest */
        WITH input AS (
          SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
            id text, tenant_id text, app_id text, event_type text, event_id text, channels text[], tags text[],
            payload_at int, payload_len int, payload_size int, payload_expires_at timestamptz, raw_content_type text, created_at timestamptz, trace_parent text, deliveries jsonb,
            check_app text, check_stamp text)
        ), checked AS (
          SELECT q.tenant_id, q.app, q.event_type, c.stamp
          FROM (SELECT DISTINCT tenant_id, check_app AS app, event_type FROM input WHERE check_stamp IS NOT NULL) q
          LEFT JOIN LATERAL (${INGEST_CONTEXT_OF}) c ON true
        ), fresh AS (
          SELECT i.* FROM input i
          WHERE i.check_stamp IS NULL
             OR EXISTS (SELECT 1 FROM checked k WHERE k.tenant_id = i.tenant_id AND k.app = i.check_app AND k.event_type = i.event_type AND k.stamp = i.check_stamp)
        ), msg AS (
          INSERT INTO messages (id, tenant_id, app_id, event_type, event_id, channels, tags, payload_enc, payload_size, payload_expires_at, raw_content_type, created_at, trace_parent)
          SELECT id, tenant_id, app_id, event_type, event_id, channels, tags, substring(${payloads}::bytea FROM payload_at FOR payload_len),
                 payload_size, payload_expires_at, raw_content_type, created_at, trace_parent
          FROM fresh
          ON CONFLICT (app_id, event_id) DO NOTHING
          RETURNING id
        ), dlv AS (
          INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, next_attempt_at, created_at, updated_at)
          SELECT d.id, i.tenant_id, i.app_id, i.id, d.endpoint_id, d.status, d.next_attempt_at, i.created_at, i.created_at
          FROM fresh i
          JOIN msg ON msg.id = i.id
          CROSS JOIN jsonb_to_recordset(i.deliveries) AS d(id text, endpoint_id text, status text, next_attempt_at timestamptz)
          RETURNING 1
        )
        SELECT i.id, EXISTS (SELECT 1 FROM fresh f WHERE f.id = i.id) AS fresh, EXISTS (SELECT 1 FROM msg WHERE msg.id = i.id) AS inserted
        FROM input i`);
    } catch (error) {
      // A message alone reports its own error; in a batch each is retried alone, so only the culprit sees one.
      if (items.length === 1) return [{ error }];
      return Promise.all(items.map(async (item) => ((await this.insertBatch([item]))[0] as IngestResult)));
    }
    const byId = new Map(results.map((r) => [r.id, r]));
    return items.map((item): IngestResult => {
      const r = byId.get(item.message.id);
      return { outcome: !r?.fresh ? 'stale' : r.inserted ? 'inserted' : 'duplicate' };
    });
  }

  /** A page of the app's messages by id (creation time): `limit + 1` rows as the plan says. */
  async list(scope: TenantScope, filter: MessageListFilter): Promise<MessageRow[]> {
    const { plan } = filter;
    const where: Prisma.MessageWhereInput = { tenantId: scope.tenantId, appId: filter.appId, id: keyRange(plan) };
    if (filter.channel) where.channels = { has: filter.channel };
    if (filter.tag) where.tags = { has: filter.tag };
    if (filter.eventTypes?.length) where.eventType = { in: filter.eventTypes };
    return this.prisma.message.findMany({ where, select: MESSAGE_SELECT, orderBy: { id: plan.sort }, take: plan.limit + 1 });
  }

  /** By id or by `eventId`, within the app. */
  async find(scope: TenantScope, appId: string, idOrEventId: string): Promise<MessageRow | null> {
    const rows = await this.prisma.message.findMany({
      where: { tenantId: scope.tenantId, appId, OR: [{ id: idOrEventId }, { eventId: idOrEventId }] },
      select: MESSAGE_SELECT,
      take: 2,
    });
    return rows.find((m) => m.id === idOrEventId) ?? rows[0] ?? null;
  }

  async findByIds(scope: TenantScope, ids: string[]): Promise<MessageRow[]> {
    if (ids.length === 0) return [];
    return this.prisma.message.findMany({ where: { tenantId: scope.tenantId, id: { in: ids } }, select: MESSAGE_SELECT });
  }

  async erasePayload({ db: tx, scope }: TenantTx, messageId: string): Promise<void> {
    await tx.message.updateMany({ where: { tenantId: scope.tenantId, id: messageId }, data: { payloadEnc: null } });
  }

  async findEventTypeSchemas(scope: TenantScope, eventTypeId: string): Promise<unknown> {
    const row = await this.prisma.eventType.findFirst({ where: { tenantId: scope.tenantId, id: eventTypeId }, select: { schemas: true } });
    return row?.schemas ?? null;
  }
}
