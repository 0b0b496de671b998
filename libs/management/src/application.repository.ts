import { Injectable } from '@nestjs/common';
import type { Db, TenantScope } from '@herald/core';
import { PrismaService, type Prisma } from '@herald/db';
import { cursorBounds, type PageQuery } from './list-page';
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

const SELECT = { id: true, uid: true, name: true, throttleRate: true, metadata: true, createdAt: true, updatedAt: true } as const;
const DUPLICATE_UID = 'An application with this uid already exists';

@Injectable()
export class ApplicationRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** By id or uid, inside the tenant; an id match wins over a uid match. */
  async find(scope: TenantScope, idOrUid: string, db: Db = this.prisma): Promise<ApplicationRow | null> {
    const rows = await db.application.findMany({
      where: { tenantId: scope.tenantId, OR: [{ id: idOrUid }, { uid: idOrUid }] },
      select: SELECT,
      take: 2,
    });
    return rows.find((a) => a.id === idOrUid) ?? rows[0] ?? null;
  }

  async list(scope: TenantScope, page: PageQuery, filter: ApplicationListFilter): Promise<ApplicationRow[]> {
    const { op, sort } = cursorBounds(page);
    const where: Prisma.ApplicationWhereInput = { tenantId: scope.tenantId };
    if (page.cursor) where.id = { [op]: page.cursor };
    const endpointFilters: Prisma.ApplicationWhereInput[] = [];
    if (filter.excludeWithoutEndpoints) endpointFilters.push({ endpoints: { some: {} } });
    if (filter.excludeWithDisabledEndpoints) endpointFilters.push({ endpoints: { none: { disabled: true } } });
    if (endpointFilters.length > 0) where.AND = endpointFilters;
    return this.prisma.application.findMany({ where, select: SELECT, orderBy: { id: sort }, take: page.limit + 1 });
  }

  async create(tx: Db, scope: TenantScope, id: string, data: ApplicationData): Promise<ApplicationRow> {
    return mapWriteErrors('Application', DUPLICATE_UID, () =>
      tx.application.create({ data: { id, tenantId: scope.tenantId, ...data }, select: SELECT }),
    );
  }

  async update(tx: Db, scope: TenantScope, id: string, data: Partial<ApplicationData>): Promise<ApplicationRow> {
    return mapWriteErrors('Application', DUPLICATE_UID, () =>
      tx.application.update({ where: { id, tenantId: scope.tenantId }, data: { ...data, updatedAt: new Date() }, select: SELECT }),
    );
  }

  /** Deletes the application; its endpoints, messages and deliveries go with it (FK cascade). */
  async delete(tx: Db, scope: TenantScope, id: string): Promise<boolean> {
    const { count } = await tx.application.deleteMany({ where: { id, tenantId: scope.tenantId } });
    return count > 0;
  }
}
