import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { dataKeyVersionOf, DecryptionError, KeyRing, openForTenant, sealForTenant } from '@herald/crypto';
import { AuditService, SYSTEM_AUDIT_CONTEXT } from './audit.service';
import { NotFoundError } from './errors';
import { TenantKeyRepository } from './tenant-key.repository';
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

/**
 * When a data key retires. AES-GCM with random 96-bit nonces may seal at most 2^32 messages
 * under one key (NIST SP 800-38D) before nonce collisions become a real risk; Herald retires a
 * key at a quarter of that. Processes reserve encryptions from the tenant's counter in blocks
 * (one UPDATE per block, not per message); a reserved but unused block still counts.
 */
export interface DataKeyLimits {
  maxEncryptionsPerKey: number;
  reserveBlock: number;
}
export const DATA_KEY_LIMITS = Symbol('DATA_KEY_LIMITS');
export const DEFAULT_DATA_KEY_LIMITS: DataKeyLimits = { maxEncryptionsPerKey: 2 ** 30, reserveBlock: 4096 };

interface TenantKeys {
  /** Every version of the tenant's data key, unwrapped: the active one and the retired ones. */
  byVersion: Map<number, Buffer>;
  expiresAt: number;
}

/** Encrypts and decrypts a tenant's data with its data keys (envelope encryption). */
@Injectable()
export class TenantKeysService implements OnModuleDestroy {
  readonly keyRing: KeyRing;
  private readonly limits: DataKeyLimits;
  private readonly cache = new Map<string, TenantKeys>();
  /** Encryptions this process reserved and may still spend, per tenant, under one key version. */
  private readonly reservations = new Map<string, { version: number; remaining: number }>();
  private readonly reserving = new Map<string, Promise<void>>();
  /** Key reads in flight, per tenant (shared by everyone who asks meanwhile). */
  private readonly loading = new Map<string, Promise<TenantKeys>>();
  /** Bumped by every eviction: a read that started before one does not fill the cache. */
  private generation = 0;
  private readonly sweeper = setInterval(() => this.sweep(), KEY_CACHE_SWEEP_MS).unref();

  constructor(
    private readonly keys: TenantKeyRepository,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
    @Optional() private readonly audit?: AuditService,
    @Optional() @Inject(DATA_KEY_LIMITS) limits?: DataKeyLimits,
  ) {
    this.keyRing = new KeyRing(config.security.masterKeys);
    this.limits = limits ?? DEFAULT_DATA_KEY_LIMITS;
  }

  async encrypt(scope: TenantScope, plaintext: Buffer | string): Promise<Buffer> {
    const { version, key } = await this.keyForEncryption(scope);
    return sealForTenant(key, scope.tenantId, typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext, version);
  }

  async decrypt(scope: TenantScope, sealed: Uint8Array): Promise<Buffer> {
    const buffer = Buffer.from(sealed);
    // Keys first: a deleted tenant or a missing master key is the answer, whatever the ciphertext.
    const keys = await this.dataKeys(scope);
    const version = dataKeyVersionOf(buffer);
    let key = keys.byVersion.get(version);
    if (!key) {
      // Another process rotated the key since this one read it.
      this.forgetKeys(scope.tenantId);
      key = (await this.dataKeys(scope)).byVersion.get(version);
    }
    if (!key) throw new DecryptionError(`version ${version} of the tenant's data key does not exist`);
    return openForTenant(key, scope.tenantId, buffer);
  }

  async decryptString(scope: TenantScope, sealed: Uint8Array): Promise<string> {
    return (await this.decrypt(scope, sealed)).toString('utf8');
  }

  /** Forget a tenant's keys now (crypto-shredding, key rotation). */
  evict(tenantId: string): void {
    this.forgetKeys(tenantId);
    this.reservations.delete(tenantId);
  }

