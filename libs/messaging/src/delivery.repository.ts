import { Injectable } from '@nestjs/common';
import { sqlKeyRange, sqlSort, type PagePlan } from '@herald/api-core';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import { Prisma, PrismaService } from '@herald/db';
import type { DeliveryStatus } from './message-status';
import type { MessageRow } from './message.repository';

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

/** A message as an endpoint's message list shows it: the message and its delivery to that endpoint. */
export interface EndpointMessageRow extends Omit<MessageRow, 'appId'> {
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
  /** The page: bounds on message ids (iterator, before/after) and direction. */
  plan: PagePlan;
  statuses?: DeliveryStatus[];
  channel?: string;
  tag?: string;
  eventTypes?: string[];
}

const ENDPOINT_COLUMNS = Prisma.sql`
  e.id, e.uid, e.url, e.description, e.disabled, e.throttle_rate AS "throttleRate", e.filter_types AS "filterTypes",
  e.channels, e.version, e.created_at AS "createdAt", e.updated_at AS "updatedAt"`;

/** Deliveries (message × endpoint): per-endpoint and per-message views, resend. (Recover and replays: libs/tasks.) */
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

  /** A page of the messages routed to an endpoint, by message id (creation time), with that delivery's state. */
  async listEndpointMessages(scope: TenantScope, filter: EndpointMessageFilter): Promise<EndpointMessageRow[]> {
    const { plan } = filter;
    const conditions: Prisma.Sql[] = [
      Prisma.sql`d.tenant_id = ${scope.tenantId}`,
      Prisma.sql`d.app_id = ${filter.appId}`,
      Prisma.sql`d.endpoint_id = ${filter.endpointId}`,
      Prisma.sql`m.tenant_id = ${scope.tenantId}`,
      ...sqlKeyRange(Prisma.sql`d.message_id`, plan),
    ];
    if (filter.statuses) conditions.push(Prisma.sql`d.status = ANY(${filter.statuses}::text[])`);
    if (filter.channel) conditions.push(Prisma.sql`${filter.channel} = ANY(m.channels)`);
    if (filter.tag) conditions.push(Prisma.sql`${filter.tag} = ANY(m.tags)`);
    if (filter.eventTypes?.length) conditions.push(Prisma.sql`m.event_type = ANY(${filter.eventTypes}::text[])`);
    return this.prisma.$queryRaw<EndpointMessageRow[]>`
      SELECT m.id, m.event_type AS "eventType", m.event_id AS "eventId", m.channels, m.tags, m.payload_enc AS "payloadEnc",
             m.created_at AS "createdAt", d.status AS "deliveryStatus", d.next_attempt_at AS "nextAttemptAt"
      FROM deliveries d
      JOIN messages m ON m.id = d.message_id
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY d.message_id ${sqlSort(plan)}
      LIMIT ${plan.limit + 1}`;
  }

  /** A page of the endpoints a message was routed to, by endpoint id (creation time), with that delivery's state. */
  async listMessageEndpoints(scope: TenantScope, appId: string, messageId: string, plan: PagePlan): Promise<MessageEndpointRow[]> {
    const conditions = [
      Prisma.sql`d.tenant_id = ${scope.tenantId}`,
      Prisma.sql`d.app_id = ${appId}`,
      Prisma.sql`d.message_id = ${messageId}`,
      ...sqlKeyRange(Prisma.sql`e.id`, plan),
    ];
    return this.prisma.$queryRaw<MessageEndpointRow[]>`
      SELECT ${ENDPOINT_COLUMNS}, d.status AS "deliveryStatus", d.next_attempt_at AS "nextAttemptAt"
      FROM deliveries d
      JOIN endpoints e ON e.id = d.endpoint_id AND e.tenant_id = d.tenant_id
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY e.id ${sqlSort(plan)}
      LIMIT ${plan.limit + 1}`;
  }

  /** Puts the message × endpoint delivery (new or existing) back to 'pending, due now', as a manual attempt. */
  async upsertPending({ db: tx, scope }: TenantTx, delivery: { id: string; appId: string; messageId: string; endpointId: string; now: Date }): Promise<string> {
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
}
