import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { PrismaService } from '@herald/db';
import { ForbiddenError, hashApiKey, UnauthorizedError } from '@herald/core';
import { cidrSet } from './cidr';
import type { ApiKeyScope, Principal } from './principal';

/** Resolves a bearer token to a principal: the operator token, or a tenant's API key. */
@Injectable()
export class ApiKeyAuthService {
  private readonly adminTokenHash: Buffer;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.adminTokenHash = hashApiKey(config.security.adminToken);
  }

  async authenticate(token: string, clientIp: string | undefined): Promise<Principal> {
    const hash = hashApiKey(token);
    // Compare digests, not tokens: constant time whatever the token's length.
    if (timingSafeEqual(hash, this.adminTokenHash)) return { kind: 'operator' };

    const key = await this.prisma.apiKey.findUnique({
      where: { keyHash: new Uint8Array(hash) },
      select: { id: true, tenantId: true, scopes: true, appId: true, expiresAt: true, revokedAt: true, allowedCidrs: true, tenant: { select: { deletedAt: true } } },
    });
    if (!key || key.revokedAt || key.tenant.deletedAt) throw new UnauthorizedError('Invalid API key');
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) throw new UnauthorizedError('API key expired');
    if (key.allowedCidrs.length > 0 && !(clientIp && cidrSet(key.allowedCidrs).has(clientIp))) {
      throw new ForbiddenError('API key not allowed from this address');
    }
    if (key.appId) return { kind: 'app_portal', keyId: key.id, tenantId: key.tenantId, appId: key.appId };
    return { kind: 'api_key', keyId: key.id, tenantId: key.tenantId, scopes: key.scopes as ApiKeyScope[] };
  }
}
