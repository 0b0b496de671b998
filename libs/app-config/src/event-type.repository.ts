import { Injectable } from '@nestjs/common';
import { keyRange, type PagePlan } from '@herald/api-core';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import { Prisma, PrismaService } from '@herald/db';
import { mapWriteErrors } from './prisma-errors';

export interface EventTypeRow {
  id: string;
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlags: string[];
  groupName: string | null;
  schemas: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export interface EventTypeData {
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlags: string[];
  groupName: string | null;
  schemas: Record<string, unknown> | null;
}

const SELECT = {
  id: true,
  name: true,
  description: true,
  archived: true,
  deprecated: true,
  featureFlags: true,
  groupName: true,
  schemas: true,
  createdAt: true,
  updatedAt: true,
} as const;
const DUPLICATE = 'An event type with this name already exists';

function flagFilter(visibleFlags: string[] | null): Prisma.EventTypeWhereInput {
  if (visibleFlags === null) return {};
  return { OR: [{ featureFlags: { isEmpty: true } }, { featureFlags: { hasSome: visibleFlags } }] };
}

function jsonColumn(schemas: Record<string, unknown> | null | undefined): Prisma.InputJsonValue | typeof Prisma.DbNull | undefined {
  if (schemas === undefined) return undefined;
  return schemas === null ? Prisma.DbNull : (schemas as Prisma.InputJsonValue);
}

@Injectable()
export class EventTypeRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** `visibleFlags`: only event types without feature flags or with one of these (null: all). */
  async find(scope: TenantScope, name: string, visibleFlags: string[] | null = null): Promise<EventTypeRow | null> {
    return this.prisma.eventType.findFirst({ where: { tenantId: scope.tenantId, name, ...flagFilter(visibleFlags) }, select: SELECT });
  }

  /** Event types are listed by name, and the iterator is a name (as in Svix). */
  async list(scope: TenantScope, plan: PagePlan, includeArchived: boolean, visibleFlags: string[] | null): Promise<EventTypeRow[]> {
    const where: Prisma.EventTypeWhereInput = { tenantId: scope.tenantId, name: keyRange(plan), ...flagFilter(visibleFlags) };
    if (!includeArchived) where.archived = false;
    return this.prisma.eventType.findMany({ where, select: SELECT, orderBy: { name: plan.sort }, take: plan.limit + 1 });
  }

  /** The tenant's event types with these names, archived ones included. */
  async findByNames(scope: TenantScope, names: string[]): Promise<EventTypeRow[]> {
    return this.prisma.eventType.findMany({ where: { tenantId: scope.tenantId, name: { in: names } }, select: SELECT });
  }

  /** The tenant's event types that are not archived and not in `keep`. */
  async activeExcept(scope: TenantScope, keep: string[]): Promise<EventTypeRow[]> {
    return this.prisma.eventType.findMany({ where: { tenantId: scope.tenantId, archived: false, name: { notIn: keep } }, select: SELECT, orderBy: { name: 'asc' } });
  }

  /** Which of `names` exist and are not archived. */
  async activeNames(scope: TenantScope, names: string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rows = await this.prisma.eventType.findMany({
      where: { tenantId: scope.tenantId, name: { in: names }, archived: false },
      select: { name: true },
    });
    return new Set(rows.map((r) => r.name));
  }

  async create({ db: tx, scope }: TenantTx, id: string, name: string, data: EventTypeData): Promise<EventTypeRow> {
    return mapWriteErrors('Event type', DUPLICATE, () =>
      tx.eventType.create({
        data: { id, tenantId: scope.tenantId, name, ...data, schemas: jsonColumn(data.schemas) },
        select: SELECT,
      }),
    );
  }

  async update({ db: tx, scope }: TenantTx, id: string, data: Partial<EventTypeData>): Promise<EventTypeRow> {
    return mapWriteErrors('Event type', DUPLICATE, () =>
      tx.eventType.update({
        where: { id, tenantId: scope.tenantId },
        data: { ...data, schemas: jsonColumn(data.schemas), updatedAt: new Date() },
        select: SELECT,
      }),
    );
  }

  async delete({ db: tx, scope }: TenantTx, id: string): Promise<boolean> {
    const { count } = await tx.eventType.deleteMany({ where: { id, tenantId: scope.tenantId } });
    return count > 0;
  }
}
