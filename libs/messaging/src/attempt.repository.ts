import { Injectable } from '@nestjs/common';
import { sqlKeyRange, sqlSort, type PagePlan } from '@herald/api-core';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import { Prisma, PrismaService } from '@herald/db';

export interface AttemptRow {
  id: string;
  messageId: string;
  endpointId: string;
  url: string;
  status: number;
  responseStatus: number;
  responseEnc: Uint8Array | null;
  responseExpunged: boolean;
  durationMs: number;
  triggerType: number;
  createdAt: Date;
}

export interface AttemptFilter {
  appId: string;
  messageId?: string;
  endpointId?: string;
  /** The page: its id bounds (iterator, before/after) and direction. */
  plan: PagePlan;
  status?: number;
  /** Inclusive lower and exclusive upper bound of response_status. */
  responseStatusRange?: [number, number];
  /** Filters on the attempted message. */
  channel?: string;
  tag?: string;
  eventTypes?: string[];
}

const ATTEMPT_COLUMNS = Prisma.sql`
  a.id, a.message_id AS "messageId", a.endpoint_id AS "endpointId", a.url, a.status, a.response_status AS "responseStatus",
  a.response_enc AS "responseEnc", a.response_expunged AS "responseExpunged", a.duration_ms AS "durationMs",
  a.trigger_type AS "triggerType", a.created_at AS "createdAt"`;

/** Delivery attempts as the dispatcher recorded them. Every method is tenant-scoped. */
@Injectable()
export class AttemptRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A page of attempts by id (creation time): `limit + 1` rows as the plan says. */
  async list(scope: TenantScope, filter: AttemptFilter): Promise<AttemptRow[]> {
    const { plan } = filter;
    const conditions: Prisma.Sql[] = [Prisma.sql`a.tenant_id = ${scope.tenantId}`, Prisma.sql`a.app_id = ${filter.appId}`, ...sqlKeyRange(Prisma.sql`a.id`, plan)];
    if (filter.messageId) conditions.push(Prisma.sql`a.message_id = ${filter.messageId}`);
    if (filter.endpointId) conditions.push(Prisma.sql`a.endpoint_id = ${filter.endpointId}`);
    if (filter.status !== undefined) conditions.push(Prisma.sql`a.status = ${filter.status}`);
    if (filter.responseStatusRange) {
      const [low, high] = filter.responseStatusRange;
      conditions.push(Prisma.sql`a.response_status >= ${low} AND a.response_status < ${high}`);
    }
    const messageConditions: Prisma.Sql[] = [];
    if (filter.channel) messageConditions.push(Prisma.sql`${filter.channel} = ANY(m.channels)`);
    if (filter.tag) messageConditions.push(Prisma.sql`${filter.tag} = ANY(m.tags)`);
    if (filter.eventTypes?.length) messageConditions.push(Prisma.sql`m.event_type = ANY(${filter.eventTypes}::text[])`);
    if (messageConditions.length > 0) {
      conditions.push(Prisma.sql`EXISTS (
        SELECT 1 FROM messages m
        WHERE m.id = a.message_id AND m.tenant_id = ${scope.tenantId} AND ${Prisma.join(messageConditions, ' AND ')})`);
    }
    return this.prisma.$queryRaw<AttemptRow[]>`
      SELECT ${ATTEMPT_COLUMNS}
      FROM attempts a
      WHERE ${Prisma.join(conditions, ' AND ')}
      ORDER BY a.id ${sqlSort(plan)}
      LIMIT ${plan.limit + 1}`;
  }

  async find(scope: TenantScope, appId: string, messageId: string, attemptId: string): Promise<AttemptRow | null> {
    const rows = await this.prisma.$queryRaw<AttemptRow[]>`
      SELECT ${ATTEMPT_COLUMNS}
      FROM attempts a
      WHERE a.tenant_id = ${scope.tenantId} AND a.app_id = ${appId} AND a.message_id = ${messageId} AND a.id = ${attemptId}`;
    return rows[0] ?? null;
  }

  async eraseResponse({ db: tx, scope }: TenantTx, attemptId: string): Promise<void> {
    await tx.attempt.updateMany({ where: { tenantId: scope.tenantId, id: attemptId }, data: { responseEnc: null, responseExpunged: true } });
  }
}
