import { Injectable } from '@nestjs/common';
import type { Db, TenantScope } from '@herald/core';
import { PrismaService } from '@herald/db';

export interface WrappedKeyRow {
  id: string;
  dataKeyWrapped: Uint8Array;
}

/** The tenants' wrapped data keys, for master-key rotation. */
@Injectable()
export class KeyRewrapRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Live tenants that have a data key, keyset-paged by id (the one cross-tenant read here). */
  async listWrappedKeys(afterId: string, limit: number): Promise<WrappedKeyRow[]> {
    return this.prisma.$queryRaw<WrappedKeyRow[]>`
      SELECT id, data_key_wrapped AS "dataKeyWrapped"
      FROM tenants
      WHERE id > ${afterId} AND deleted_at IS NULL AND data_key_wrapped IS NOT NULL
      ORDER BY id
      LIMIT ${limit}`;
  }

  /**
   * Replaces the wrapped key only if it is still `previous`: a tenant deleted (key shredded)
   * or re-wrapped by another process meanwhile is left alone. Returns whether it was replaced.
   */
  async replaceWrappedKey(db: Db, scope: TenantScope, previous: Uint8Array, next: Uint8Array): Promise<boolean> {
    const n = await db.$executeRaw`
      UPDATE tenants SET data_key_wrapped = ${next}
      WHERE id = ${scope.tenantId} AND deleted_at IS NULL AND data_key_wrapped = ${previous}`;
    return n === 1;
  }
}
