import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataKeyVersionOf } from '@herald/crypto';
import { TenantKeyRepository, TenantKeysService, type TenantScope } from '@herald/tenancy';
import { createTenant, testConfig } from '@herald/testing';
import { auditEntries, openRetentionContext, type RetentionContext } from '../test/retention-harness';

// AES-GCM's per-key limit made small: a key retires after 5 encryptions, reserved 2 at a time.
const LIMITS = { maxEncryptionsPerKey: 5, reserveBlock: 2 };

describe('tenant data keys rotate before their encryption limit', () => {
  let ctx: RetentionContext;
  const limited = () => new TenantKeysService(new TenantKeyRepository(ctx.prisma), ctx.config, ctx.audit, LIMITS);
  const row = (scope: TenantScope) =>
    ctx.prisma.tenant.findUniqueOrThrow({ where: { id: scope.tenantId }, select: { dataKeyVersion: true, dataKeyEncryptions: true, retiredDataKeysWrapped: true } });

  beforeAll(async () => {
    ctx = await openRetentionContext(testConfig());
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('retires a key once its reserved encryptions pass the limit, keeps it for decryption, and audits it', async () => {
    const { scope } = await createTenant(ctx.services);
    const keys = limited();
    const sealed: Buffer[] = [];
    for (let i = 0; i < 12; i += 1) sealed.push(await keys.encrypt(scope, `message ${i}`));
    // Two blocks of 2 fit under 5; the third would not: 4 messages per key version.
    expect(sealed.map((s) => dataKeyVersionOf(s))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    const after = await row(scope);
    expect(after.dataKeyVersion).toBe(3);
    expect(after.retiredDataKeysWrapped).toHaveLength(2);
    expect((await auditEntries(ctx, scope, 'tenant.data_key.rotated')).map((e) => e.details)).toEqual([
      { fromVersion: 1, toVersion: 2, reason: 'encryption limit' },
      { fromVersion: 2, toVersion: 3, reason: 'encryption limit' },
    ]);
    expect(await ctx.audit.verify(scope)).toMatchObject({ ok: true });
    // Another process (default limits, nothing cached) reads every version.
    const other = new TenantKeysService(new TenantKeyRepository(ctx.prisma), ctx.config);
    for (const [i, s] of sealed.entries()) expect(await other.decryptString(scope, s)).toBe(`message ${i}`);
    // Data sealed before any rotation existed (version 1, the `dk1` id) is still read.
    expect(await ctx.keys.decryptString(scope, sealed[0]!)).toBe('message 0');
  });

  it('never seals more than the limit under one key, with several processes encrypting at once', async () => {
    const { scope } = await createTenant(ctx.services);
    const processes = [limited(), limited(), limited()];
    const sealed = (await Promise.all(processes.map((keys) => Promise.all(Array.from({ length: 15 }, (_, i) => keys.encrypt(scope, `p${i}`)))))).flat();
    const perVersion = new Map<number, number>();
    for (const s of sealed) perVersion.set(dataKeyVersionOf(s), (perVersion.get(dataKeyVersionOf(s)) ?? 0) + 1);
    for (const [version, count] of perVersion) expect(count, `version ${version}`).toBeLessThanOrEqual(LIMITS.maxEncryptionsPerKey);
    const reader = new TenantKeysService(new TenantKeyRepository(ctx.prisma), ctx.config);
    for (const s of sealed) expect(await reader.decryptString(scope, s)).toMatch(/^p\d+$/);
  });

  it('reads a tenant\'s keys once for many concurrent callers, and never caches a read an eviction overtook', async () => {
    const { scope } = await createTenant(ctx.services);
    const sealed = await ctx.keys.encrypt(scope, 'shared');
    const repository = new TenantKeyRepository(ctx.prisma);
    let reads = 0;
    const wrappedKeys = repository.wrappedKeys.bind(repository);
    repository.wrappedKeys = (s) => {
      reads += 1;
      return wrappedKeys(s);
    };
    const keys = new TenantKeysService(repository, ctx.config);
    const opened = await Promise.all(Array.from({ length: 50 }, () => keys.decryptString(scope, sealed)));
    expect(opened.every((t) => t === 'shared')).toBe(true);
    expect(reads).toBe(1);
    // Evicted (say, shredded) while a read is in flight: that read answers its callers but fills no cache.
    keys.evict(scope.tenantId);
    const during = keys.decryptString(scope, sealed);
    keys.evict(scope.tenantId);
    expect(await during).toBe('shared');
    expect(keys.holdsKeyOf(scope.tenantId)).toBe(false);
    expect(reads).toBe(2);
  });

  it('refuses, in the database, to shred the active key while retired keys remain', async () => {
    const { scope } = await createTenant(ctx.services);
    const keys = limited();
    for (let i = 0; i < 5; i += 1) await keys.encrypt(scope, 'x');
    expect((await row(scope)).retiredDataKeysWrapped).toHaveLength(1);
    await expect(ctx.prisma.tenant.update({ where: { id: scope.tenantId }, data: { dataKeyWrapped: null, deletedAt: new Date() } })).rejects.toThrow(/tenants_shredded_keys_check/);
    await ctx.prisma.tenant.update({ where: { id: scope.tenantId }, data: { dataKeyWrapped: null, retiredDataKeysWrapped: [], deletedAt: new Date() } });
    keys.evict(scope.tenantId);
    await expect(keys.decrypt(scope, Buffer.from('x'))).rejects.toThrow(/Tenant not found/);
  });
});
