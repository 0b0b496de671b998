import { Injectable } from '@nestjs/common';
import type { Db, TenantScope } from '@herald/core';
import { PrismaService } from '@herald/db';

export interface NewAppPortalKey {
  id: string;
  appId: string;
  name: string;
  keyHash: Buffer;
  keyPrefix: string;
  scopes: string[];
  expiresAt: Date;
}

/** App-portal tokens are `api_keys` rows bound to one application (`app_id`). */
@Injectable()
export class AppPortalRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(tx: Db, scope: TenantScope, key: NewAppPortalKey): Promise<void> {
    await tx.apiKey.create({
      data: {
        id: key.id,
        tenantId: scope.tenantId,
        appId: key.appId,
        name: key.name,
        keyHash: new Uint8Array(key.keyHash),
        keyPrefix: key.keyPrefix,
        scopes: key.scopes,
        expiresAt: key.expiresAt,
        allowedCidrs: [],
      },
    });
  }

  /** Revokes every portal token of an application (it is being deleted). */
  async revokeForApp(tx: Db, scope: TenantScope, appId: string): Promise<number> {
    const { count } = await tx.apiKey.updateMany({ where: { tenantId: scope.tenantId, appId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count;
  }

  /** The scopes of the caller's own key (the principal does not carry them for app-portal tokens). */
  async scopesOf(scope: TenantScope, keyId: string): Promise<string[] | null> {
    const key = await this.prisma.apiKey.findFirst({ where: { id: keyId, tenantId: scope.tenantId }, select: { scopes: true } });
    return key?.scopes ?? null;
  }
}
