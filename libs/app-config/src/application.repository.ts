import { Injectable } from '@nestjs/common';
import { keyRange, type PagePlan } from '@herald/api-core';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import { newId, PrismaService, type Prisma } from '@herald/db';
import { mapWriteErrors } from './prisma-errors';

export interface ApplicationRow {
  id: string;
  uid: string | null;
  name: string;
  throttleRate: number | null;
  metadata: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApplicationData {
  name: string;
  uid: string | null;
  throttleRate: number | null;
  metadata: Record<string, string>;
}

export interface ApplicationListFilter {
  excludeWithoutEndpoints: boolean;
  excludeWithDisabledEndpoints: boolean;
}

/**
 * The Svix API's applications. Each tenant may also have one hidden 'operational' application
 * (its operational-webhook endpoints, libs/deliveries): never found, listed or changed here.
 */
const CUSTOMER_APP = 'customer';
const OPERATIONAL_APP = 'operational';

const SELECT = { id: true, uid: true, name: true, throttleRate: true, metadata: true, createdAt: true, updatedAt: true } as const;
const DUPLICATE_UID = 'An application with this uid already exists';

@Injectable()
export class ApplicationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** By id or uid, inside the tenant; an id match wins over a uid match. */
  async find(scope: TenantScope, idOrUid: string, tx?: TenantTx): Promise<ApplicationRow | null> {
    const db = tx?.db ?? this.prisma;
    const rows = await db.application.findMany({
      where: { tenantId: scope.tenantId, kind: CUSTOMER_APP, OR: [{ id: idOrUid }, { uid: idOrUid }] },
      select: SELECT,
      take: 2,
    });
    return rows.find((a) => a.id === idOrUid) ?? rows[0] ?? null;
  }

  /** A page of applications by id (creation time): `limit + 1` rows as the plan says. */
  async list(scope: TenantScope, plan: PagePlan, filter: ApplicationListFilter): Promise<ApplicationRow[]> {
    const where: Prisma.ApplicationWhereInput = { tenantId: scope.tenantId, kind: CUSTOMER_APP, id: keyRange(plan) };
    const endpointFilters: Prisma.ApplicationWhereInput[] = [];
    if (filter.excludeWithoutEndpoints) endpointFilters.push({ endpoints: { some: {} } });
    if (filter.excludeWithDisabledEndpoints) endpointFilters.push({ endpoints: { none: { disabled: true } } });
    if (endpointFilters.length > 0) where.AND = endpointFilters;
    return this.prisma.application.findMany({ where, select: SELECT, orderBy: { id: plan.sort }, take: plan.limit + 1 });
  }

  async create({ db: tx, scope }: TenantTx, id: string, data: ApplicationData): Promise<ApplicationRow> {
    return mapWriteErrors('Application', DUPLICATE_UID, () =>
      tx.application.create({ data: { id, tenantId: scope.tenantId, ...data }, select: SELECT }),
    );
  }

  /** Creates the application unless one with its uid exists (a concurrent request made it): its id, or null. */
  async createIfAbsent({ db: tx, scope }: TenantTx, id: string, data: ApplicationData & { uid: string }): Promise<string | null> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO applications (id, tenant_id, uid, name, throttle_rate, metadata)
      VALUES (${id}, ${scope.tenantId}, ${data.uid}, ${data.name}, ${data.throttleRate}, ${JSON.stringify(data.metadata)}::jsonb)
      ON CONFLICT (tenant_id, uid) DO NOTHING
      RETURNING id`;
    return rows[0]?.id ?? null;
  }

  async update({ db: tx, scope }: TenantTx, id: string, data: Partial<ApplicationData>): Promise<ApplicationRow> {
    return mapWriteErrors('Application', DUPLICATE_UID, () =>
      tx.application.update({ where: { id, tenantId: scope.tenantId, kind: CUSTOMER_APP }, data: { ...data, updatedAt: new Date() }, select: SELECT }),
    );
  }

  /** The tenant's hidden operational application, if it has one. */
  async findOperationalApp(scope: TenantScope): Promise<{ id: string } | null> {
    return this.prisma.application.findFirst({ where: { tenantId: scope.tenantId, kind: OPERATIONAL_APP }, select: { id: true } });
  }

  /**
   * The tenant's hidden operational application (its operational-webhook endpoints), created
   * on first use. Concurrent first uses meet on the unique index; one row wins.
   */
  async operationalApp({ db: tx, scope }: TenantTx, create: boolean): Promise<{ id: string } | null> {
    const found = await tx.application.findFirst({ where: { tenantId: scope.tenantId, kind: OPERATIONAL_APP }, select: { id: true } });
    if (found || !create) return found;
    await tx.$executeRaw`
      INSERT INTO applications (id, tenant_id, name, kind) VALUES (${newId('app')}, ${scope.tenantId}, 'Operational webhooks', ${OPERATIONAL_APP})
      ON CONFLICT (tenant_id) WHERE kind = 'operational' DO NOTHING`;
    return tx.application.findFirst({ where: { tenantId: scope.tenantId, kind: OPERATIONAL_APP }, select: { id: true } });
  }

  /** Removes an operational application made for an endpoint that was then refused (none else refers to it). */
  async deleteOperationalAppIfEmpty({ db: tx, scope }: TenantTx, id: string): Promise<void> {
    await tx.$executeRaw`
      DELETE FROM applications a
      WHERE a.id = ${id} AND a.tenant_id = ${scope.tenantId} AND a.kind = ${OPERATIONAL_APP}
        AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.app_id = a.id AND e.tenant_id = a.tenant_id)`;
  }

  /** Deletes the application; its endpoints, messages and deliveries go with it (FK cascade). */
  async delete({ db: tx, scope }: TenantTx, id: string): Promise<boolean> {
    const { count } = await tx.application.deleteMany({ where: { id, tenantId: scope.tenantId, kind: CUSTOMER_APP } });
    return count > 0;
  }
}
