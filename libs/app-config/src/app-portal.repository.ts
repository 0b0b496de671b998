import { Injectable } from '@nestjs/common';
import type { TenantTx } from '@herald/tenancy';

export interface NewAppPortalKey {
  id: string;
  appId: string;
  name: string;
  keyHash: Buffer;
  keyPrefix: string;
  capabilities: string[];
  featureFlags: string[];
  sessionId: string | null;
  expiresAt: Date;
}

/** App-portal tokens are `api_keys` rows bound to one application (`app_id`). */
@Injectable()
export class AppPortalRepository {
  async create({ db: tx, scope }: TenantTx, key: NewAppPortalKey): Promise<void> {
    await tx.apiKey.create({
      data: {
        id: key.id,
        tenantId: scope.tenantId,
        appId: key.appId,
        name: key.name,
        keyHash: new Uint8Array(key.keyHash),
        keyPrefix: key.keyPrefix,
        scopes: [],
        capabilities: key.capabilities,
        featureFlags: key.featureFlags,
        sessionId: key.sessionId,
        expiresAt: key.expiresAt,
        allowedCidrs: [],
      },
    });
  }

  /** Revokes every portal token of an application (it is being deleted). */
  async revokeForApp({ db: tx, scope }: TenantTx, appId: string): Promise<number> {
    const { count } = await tx.apiKey.updateMany({ where: { tenantId: scope.tenantId, appId, revokedAt: null }, data: { revokedAt: new Date() } });
    return count;
  }

  /** Revokes one portal token (logout); false when it was already revoked. */
  async revoke({ db: tx, scope }: TenantTx, keyId: string, at: Date): Promise<boolean> {
    const { count } = await tx.apiKey.updateMany({ where: { id: keyId, tenantId: scope.tenantId, appId: { not: null }, revokedAt: null }, data: { revokedAt: at } });
    return count > 0;
  }

  /**
   * Makes the app's live portal tokens (optionally only those of some sessions) expire at
   * `at` at the latest; tokens already expiring sooner keep their time. Returns how many.
   */
  async expireForApp({ db: tx, scope }: TenantTx, appId: string, at: Date, sessionIds: string[] | null): Promise<number> {
    const { count } = await tx.apiKey.updateMany({
      where: {
        tenantId: scope.tenantId,
        appId,
        revokedAt: null,
        OR: [{ expiresAt: null }, { expiresAt: { gt: at } }],
        ...(sessionIds ? { sessionId: { in: sessionIds } } : {}),
      },
      data: { expiresAt: at },
    });
    return count;
  }
}
