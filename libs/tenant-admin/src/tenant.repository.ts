import { Injectable } from '@nestjs/common';
import { keyRange, type PagePlan } from '@herald/api-core';
import { PrismaService } from '@herald/db';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import type { TenantRow } from './tenant.mappers';

const TENANT_SELECT = { id: true, name: true, createdAt: true, updatedAt: true } as const;

/**
 * Tenants as the operator manages them. The tenant's own id is its scope; listing is the one
 * cross-tenant read, and only the operator routes call it. Deleted tenants are invisible.
 */
@Injectable()
export class TenantRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(plan: PagePlan): Promise<TenantRow[]> {
    return this.prisma.tenant.findMany({
      where: { deletedAt: null, id: keyRange(plan) },
      orderBy: { id: plan.sort },
      take: plan.limit + 1,
      select: TENANT_SELECT,
    });
  }

  find(scope: TenantScope): Promise<TenantRow | null> {
    return this.prisma.tenant.findFirst({ where: { id: scope.tenantId, deletedAt: null }, select: TENANT_SELECT });
  }

  /** Renames a live tenant; null when there is none. */
  async rename({ db, scope }: TenantTx, name: string): Promise<TenantRow | null> {
    const { count } = await db.tenant.updateMany({ where: { id: scope.tenantId, deletedAt: null }, data: { name, updatedAt: new Date() } });
    if (count === 0) return null;
    return db.tenant.findFirst({ where: { id: scope.tenantId }, select: TENANT_SELECT });
  }

  /** Locks a live tenant's row for the rest of the transaction; false when there is none. */
  async lockLive({ db, scope }: TenantTx): Promise<boolean> {
    const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM tenants WHERE id = ${scope.tenantId} AND deleted_at IS NULL FOR UPDATE`;
    return rows.length > 0;
  }

  /**
   * Crypto-shredding: forgets the tenant's wrapped data keys, retired ones too (every ciphertext of the tenant is
   * unreadable from this commit on), marks it deleted and revokes every key it had.
   */
  async shred({ db, scope }: TenantTx, at: Date): Promise<void> {
    await db.tenant.updateMany({ where: { id: scope.tenantId }, data: { deletedAt: at, updatedAt: at, dataKeyWrapped: null, retiredDataKeysWrapped: [] } });
    await db.apiKey.updateMany({ where: { tenantId: scope.tenantId, revokedAt: null }, data: { revokedAt: at } });
  }
}
