import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { GroupCommit } from '@herald/db';
import { ForbiddenError, hashApiKey, UnauthorizedError } from '@herald/tenancy';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { ApiKeyLookupRepository, type KeyRow } from './api-key-lookup.repository';
import { cidrSet } from './cidr';
import { PORTAL_CAPABILITIES, type PortalCapability } from './access.decorator';
import type { ApiKeyScope, Principal } from './principal';

const KNOWN_CAPABILITIES = new Set<string>(PORTAL_CAPABILITIES);


/**
 * Key lookups of concurrent requests share one query (no cache: each request reads the key's
 * row after it arrived, so a revocation or an expiry set in the database applies at once);
 * requests with the same key share its lookup.
 */
const LOOKUP_BATCH = { maxSize: 256, maxInFlight: 1, keyOf: (hash: Buffer) => hash.toString('hex') };

/** Resolves a bearer token to a principal: the operator token, or a tenant's API key. */
@Injectable()
export class ApiKeyAuthService {
  private readonly adminTokenHash: Buffer;
  private readonly lookups = new GroupCommit<Buffer, KeyRow | undefined>((hashes) => this.keys.findMany(hashes), LOOKUP_BATCH);

  constructor(
    private readonly keys: ApiKeyLookupRepository,
    private readonly failures: AuthFailureLimiter,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.adminTokenHash = hashApiKey(config.security.adminToken);
  }

  async authenticate(token: string, clientIp: string | undefined): Promise<Principal> {
    // Before any lookup: an address flooding bad tokens must not queue lookups for everyone.
    this.failures.assertAllowed(clientIp);
    const hash = hashApiKey(token);
    // Compare digests, not tokens: constant time whatever the token's length.
    if (timingSafeEqual(hash, this.adminTokenHash)) return { kind: 'operator' };

    const key = await this.lookups.submit(hash);
    if (!key || key.revoked_at || key.tenant_deleted_at) {
      this.failures.recordFailure(clientIp);
      throw new UnauthorizedError('Invalid API key');
    }
    if (key.expires_at && key.expires_at.getTime() <= Date.now()) {
      this.failures.recordFailure(clientIp);
      throw new UnauthorizedError('API key expired');
    }
    if (key.allowed_cidrs.length > 0 && !(clientIp && cidrSet(key.allowed_cidrs).has(clientIp))) {
      throw new ForbiddenError('API key not allowed from this address');
    }
    if (key.app_id) {
      return {
        kind: 'app_portal',
        keyId: key.id,
        tenantId: key.tenant_id,
        appId: key.app_id,
        appUid: key.app_uid,
        capabilities: key.capabilities.filter((c): c is PortalCapability => KNOWN_CAPABILITIES.has(c)),
        featureFlags: key.feature_flags,
        expiresAt: key.expires_at,
      };
    }
    return { kind: 'api_key', keyId: key.id, tenantId: key.tenant_id, scopes: key.scopes as ApiKeyScope[], expiresAt: key.expires_at };
  }
}
