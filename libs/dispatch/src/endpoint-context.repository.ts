import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { TenantKeysService, type TenantScope } from '@herald/core';
import type { CircuitState } from '@herald/deliveries';
import { PrismaService } from '@herald/db';
import { parseSigningSecret, type SigningKey } from '@herald/signing';

/** Everything about an endpoint that a delivery needs, decrypted and parsed. */
export interface EndpointContext {
  id: string;
  tenantId: string;
  appId: string;
  appUid: string | null;
  uid: string | null;
  url: string;
  disabled: boolean;
  failingSince: Date | null;
  /** Requests in flight at most, fleet-wide (the endpoint's own bound or the operator default). */
  maxInFlight: number;
  circuit: { state: CircuitState; probeAt: Date | null };
  /** An endpoint of the tenant's operational application (its attempts cause no operational events). */
  operational: boolean;
  /** When this was read (ms epoch). */
  loadedAt: number;
  /** Messages per second: the endpoint's, else its application's, else the tenant default. */
  throttleRate: number | null;
  /** Active secrets; `expiresAt` null = current, else an old one still signing until then. */
  keys: { expiresAt: number | null; key: SigningKey }[];
  /** Custom headers, decrypted. */
  headers: Record<string, string>;
  sendSvixHeaders: boolean;
}

/** How long a process may use what it read: endpoint edits reach deliveries within this. */
export const ENDPOINT_CACHE_TTL_MS = 1_000;
const CACHE_MAX = 20_000;
const KEY_CACHE_MAX = 50_000;

/**
 * Endpoint, secrets, headers and tenant settings, read once per second per endpoint and
 * process instead of once per delivery. Parsed signing keys are kept by secret id (a secret's
 * value never changes), because parsing an ed25519 key costs more than signing with it.
 */
@Injectable()
export class EndpointContextRepository {
  private readonly cache = new Map<string, { expiresAt: number; value: Promise<EndpointContext | null> }>();
  private readonly signingKeys = new Map<string, SigningKey>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly keys: TenantKeysService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  get(scope: TenantScope, endpointId: string): Promise<EndpointContext | null> {
    const key = `${scope.tenantId}/${endpointId}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    const value = this.read(scope, endpointId);
    this.cache.set(key, { expiresAt: now + ENDPOINT_CACHE_TTL_MS, value });
    // A failed read is not cached: the next job asks again.
    void value.catch(() => this.cache.delete(key));
    return value;
  }

  /** True when a context is older than the cache's TTL (read it again; keep using it meanwhile). */
  isStale(context: EndpointContext): boolean {
    return Date.now() - context.loadedAt > ENDPOINT_CACHE_TTL_MS;
  }

  /** Forget an endpoint now (this process changed it). */
  evict(scope: TenantScope, endpointId: string): void {
    this.cache.delete(`${scope.tenantId}/${endpointId}`);
  }

  private async read(scope: TenantScope, endpointId: string): Promise<EndpointContext | null> {
    const now = new Date();
    const [endpoint, settings] = await Promise.all([
      this.prisma.endpoint.findFirst({
        where: { id: endpointId, tenantId: scope.tenantId },
        select: {
          id: true,
          appId: true,
          uid: true,
          url: true,
          disabled: true,
          failingSince: true,
          throttleRate: true,
          maxInFlight: true,
          circuitState: true,
          circuitProbeAt: true,
          application: { select: { uid: true, throttleRate: true, kind: true } },
          secrets: { where: { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }, select: { id: true, kind: true, secretEnc: true, expiresAt: true }, orderBy: { createdAt: 'desc' } },
          headers: { select: { name: true, valueEnc: true } },
        },
      }),
      this.prisma.tenantSettings.findUnique({
        where: { tenantId: scope.tenantId },
        select: { throttleRate: true, sendSvixHeaders: true },
      }),
    ]);
    if (!endpoint) return null;
    const keys = await Promise.all(
      endpoint.secrets.map(async (s) => ({ expiresAt: s.expiresAt ? s.expiresAt.getTime() : null, key: await this.signingKey(scope, s) })),
    );
    const headers: Record<string, string> = {};
    for (const h of endpoint.headers) headers[h.name.toLowerCase()] = await this.keys.decryptString(scope, h.valueEnc);
    return {
      id: endpoint.id,
      tenantId: scope.tenantId,
      appId: endpoint.appId,
      appUid: endpoint.application.uid,
      uid: endpoint.uid,
      url: endpoint.url,
      disabled: endpoint.disabled,
      failingSince: endpoint.failingSince,
      maxInFlight: endpoint.maxInFlight ?? this.config.delivery.endpointMaxInFlight,
      circuit: { state: endpoint.circuitState as CircuitState, probeAt: endpoint.circuitProbeAt },
      operational: endpoint.application.kind === 'operational',
      loadedAt: Date.now(),
      throttleRate: endpoint.throttleRate ?? endpoint.application.throttleRate ?? settings?.throttleRate ?? null,
      keys,
      headers,
      sendSvixHeaders: settings?.sendSvixHeaders ?? false,
    };
  }

  private async signingKey(scope: TenantScope, secret: { id: string; kind: string; secretEnc: Uint8Array }): Promise<SigningKey> {
    const cached = this.signingKeys.get(secret.id);
    if (cached) return cached;
    const parsed = parseSigningSecret(secret.kind, await this.keys.decryptString(scope, secret.secretEnc));
    if (this.signingKeys.size >= KEY_CACHE_MAX) this.signingKeys.clear();
    this.signingKeys.set(secret.id, parsed);
    return parsed;
  }
}
