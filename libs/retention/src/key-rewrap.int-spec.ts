import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf } from '@herald/crypto';
import { TenantKeyRepository, TenantKeysService, type TenantScope } from '@herald/tenancy';
import { createApplication, createEndpoint, createTenant, createTestDatabase, dropTestDatabase, testConfig } from '@herald/testing';
import { auditEntries, insertMessage, openRetentionContext, shredTenant, type RetentionContext } from '../test/retention-harness';

const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

// `keys rewrap` walks every tenant of a database, so this file has a database of its own.
describe('KeyRewrapService (master key rotation)', () => {
  const k0 = key('k0');
  const k1 = key('k1');
  const k2 = key('k2');
  let db: { url: string; name: string };
  const contexts: RetentionContext[] = [];
  const open = async (ring: string) => {
    const ctx = await openRetentionContext(testConfig({ DATABASE_URL: db.url, HERALD_MASTER_KEYS: ring }));
    contexts.push(ctx);
    return ctx;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const ctx of contexts) await ctx.close();
    if (db) await dropTestDatabase(db.name);
  });

  const wrappedKid = async (ctx: RetentionContext, scope: TenantScope) => {
    const row = await ctx.prisma.tenant.findUniqueOrThrow({ where: { id: scope.tenantId }, select: { dataKeyWrapped: true } });
    return row.dataKeyWrapped ? keyIdOf(Buffer.from(row.dataKeyWrapped)) : null;
  };

  it('re-wraps every data key under the new first key; old data still decrypts after the old key is retired', async () => {
    // Created under ring [k1], with a payload and an endpoint secret sealed under their data keys.
    const before = await open(k1);
    const tenants: { scope: TenantScope; messageId: string; secret: string; endpointId: string }[] = [];
    for (let i = 0; i < 3; i += 1) {
      const { scope } = await createTenant(before.services);
      const app = await createApplication(before.services, scope);
      const endpoint = await createEndpoint(before.services, scope, app.id, { url: 'https://receiver.example/hook' });
      const message = await insertMessage(before, scope, app.id, { ageDays: 0, expiresAfterDays: 30, payload: `{"n":${i}}` });
      tenants.push({ scope, messageId: message.id, secret: endpoint.secret, endpointId: endpoint.id });
    }
    // A deleted tenant has no key to re-wrap.
    const deleted = await createTenant(before.services);
    await shredTenant(before, deleted.scope);
    for (const t of tenants) expect(await wrappedKid(before, t.scope)).toBe('k1');

    // Step 1 of a rotation: the new key goes first, the old one stays to unwrap.
    const during = await open(`${k2},${k1}`);
    const first = await during.rewrap.rewrap();
    expect(first).toEqual({ activeKid: 'k2', checked: 3, rewrapped: 3, alreadyCurrent: 0, skipped: 0, failures: [] });
    for (const t of tenants) {
      expect(await wrappedKid(during, t.scope)).toBe('k2');
      expect((await auditEntries(during, t.scope, 'tenant.data_key.rewrapped')).map((e) => e.details)).toEqual([{ fromKid: 'k1', toKid: 'k2', retiredKeys: 0 }]);
      expect(await during.audit.verify(t.scope)).toMatchObject({ ok: true });
    }
    // Idempotent: nothing left to do.
    expect(await during.rewrap.rewrap()).toEqual({ activeKid: 'k2', checked: 3, rewrapped: 0, alreadyCurrent: 3, skipped: 0, failures: [] });

    // Step 2: k1 retired. A fresh process with ring [k2] reads the data written under k1.
    const after = await open(k2);
    const prisma = after.prisma;
    const freshKeys = after.keys;
    for (const [i, t] of tenants.entries()) {
      const message = await prisma.message.findUniqueOrThrow({ where: { id: t.messageId }, select: { payloadEnc: true } });
      expect(await freshKeys.decryptString(t.scope, message.payloadEnc!)).toBe(`{"n":${i}}`);
      const secret = await prisma.endpointSecret.findFirstOrThrow({ where: { endpointId: t.endpointId }, select: { secretEnc: true } });
      expect(await freshKeys.decryptString(t.scope, secret.secretEnc)).toBe(t.secret);
    }
    // And a process that only has the retired key no longer can.
    const onlyOld = await open(k1);
    await expect(onlyOld.keys.decrypt(tenants[0]!.scope, Buffer.from('x'))).rejects.toThrow(/not in the key ring/);
  });

  it('reports a key it cannot unwrap and still re-wraps the others', async () => {
    const stranger = await open(k0);
    const lost = await createTenant(stranger.services);
    const fine = await createTenant((await open(k1)).services);

    const ctx = await open(`${k2},${k1}`);
    const result = await ctx.rewrap.rewrap();
    expect(result.rewrapped).toBe(1);
    expect(result.failures).toEqual([{ tenantId: lost.tenantId, error: 'master key "k0" is not in the key ring' }]);
    expect(await wrappedKid(ctx, fine.scope)).toBe('k2');
    expect(await wrappedKid(ctx, lost.scope)).toBe('k0');
    await expect(ctx.keys.decrypt(lost.scope, Buffer.from('x'))).rejects.toThrow(/not in the key ring/);
  });

  it('re-wraps retired data keys too, so data sealed under every key version still reads after the old master key goes', async () => {
    const before = await open(k1);
    const { scope } = await createTenant(before.services);
    // Data keys that retire after 2 encryptions: versions 1, 2 and 3 each seal something.
    const rotating = new TenantKeysService(new TenantKeyRepository(before.prisma), before.config, before.audit, { maxEncryptionsPerKey: 2, reserveBlock: 1 });
    const sealed = [];
    for (let i = 0; i < 5; i += 1) sealed.push(await rotating.encrypt(scope, `v-${i}`));
    const stored = () => before.prisma.tenant.findUniqueOrThrow({ where: { id: scope.tenantId }, select: { dataKeyWrapped: true, dataKeyVersion: true, retiredDataKeysWrapped: true } });
    expect((await stored()).retiredDataKeysWrapped).toHaveLength(2);

    const during = await open(`${k2},${k1}`);
    const result = await during.rewrap.rewrap();
    // (the earlier test's tenant under k0 still fails; this one must not)
    expect(result.failures.map((f) => f.tenantId)).not.toContain(scope.tenantId);
    const row = await stored();
    expect([row.dataKeyWrapped!, ...row.retiredDataKeysWrapped].map((w) => keyIdOf(Buffer.from(w)))).toEqual(['k2', 'k2', 'k2']);
    expect((await auditEntries(during, scope, 'tenant.data_key.rewrapped')).map((e) => e.details)).toEqual([{ fromKid: 'k1', toKid: 'k2', retiredKeys: 2 }]);

    const after = await open(k2);
    for (const [i, s] of sealed.entries()) expect(await after.keys.decryptString(scope, s)).toBe(`v-${i}`);
    // New data after the master rotation goes on under the active version.
    expect(await after.keys.decryptString(scope, await after.keys.encrypt(scope, 'later'))).toBe('later');
  });
});