  /** Drops the tenant's cached keys and any read of them in flight: the next use reads them anew. */
  private forgetKeys(tenantId: string): void {
    this.generation += 1;
    this.loading.delete(tenantId);
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

  /** The key to seal with: spends one reserved encryption, reserving a block (or rotating) when none is left. */
  private async keyForEncryption(scope: TenantScope): Promise<{ version: number; key: Buffer }> {
    // Bounded: each round either spends a reservation or makes a new one (concurrent callers share it).
    for (let round = 0; round < 100; round += 1) {
      const reservation = this.reservations.get(scope.tenantId);
      if (reservation && reservation.remaining > 0) {
        let key = (await this.dataKeys(scope)).byVersion.get(reservation.version);
        if (!key) {
          this.forgetKeys(scope.tenantId);
          key = (await this.dataKeys(scope)).byVersion.get(reservation.version);
        }
        // Re-checked after the await: another caller may have spent the last one meanwhile.
        if (key && reservation.remaining > 0 && this.reservations.get(scope.tenantId) === reservation) {
          reservation.remaining -= 1;
          return { version: reservation.version, key };
        }
        continue;
      }
      let pending = this.reserving.get(scope.tenantId);
      if (!pending) {
        pending = this.reserve(scope).finally(() => this.reserving.delete(scope.tenantId));
        this.reserving.set(scope.tenantId, pending);
      }
      await pending;
    }
    throw new Error(`could not reserve an encryption under the data key of tenant ${scope.tenantId}`);
  }

  /** Reserves a block of encryptions under the active key; retires the key first when it is used up. */
  private async reserve(scope: TenantScope): Promise<void> {
    const { maxEncryptionsPerKey, reserveBlock } = this.limits;
    // Each round reserves a block or retires a used-up key, so some process always progresses;
    // losing many rounds in a row takes other processes spending a whole key's budget each time.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const row = await this.keys.reserveEncryptions(scope, reserveBlock);
      if (!row) throw new NotFoundError('Tenant');
      if (Number(row.encryptions) <= maxEncryptionsPerKey) {
        this.reservations.set(scope.tenantId, { version: row.version, remaining: reserveBlock });
        return;
      }
      await this.rotate(scope, row.version);
    }
    throw new Error(`could not rotate the data key of tenant ${scope.tenantId}`);
  }

  /**
   * Retires data key `fromVersion` (kept, wrapped, for decryption) and makes a new one active,
   * unless another process did so first. Audited.
   */
  private async rotate(scope: TenantScope, fromVersion: number): Promise<void> {
    await this.keys.inOwnTransaction(async (tx) => {
      if ((await this.keys.lockActiveVersion(tx, scope)) !== fromVersion) return;
      const toVersion = fromVersion + 1;
      const { wrapped } = this.keyRing.newDataKey(scope.tenantId, toVersion);
      await this.keys.activate(tx, scope, new Uint8Array(wrapped), toVersion);
      await this.audit?.record(tx, scope, SYSTEM_AUDIT_CONTEXT, {
        action: 'tenant.data_key.rotated',
        target: { type: 'tenant', id: scope.tenantId },
        details: { fromVersion, toVersion, reason: 'encryption limit' },
      });
    });
    this.evict(scope.tenantId);
  }

  /**
   * The tenant's unwrapped keys. One read per tenant at a time: when the cached entry expires
   * under load, the hundreds of attempts and requests that ask meanwhile share that read
   * instead of each sending its own.
   */
  private dataKeys(scope: TenantScope): Promise<TenantKeys> {
    const hit = this.cache.get(scope.tenantId);
    if (hit && hit.expiresAt > Date.now()) return Promise.resolve(hit);
    const loading = this.loading.get(scope.tenantId);
    if (loading) return loading;
    const generation = this.generation;
    const load = this.loadKeys(scope, generation).finally(() => {
      if (this.loading.get(scope.tenantId) === load) this.loading.delete(scope.tenantId);
    });
    this.loading.set(scope.tenantId, load);
    return load;
  }

  private async loadKeys(scope: TenantScope, generation: number): Promise<TenantKeys> {
    const now = Date.now();
    const tenant = await this.keys.wrappedKeys(scope);
    if (!tenant?.dataKeyWrapped) throw new NotFoundError('Tenant');
    const byVersion = new Map<number, Buffer>();
    tenant.retiredDataKeysWrapped.forEach((wrapped, i) => byVersion.set(i + 1, this.keyRing.unwrap(Buffer.from(wrapped), scope.tenantId, i + 1)));
    byVersion.set(tenant.dataKeyVersion, this.keyRing.unwrap(Buffer.from(tenant.dataKeyWrapped), scope.tenantId, tenant.dataKeyVersion));
    const entry = { byVersion, expiresAt: now + DATA_KEY_CACHE_TTL_MS - KEY_CACHE_SWEEP_MS };
    // Keys evicted while this read ran (shredded, rotated) are not cached from it.
    if (generation === this.generation) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(scope.tenantId, entry);
    }
    return entry;
  }
}
