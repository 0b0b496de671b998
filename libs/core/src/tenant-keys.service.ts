import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { KeyRing, openForTenant, sealForTenant } from '@herald/crypto';
import { PrismaService } from '@herald/db';
import { NotFoundError } from './errors';
import type { TenantScope } from './tenancy';

// Unwrapped data keys are cached briefly: long enough to keep unwrapping off the hot path
// (one indexed read per tenant per process every few seconds), short enough that a shredded
// tenant's key leaves every other process's memory within seconds.
export const DATA_KEY_CACHE_TTL_MS = 5_000;
/**
 * Expired keys are dropped from memory this often, not only when next asked for: a shredded
 * tenant's key is never asked for again. Entries live TTL minus this, so none outlives the TTL.
 */
export const KEY_CACHE_SWEEP_MS = 500;
const CACHE_MAX = 10_000;

/** Encrypts and decrypts a tenant's data with its data key (envelope encryption). */
@Injectable()
export class TenantKeysService implements OnModuleDestroy {
  readonly keyRing: KeyRing;
  private readonly cache = new Map<string, { key: Buffer; expiresAt: number }>();
  private readonly sweeper = setInterval(() => this.sweep(), KEY_CACHE_SWEEP_MS).unref();

  constructor(
    private readonly prisma: PrismaService,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.keyRing = new KeyRing(config.security.masterKeys);
  }

  async encrypt(scope: TenantScope, plaintext: Buffer | string): Promise<Buffer> {
    const key = await this.dataKey(scope);
    return sealForTenant(key, scope.tenantId, typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext);
  }

  async decrypt(scope: TenantScope, sealed: Uint8Array): Promise<Buffer> {
    const key = await this.dataKey(scope);
    return openForTenant(key, scope.tenantId, Buffer.from(sealed));
  }

  async decryptString(scope: TenantScope, sealed: Uint8Array): Promise<string> {
    return (await this.decrypt(scope, sealed)).toString('utf8');
  }

  /** Forget a tenant's key now (crypto-shredding, key rotation). */
  evict(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  /** Whether this process holds the tenant's unwrapped key in memory (tests, diagnostics). */
  holdsKeyOf(tenantId: string): boolean {
    return this.cache.has(tenantId);
  }

  /** Drops expired keys. */
  sweep(now = Date.now()): void {
    for (const [tenantId, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(tenantId);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  private async dataKey(scope: TenantScope): Promise<Buffer> {
    const now = Date.now();
    const hit = this.cache.get(scope.tenantId);
    if (hit && hit.expiresAt > now) return hit.key;
    const tenant = await this.prisma.tenant.findFirst({
      where: { id: scope.tenantId, deletedAt: null },
      select: { dataKeyWrapped: true },
    });
    if (!tenant?.dataKeyWrapped) throw new NotFoundError('Tenant');
    const key = this.keyRing.unwrap(Buffer.from(tenant.dataKeyWrapped), scope.tenantId);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(scope.tenantId, { key, expiresAt: now + DATA_KEY_CACHE_TTL_MS - KEY_CACHE_SWEEP_MS });
    return key;
  }
}
