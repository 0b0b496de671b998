import { Injectable } from '@nestjs/common';
import { OperatorDb, type TenantTx } from '@herald/tenancy';
import { PrismaService } from '@herald/db';

export interface WrappedKeyRow {
  id: string;
  dataKeyWrapped: Uint8Array;
  dataKeyVersion: number;
  /** Retired data keys, version i+1 at index i. */
  retiredDataKeysWrapped: Uint8Array[];
}

/** The tenants' wrapped data keys, for master-key rotation. */
@Injectable()
export class KeyRewrapRepository {
  /** Cross-tenant by design: the operator access path's client. */
  private readonly db: PrismaService;

  constructor(operator: OperatorDb) {
    this.db = operator.client;
  }

  /** Live tenants that have a data key, keyset-paged by id (the one cross-tenant read here). */
  async listWrappedKeys(afterId: string, limit: number): Promise<WrappedKeyRow[]> {
    return this.db.$queryRaw<WrappedKeyRow[]>`
      SELECT id, data_key_wrapped AS "dataKeyWrapped", data_key_version AS "dataKeyVersion", retired_data_keys_wrapped AS "retiredDataKeysWrapped"
      FROM tenants
      WHERE id > ${afterId} AND deleted_at IS NULL AND data_key_wrapped IS NOT NULL
      ORDER BY id
      LIMIT ${limit}`;
  }

  /**
   * Replaces the wrapped keys (active and retired) only if they are still `previous`: a tenant
   * deleted (keys shredded), re-wrapped or rotated by another process meanwhile is left alone.
   * Returns whether they were replaced.
   */
  async replaceWrappedKeys(
    { db, scope }: TenantTx,
    previous: { active: Uint8Array; retired: Uint8Array[] },
    next: { active: Uint8Array; retired: Uint8Array[] },
  ): Promise<boolean> {
    const n = await db.$executeRaw`
      UPDATE tenants SET data_key_wrapped = ${next.active}, retired_data_keys_wrapped = ${next.retired}::bytea[]
      WHERE id = ${scope.tenantId} AND deleted_at IS NULL AND data_key_wrapped = ${previous.active}
        AND retired_data_keys_wrapped = ${previous.retired}::bytea[]`;
    return n === 1;
  }
}
