import { Injectable } from '@nestjs/common';
import type { Db, TenantScope } from '@herald/core';
import { Prisma, PrismaService } from '@herald/db';
import type { DeliveryStatus } from './message-status';

export interface EndpointRow {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  throttleRate: number | null;
  filterTypes: string[];
  channels: string[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointMessageRow {
  id: string;
  eventType: string;
  eventId: string | null;
  channels: string[];
  tags: string[];
  payloadEnc: Uint8Array | null;
  createdAt: Date;
  deliveryStatus: string;
  nextAttemptAt: Date | null;
}

export interface MessageEndpointRow extends EndpointRow {
  deliveryStatus: string;
  nextAttemptAt: Date | null;
}

export interface EndpointMessageFilter {
  appId: string;
  endpointId: string;
  limit: number;
  iterator?: string;
  before?: Date;
  after?: Date;
  statuses?: DeliveryStatus[];
  channel?: string;
  tag?: string;
  eventTypes?: string[];
}

const ENDPOINT_COLUMNS = Prisma.sql`
  e.id, e.uid, e.url, e.description, e.disabled, e.throttle_rate AS "throttleRate", e.filter_types AS "filterTypes",
  e.channels, e.version, e.created_at AS "createdAt", e.updated_at AS "updatedAt"`;

/** Deliveries (message × endpoint): per-endpoint and per-message views, resend and recover. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** An endpoint of the app by id or uid. */
  async findEndpoint(scope: TenantScope, appId: string, idOrUid: string): Promise<EndpointRow | null> {
    const rows = await this.prisma.$queryRaw<EndpointRow[]>`
      SELECT ${ENDPOINT_COLUMNS}
      FROM endpoints e
      WHERE e.tenant_id = ${scope.tenantId} AND e.app_id = ${appId} AND (e.id = ${idOrUid} OR e.uid = ${idOrUid})
      ORDER BY (e.id = ${idOrUid}) DESC
      LIMIT 1`;
    return rows[0] ?? null;
  }

  /** Messages routed to an endpoint with that delivery's state, newest message first. */
  async listEndpointMessages(scope: TenantScope, filter: EndpointMessageFilter): Promise<EndpointMessageRow[]> {
    const backwards = filter.iterator?.startsWith('-') ?? false;
    const cursor = filter.iterator?.replace(/^-/, '');
    const conditions: Prisma.Sql[] = [
      Prisma.sql`d.tenant_id = ${scope.tenantId}`,
      Prisma.sql`d.app_id = ${filter.appId}`,
      Prisma.sql`d.endpoint_id = ${filter.endpointId}`,
      Prisma.sql`m.tenant_id = ${scope.tenantId}`,
    ];
    if (cursor) conditions.push(backwards ? Prisma.sql`d.message_id > ${cursor}` : Prisma.sql`d.message_id < ${cursor}`);
    else {
      if (filter.before) conditions.push(Prisma.sql`m.created_at < ${filter.before}`);
      if (filter.after) conditions.push(Prisma.sql`m.created_at > ${filter.after}`);
    }
    if (filter.statuses) conditions.push(Prisma.sql`d.status = ANY(${filter.statuses}::text[])`);
    if (filter.channel) conditions.push(Prisma.sql`${filter.channel} = ANY(m.channels)`);
    if (filter.tag) conditions.push(Prisma.sql`${filter.tag} = ANY(m.tags)`);
    if (filter.eventTypes?.length) conditions.push(Prisma.sql`m.event_type = ANY(${filter.eventTypes}::text[])`);
    const rows = await this.prisma.$queryRaw<EndpointMessageRow[]>`
      SELECT m.id, m.event_type AS "eventType", m.event_id AS "eventId", m.channels, m.tags, m.payload_enc AS "payloadEnc",
             m.created_at AS "createdAt", d.status AS "deliveryStatus", d.next_attempt_at AS "nextAttemptAt"
      FROM deliveries d
      JOIN messages m ON m.id = d.message_id
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY d.message_id ${backwards ? Prisma.sql`ASC` : Prisma.sql`DESC`}
      LIMIT ${filter.limit + 1}`;
    return backwards ? rows.reverse() : rows;
  }

  /** Endpoints a message was routed to with that delivery's state, by endpoint id ascending. */
  async listMessageEndpoints(scope: TenantScope, appId: string, messageId: string, limit: number, iterator?: string): Promise<MessageEndpointRow[]> {
    const backwards = iterator?.startsWith('-') ?? false;
    const cursor = iterator?.replace(/^-/, '');
    const bound = cursor ? (backwards ? Prisma.sql`AND e.id < ${cursor}` : Prisma.sql`AND e.id > ${cursor}`) : Prisma.empty;
    const rows = await this.prisma.$queryRaw<MessageEndpointRow[]>`
      SELECT ${ENDPOINT_COLUMNS}, d.status AS "deliveryStatus", d.next_attempt_at AS "nextAttemptAt"
      FROM deliveries d
      JOIN endpoints e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
      WHERE d.tenant_id = ${scope.tenantId} AND d.app_id = ${appId} AND d.message_id = ${messageId} ${bound}
      ORDER BY e.id ${backwards ? Prisma.sql`DESC` : Prisma.sql`ASC`}
      LIMIT ${limit + 1}`;
    return backwards ? rows.reverse() : rows;
  }

  /** Puts the message × endpoint delivery (new or existing) back to 'pending, due now', as a manual attempt. */
  async upsertPending(tx: Db, scope: TenantScope, delivery: { id: string; appId: string; messageId: string; endpointId: string; now: Date }): Promise<string> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, next_attempt_at, trigger_type, created_at, updated_at)
      VALUES (${delivery.id}, ${scope.tenantId}, ${delivery.appId}, ${delivery.messageId}, ${delivery.endpointId}, 'pending', ${delivery.now}, 1, ${delivery.now}, ${delivery.now})
      ON CONFLICT (message_id, endpoint_id) DO UPDATE
        SET status = 'pending', next_attempt_at = EXCLUDED.next_attempt_at, trigger_type = 1, lease_owner = NULL, lease_until = NULL, updated_at = EXCLUDED.updated_at
        WHERE deliveries.tenant_id = EXCLUDED.tenant_id
      RETURNING id`;
    const id = rows[0]?.id;
    if (!id) throw new Error(`delivery for message ${delivery.messageId} and endpoint ${delivery.endpointId} belongs to another tenant`);
    return id;
  }

  /**
   * One batch of an endpoint's failed deliveries created in [since, until], after `cursor`
   * (by id), set back to pending. Deliveries whose payload is gone are left alone: they could
   * not be sent.
   */
  async requeueFailedBatch(
    tx: Db,
    scope: TenantScope,
    batch: { endpointId: string; since: Date; until: Date; cursor: string; size: number; now: Date },
  ): Promise<string[]> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      WITH picked AS (
        SELECT d.id
        FROM deliveries d
        JOIN messages m ON m.id = d.message_id
        WHERE d.tenant_id = ${scope.tenantId} AND d.endpoint_id = ${batch.endpointId} AND d.status = 'failed'
          AND d.created_at >= ${batch.since} AND d.created_at <= ${batch.until}
          AND d.id > ${batch.cursor} AND m.payload_enc IS NOT NULL
        ORDER BY d.id
        LIMIT ${batch.size}
        FOR UPDATE OF d SKIP LOCKED
      )
      UPDATE deliveries SET status = 'pending', next_attempt_at = ${batch.now}, trigger_type = 1, updated_at = ${batch.now}
      FROM picked
      WHERE deliveries.id = picked.id AND deliveries.tenant_id = ${scope.tenantId}
      RETURNING deliveries.id`;
    return rows.map((r) => r.id).sort();
  }
}
