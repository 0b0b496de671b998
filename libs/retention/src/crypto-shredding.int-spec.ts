import { describe, expect, it } from 'vitest';
import { DecryptionError, openForTenant } from '@herald/crypto';
import { NotFoundError, TenantKeyRepository, TenantKeysService } from '@herald/tenancy';
import { createApplication, createEndpoint, createTenant } from '@herald/testing';
import { insertAttempt, insertMessage, openRetentionContext, useOwnRetentionDatabase, shredTenant, type RetentionContext } from '../test/retention-harness';

// The retention run in here walks every tenant of its database, so the file has its own.
describe('crypto-shredding on tenant deletion', () => {
  let ctx: RetentionContext;
  useOwnRetentionDatabase({}, (opened) => (ctx = opened));

  it('makes the tenant data unreadable at once for every process, then retention removes the rows', async () => {
    const { scope } = await createTenant(ctx.services);
    const app = await createApplication(ctx.services, scope);
    const endpoint = await createEndpoint(ctx.services, scope, app.id, { url: 'https://receiver.example/hook' });
    const message = await insertMessage(ctx, scope, app.id, { ageDays: 0, expiresAfterDays: 30, endpointIds: [endpoint.id], payload: '{"ssn":"123-45-6789"}' });
    await insertAttempt(ctx, scope, { appId: app.id, messageId: message.id, endpointId: endpoint.id, deliveryId: message.deliveryIds[0] }, { ageDays: 0, body: 'thanks' });

    // Another process that has used the key (and cached it) before the deletion.
    const otherProcess = await openRetentionContext(ctx.config);
    try {
      const sealed = (await ctx.prisma.message.findUniqueOrThrow({ where: { id: message.id }, select: { payloadEnc: true } })).payloadEnc!;
      expect(await otherProcess.keys.decryptString(scope, sealed)).toBe('{"ssn":"123-45-6789"}');
      const dataKeyBefore = await keyOf(ctx, scope.tenantId);

      // What DELETE /api/v1/admin/tenants/{id} does: drop the wrapped key, mark deleted, evict.
      await shredTenant(ctx, scope);
      // A process that cached the key before keeps it until its cache entry expires (5 s at
      // most, TenantKeysService) — the documented window; expiry is simulated by evicting.
      expect(await otherProcess.keys.decryptString(scope, sealed)).toBe('{"ssn":"123-45-6789"}');
      otherProcess.keys.evict(scope.tenantId);

      // This process, the other one, and a brand-new one all fail: the key exists nowhere.
      await expect(ctx.keys.decrypt(scope, sealed)).rejects.toBeInstanceOf(NotFoundError);
      await expect(otherProcess.keys.decrypt(scope, sealed)).rejects.toBeInstanceOf(NotFoundError);
      await expect(new TenantKeysService(new TenantKeyRepository(ctx.prisma), ctx.config).decrypt(scope, sealed)).rejects.toBeInstanceOf(NotFoundError);
      // The master ring cannot help either: the payload is sealed with the (destroyed) data key,
      // and no other tenant's key opens it (the tenant id is bound in as associated data).
      const other = await createTenant(ctx.services);
      const otherKey = await keyOf(ctx, other.tenantId);
      expect(() => openForTenant(otherKey, scope.tenantId, Buffer.from(sealed))).toThrow(DecryptionError);
      expect(dataKeyBefore.length).toBe(32);
      expect(await ctx.prisma.tenant.findUniqueOrThrow({ where: { id: scope.tenantId }, select: { dataKeyWrapped: true } })).toEqual({ dataKeyWrapped: null });

      // Then the retention worker removes the unreadable rows.
      const result = await ctx.retention.run();
      expect(result.deletedTenants.map((t) => t.tenantId)).toEqual([scope.tenantId]);
      expect(await ctx.prisma.message.count({ where: { tenantId: scope.tenantId } })).toBe(0);
      expect(await ctx.prisma.attempt.count({ where: { tenantId: scope.tenantId } })).toBe(0);
      expect(await ctx.prisma.endpointSecret.count({ where: { tenantId: scope.tenantId } })).toBe(0);
      expect(await ctx.audit.verify(scope)).toMatchObject({ ok: true });
    } finally {
      await otherProcess.close();
    }
  });
});

/** The tenant's unwrapped data key, read the way TenantKeysService does. */
async function keyOf(ctx: RetentionContext, tenantId: string): Promise<Buffer> {
  const row = await ctx.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { dataKeyWrapped: true } });
  return ctx.keys.keyRing.unwrap(Buffer.from(row.dataKeyWrapped!), tenantId);
}
