import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { OperatorDb, DATA_KEY_CACHE_TTL_MS, KEY_CACHE_SWEEP_MS, TenantKeysService, type TenantScope } from '@herald/tenancy';
import type { CircuitState } from '@herald/deliveries';
import { hotSql, PrismaService } from '@herald/db';
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

interface EndpointRow {
  id: string;
  app_id: string;
  uid: string | null;
  url: string;
  disabled: boolean;
  failing_since: Date | null;
  throttle_rate: number | null;
  max_in_flight: number | null;
  circuit_state: CircuitState;
  circuit_probe_at: Date | null;
  app_uid: string | null;
  app_throttle_rate: number | null;
  app_kind: string;
  tenant_throttle_rate: number | null;
  send_svix_headers: boolean;
  /** Parallel arrays, null when the endpoint has none. */
  secret_ids: string[] | null;
  secret_kinds: string[] | null;
  secret_encs: Buffer[] | null;
  secret_expires: (Date | null)[] | null;
  header_names: string[] | null;
  header_values: Buffer[] | null;
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

  /**
   * One hot statement (it runs for every busy endpoint every second): the endpoint, its
   * application, the tenant's settings, its live secrets (newest first) and its headers.
   */
  private async read(scope: TenantScope, endpointId: string): Promise<EndpointContext | null> {
    const [endpoint] = await this.db.hot(hotSql<EndpointRow>`/* hot:endpoint_context */
      SELECT e.id, e.app_id, e.uid, e.url, e.disabled, e.failing_since, e.throttle_rate, e.max_in_flight, e.circuit_state, e.circuit_probe_at,
             a.uid AS app_uid, a.throttle_rate AS app_throttle_rate, a.kind AS app_kind,
             ts.throttle_rate AS tenant_throttle_rate, COALESCE(ts.send_svix_headers, false) AS send_svix_headers,
             s.ids AS secret_ids, s.kinds AS secret_kinds, s.encs AS secret_encs, s.expires AS secret_expires,
             h.names AS header_names, h.values AS header_values
      FROM endpoints e
      JOIN applications a ON a.id = e.app_id AND a.tenant_id = e.tenant_id
      LEFT JOIN tenant_settings ts ON ts.tenant_id = e.tenant_id
      CROSS JOIN LATERAL (
        SELECT array_agg(x.id ORDER BY x.created_at DESC) AS ids, array_agg(x.kind ORDER BY x.created_at DESC) AS kinds,
               array_agg(x.secret_enc ORDER BY x.created_at DESC) AS encs, array_agg(x.expires_at ORDER BY x.created_at DESC) AS expires
        FROM endpoint_secrets x
        WHERE x.endpoint_id = e.id AND x.tenant_id = e.tenant_id AND (x.expires_at IS NULL OR x.expires_at > now())
      ) s
      CROSS JOIN LATERAL (
        SELECT array_agg(y.name) AS names, array_agg(y.value_enc) AS values
        FROM endpoint_headers y WHERE y.endpoint_id = e.id AND y.tenant_id = e.tenant_id
      ) h
      WHERE e.id = ${endpointId} AND e.tenant_id = ${scope.tenantId}`);
    if (!endpoint) return null;
    const secretIds = endpoint.secret_ids ?? [];
    const keys = await Promise.all(
      secretIds.map(async (id, i) => {
        const expiresAt = endpoint.secret_expires?.[i] ?? null;
        return { expiresAt: expiresAt ? expiresAt.getTime() : null, key: await this.signingKey(scope, { id, kind: endpoint.secret_kinds?.[i] as string, secretEnc: endpoint.secret_encs?.[i] as Uint8Array }) };
      }),
    );
    const headers: Record<string, string> = {};
    const headerNames = endpoint.header_names ?? [];
    for (let i = 0; i < headerNames.length; i++) headers[(headerNames[i] as string).toLowerCase()] = await this.keys.decryptString(scope, endpoint.header_values?.[i] as Uint8Array);
    return {
      id: endpoint.id,
      tenantId: scope.tenantId,
      appId: endpoint.app_id,
      appUid: endpoint.app_uid,
      uid: endpoint.uid,
      url: endpoint.url,
      disabled: endpoint.disabled,
      failingSince: endpoint.failing_since,
      maxInFlight: endpoint.max_in_flight ?? this.config.delivery.endpointMaxInFlight,
      circuit: { state: endpoint.circuit_state, probeAt: endpoint.circuit_probe_at },
      operational: endpoint.app_kind === 'operational',
      loadedAt: Date.now(),
      throttleRate: endpoint.throttle_rate ?? endpoint.app_throttle_rate ?? endpoint.tenant_throttle_rate ?? null,
      keys,
      headers,
      sendSvixHeaders: endpoint.send_svix_headers,
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
