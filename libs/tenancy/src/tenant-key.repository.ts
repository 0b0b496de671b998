import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma } from '@herald/db';
import type { TenantScope } from './tenancy';

/** The queries of a tenant's data keys (the wrapped keys and their encryption budget in `tenants`). */
@Injectable()
export class TenantKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Adds `block` to the active key's encryption count; null when the tenant is gone. */
  async reserveEncryptions(scope: TenantScope, block: number): Promise<{ version: number; encryptions: bigint } | null> {
    const rows = await this.prisma.$queryRaw<{ version: number; encryptions: bigint }[]>`
      UPDATE tenants SET data_key_encryptions = data_key_encryptions + ${block}
      WHERE id = ${scope.tenantId} AND deleted_at IS NULL AND data_key_wrapped IS NOT NULL
      RETURNING data_key_version AS version, data_key_encryptions AS encryptions`;
    return rows[0] ?? null;
  }

  /** Runs `work` in a transaction of its own. */
  inOwnTransaction<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }

  /** Locks the tenant's row; the active key's version, or undefined when the tenant is gone. */
  async lockActiveVersion(tx: Prisma.TransactionClient, scope: TenantScope): Promise<number | undefined> {
    const locked = await tx.$queryRaw<{ version: number }[]>`
      SELECT data_key_version AS version FROM tenants
      WHERE id = ${scope.tenantId} AND deleted_at IS NULL AND data_key_wrapped IS NOT NULL
      FOR UPDATE`;
    return locked[0]?.version;
  }

  /** Retires the active key (kept, wrapped, for decryption) and makes `wrapped` the active one. */
  async activate(tx: Prisma.TransactionClient, scope: TenantScope, wrapped: Uint8Array, version: number): Promise<void> {
    await tx.$executeRaw`
      UPDATE tenants
         SET retired_data_keys_wrapped = array_append(retired_data_keys_wrapped, data_key_wrapped),
             data_key_wrapped = ${wrapped},
             data_key_version = ${version},
             data_key_encryptions = 0
       WHERE id = ${scope.tenantId}`;
  }

  /** The live tenant's wrapped keys: the active one and the retired ones (version i+1 at index i). */
  wrappedKeys(scope: TenantScope): Promise<{ dataKeyWrapped: Uint8Array | null; dataKeyVersion: number; retiredDataKeysWrapped: Uint8Array[] } | null> {
    return this.prisma.tenant.findFirst({
      where: { id: scope.tenantId, deletedAt: null },
      select: { dataKeyWrapped: true, dataKeyVersion: true, retiredDataKeysWrapped: true },
    });
  }
}
