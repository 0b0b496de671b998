import { Injectable } from '@nestjs/common';
import { keyRange, type PagePlan } from '@herald/api-core';
import { newId, PrismaService } from '@herald/db';
import type { TenantScope, TenantTx } from '@herald/tenancy';
import type { ApiKeyRow } from './tenant.mappers';

const API_KEY_SELECT = { id: true, name: true, keyPrefix: true, scopes: true, expiresAt: true, allowedCidrs: true, createdAt: true } as const;

export interface NewApiKey {
  name: string;
  keyHash: Buffer;
  keyPrefix: string;
  scopes: string[];
  expiresAt: Date | null;
  allowedCidrs: string[];
}

/** A tenant's own API keys (app-portal tokens, which carry an app id, are not managed here). */
@Injectable()
export class ApiKeyRepository {
  constructor(private readonly prisma: PrismaService) {}

  create({ db, scope }: TenantTx, key: NewApiKey): Promise<ApiKeyRow> {
    return db.apiKey.create({
      data: {
        id: newId('key'),
        tenantId: scope.tenantId,
        name: key.name,
        keyHash: new Uint8Array(key.keyHash),
        keyPrefix: key.keyPrefix,
        scopes: key.scopes,
        expiresAt: key.expiresAt,
        allowedCidrs: key.allowedCidrs,
      },
      select: API_KEY_SELECT,
    });
  }

  /** Keys not revoked (expired ones included, so they can be seen and revoked). */
  async list(scope: TenantScope, plan: PagePlan): Promise<ApiKeyRow[]> {
    return this.prisma.apiKey.findMany({
      where: { tenantId: scope.tenantId, appId: null, revokedAt: null, id: keyRange(plan) },
      orderBy: { id: plan.sort },
      take: plan.limit + 1,
      select: API_KEY_SELECT,
    });
  }

  /** Revokes a live key of the tenant; false when there is none. Authentication refuses it from the commit on. */
  async revoke({ db, scope }: TenantTx, id: string, at: Date): Promise<boolean> {
    const { count } = await db.apiKey.updateMany({ where: { id, tenantId: scope.tenantId, appId: null, revokedAt: null }, data: { revokedAt: at } });
    return count > 0;
  }
}
