import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { OperatorDb, DATA_KEY_CACHE_TTL_MS, KEY_CACHE_SWEEP_MS, TenantKeysService, type TenantScope } from '@herald/tenancy';
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
 * value never changes), because parsing an ed25519 key costs more than signing with it — but
 * no longer than the tenant's data key may stay in memory (docs/security.md: a crypto-shredded
 * tenant's keys leave every process within 5 s), so each is parsed again from its ciphertext,
 * under a data key that must still exist, every few seconds. Expired entries are swept, and
 * the sweep tells listeners (the lane scheduler) to drop the contexts they hold.
 */
@Injectable()
export class EndpointContextRepository implements OnModuleDestroy {
  private readonly cache = new Map<string, { expiresAt: number; value: Promise<EndpointContext | null> }>();
  private readonly signingKeys = new Map<string, { tenantId: string; key: SigningKey; expiresAt: number }>();
  private readonly sweepListeners: ((now: number) => void)[] = [];
  private readonly sweeper = setInterval(() => this.sweep(), KEY_CACHE_SWEEP_MS).unref();

  /** Cross-tenant by design: the operator access path's client. */
  private readonly db: PrismaService;

  constructor(
    operator: OperatorDb,
    private readonly keys: TenantKeysService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {
    this.db = operator.client;
  }

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

  /** Called after every sweep, with its time: holders of contexts drop the stale ones. */
  onSweep(listener: (now: number) => void): void {
    this.sweepListeners.push(listener);
  }

  /** Whether any context or parsed signing key of the tenant is held (tests, diagnostics). */
  holdsTenant(tenantId: string): boolean {
    for (const entry of this.signingKeys.values()) if (entry.tenantId === tenantId) return true;
    for (const key of this.cache.keys()) if (key.startsWith(`${tenantId}/`)) return true;
    return false;
  }

  /** Drops expired contexts and signing keys, then lets listeners drop theirs. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(key);
    for (const [id, entry] of this.signingKeys) if (entry.expiresAt <= now) this.signingKeys.delete(id);
    for (const listener of this.sweepListeners) listener(now);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private async read(scope: TenantScope, endpointId: string): Promise<EndpointContext | null> {
    const now = new Date();
    const [endpoint, settings] = await Promise.all([
      this.db.endpoint.findFirst({
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
      this.db.tenantSettings.findUnique({
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
    const now = Date.now();
    const cached = this.signingKeys.get(secret.id);
    if (cached && cached.expiresAt > now) return cached.key;
    const parsed = parseSigningSecret(secret.kind, await this.keys.decryptString(scope, secret.secretEnc));
    if (this.signingKeys.size >= KEY_CACHE_MAX) this.signingKeys.clear();
    // As long as the data key it was decrypted with may stay in memory, and no longer.
    this.signingKeys.set(secret.id, { tenantId: scope.tenantId, key: parsed, expiresAt: now + DATA_KEY_CACHE_TTL_MS - KEY_CACHE_SWEEP_MS });
    return parsed;
  }
}
