import { beforeAll, describe, expect, it } from 'vitest';
import type { TenantScope } from '@herald/tenancy';
import { createApplication, createEndpoint, createTenant } from '@herald/testing';
import { auditEntries, insertAttempt, insertMessage, openRetentionContext, useOwnRetentionDatabase, setPolicy, shredTenant, type RetentionContext } from '../test/retention-harness';

// Retention runs across every tenant of a database, so this file has a database of its own.
describe('RetentionService', () => {
  let ctx: RetentionContext;
    // A tiny batch size makes every phase loop over several batches.
  useOwnRetentionDatabase({ HERALD_RETENTION_BATCH_SIZE: '2', HERALD_DEFAULT_PAYLOAD_RETENTION_DAYS: '90' }, (opened) => (ctx = opened));

  const payloadOf = async (id: string) => (await ctx.prisma.message.findUnique({ where: { id }, select: { payloadEnc: true } }))?.payloadEnc ?? null;
  const messageExists = async (id: string) => (await ctx.prisma.message.count({ where: { id } })) === 1;
  const attemptOf = (id: string) => ctx.prisma.attempt.findUnique({ where: { id }, select: { responseEnc: true, responseExpunged: true } });

  async function tenantWithEndpoint(): Promise<{ scope: TenantScope; appId: string; endpointIds: string[] }> {
    const { scope } = await createTenant(ctx.services);
    const app = await createApplication(ctx.services, scope);
    const e1 = await createEndpoint(ctx.services, scope, app.id, { url: 'https://receiver.example/a' });
    const e2 = await createEndpoint(ctx.services, scope, app.id, { url: 'https://receiver.example/b' });
    return { scope, appId: app.id, endpointIds: [e1.id, e2.id] };
  }

  describe('a run over live tenants', () => {
    let a: Awaited<ReturnType<typeof tenantWithEndpoint>>;
    let b: Awaited<ReturnType<typeof tenantWithEndpoint>>;
    let c: Awaited<ReturnType<typeof tenantWithEndpoint>>;
    const rows: Record<string, string> = {};
    const expiredA: string[] = [];

    beforeAll(async () => {
      a = await tenantWithEndpoint();
      b = await tenantWithEndpoint();
      c = await tenantWithEndpoint();
      await setPolicy(ctx, a.scope, { payload: 30, attempt: 7, metadata: 60 });

      // Tenant A (payload 30 d, responses 7 d, metadata 60 d).
      const old = await insertMessage(ctx, a.scope, a.appId, { ageDays: 70, expiresAfterDays: 30, endpointIds: a.endpointIds });
      rows['aOld'] = old.id;
      rows['aOldAttempt'] = await insertAttempt(ctx, a.scope, { appId: a.appId, messageId: old.id, endpointId: a.endpointIds[0]!, deliveryId: old.deliveryIds[0] }, { ageDays: 70 });
      rows['aOrphanAttempt'] = await insertAttempt(ctx, a.scope, { appId: a.appId, messageId: 'msg_gone', endpointId: a.endpointIds[0]! }, { ageDays: 65 });
      for (let i = 0; i < 5; i += 1) {
        expiredA.push((await insertMessage(ctx, a.scope, a.appId, { ageDays: 40, expiresAfterDays: 30, endpointIds: a.endpointIds })).id);
      }
      // Its own payloadRetentionPeriod (1 day) is shorter than the tenant's 30.
      rows['aShortLived'] = (await insertMessage(ctx, a.scope, a.appId, { ageDays: 10, expiresAfterDays: 1 })).id;
      rows['aYoung'] = (await insertMessage(ctx, a.scope, a.appId, { ageDays: 10, expiresAfterDays: 30 })).id;
      // Ingested under a longer policy (90 d); the shortened 30 d policy applies to it too.
      rows['aUnderOldPolicy'] = (await insertMessage(ctx, a.scope, a.appId, { ageDays: 35, expiresAfterDays: 90 })).id;
      rows['aFresh'] = (await insertMessage(ctx, a.scope, a.appId, { ageDays: 0.01, expiresAfterDays: 30 })).id;
      rows['aOldResponse'] = await insertAttempt(ctx, a.scope, { appId: a.appId, messageId: rows['aYoung'], endpointId: a.endpointIds[0]! }, { ageDays: 10 });
      rows['aOldResponse2'] = await insertAttempt(ctx, a.scope, { appId: a.appId, messageId: rows['aYoung'], endpointId: a.endpointIds[1]! }, { ageDays: 8 });
      rows['aYoungResponse'] = await insertAttempt(ctx, a.scope, { appId: a.appId, messageId: rows['aYoung'], endpointId: a.endpointIds[0]! }, { ageDays: 2 });

      // Tenant B keeps the defaults (90/90/90): the same ages purge nothing.
      rows['bOld'] = (await insertMessage(ctx, b.scope, b.appId, { ageDays: 70, expiresAfterDays: 90, endpointIds: b.endpointIds })).id;
      rows['bMid'] = (await insertMessage(ctx, b.scope, b.appId, { ageDays: 40, expiresAfterDays: 90 })).id;
      rows['bOldAttempt'] = await insertAttempt(ctx, b.scope, { appId: b.appId, messageId: rows['bOld'], endpointId: b.endpointIds[0]! }, { ageDays: 65 });

      // Tenant C's stored policy exceeds the operator's maximum (90 d): the maximum wins.
      await setPolicy(ctx, c.scope, { payload: 365, attempt: 365, metadata: 400 });
      rows['cBeyondMax'] = (await insertMessage(ctx, c.scope, c.appId, { ageDays: 100, expiresAfterDays: 365 })).id;
      rows['cWithinMax'] = (await insertMessage(ctx, c.scope, c.appId, { ageDays: 80, expiresAfterDays: 365 })).id;
    });

    it('erases, expunges and deletes exactly what is past each policy, and audits the counts', async () => {
      const result = await ctx.retention.run();
      expect(result.complete).toBe(true);
      expect(result.failures).toEqual([]);

      const expectedA = { payloadsErased: 7, responsesErased: 2, messagesDeleted: 1, attemptsDeleted: 2, deliveriesDeleted: 2 };
      expect(result.tenants.find((t) => t.tenantId === a.scope.tenantId)).toEqual({ tenantId: a.scope.tenantId, ...expectedA });
      expect(result.tenants.find((t) => t.tenantId === c.scope.tenantId)).toEqual({
        tenantId: c.scope.tenantId,
        payloadsErased: 1,
        responsesErased: 0,
        messagesDeleted: 0,
        attemptsDeleted: 0,
        deliveriesDeleted: 0,
      });
      expect(result.tenants.find((t) => t.tenantId === b.scope.tenantId)).toBeUndefined();

      // A: the old message, its deliveries and attempts are gone.
      expect(await messageExists(rows['aOld']!)).toBe(false);
      expect(await ctx.prisma.delivery.count({ where: { messageId: rows['aOld']! } })).toBe(0);
      expect(await attemptOf(rows['aOldAttempt']!)).toBeNull();
      expect(await attemptOf(rows['aOrphanAttempt']!)).toBeNull();
      // Payloads past their expiry, the short-lived one, and the one under the old policy are erased; the rows stay.
      for (const id of [...expiredA, rows['aShortLived']!, rows['aUnderOldPolicy']!]) {
        expect(await messageExists(id)).toBe(true);
        expect(await payloadOf(id)).toBeNull();
      }
      expect(await ctx.prisma.delivery.count({ where: { messageId: { in: expiredA } } })).toBe(10);
      for (const id of [rows['aYoung']!, rows['aFresh']!]) expect(await payloadOf(id)).not.toBeNull();
      expect(await ctx.keys.decryptString(a.scope, (await payloadOf(rows['aYoung']!))!)).toBe('{"hello":"world"}');
      // Response bodies older than 7 days are expunged, younger ones kept.
      for (const id of [rows['aOldResponse']!, rows['aOldResponse2']!]) expect(await attemptOf(id)).toEqual({ responseEnc: null, responseExpunged: true });
      expect(await attemptOf(rows['aYoungResponse']!)).toMatchObject({ responseExpunged: false, responseEnc: expect.anything() });

      // B is untouched.
      for (const id of [rows['bOld']!, rows['bMid']!]) expect(await payloadOf(id)).not.toBeNull();
      expect(await ctx.prisma.delivery.count({ where: { messageId: rows['bOld']! } })).toBe(2);
      expect(await attemptOf(rows['bOldAttempt']!)).toMatchObject({ responseExpunged: false, responseEnc: expect.anything() });
      expect(await auditEntries(ctx, b.scope, 'retention.purged')).toEqual([]);

      // C: payloads never outlive the operator's maximum.
      expect(await payloadOf(rows['cBeyondMax']!)).toBeNull();
      expect(await payloadOf(rows['cWithinMax']!)).not.toBeNull();

      const entries = await auditEntries(ctx, a.scope, 'retention.purged');
      expect(entries).toHaveLength(1);
      expect(entries[0]!.details).toEqual({ ...expectedA, retentionDays: { payload: 30, attempt: 7, metadata: 60 } });
      for (const scope of [a.scope, b.scope, c.scope]) expect(await ctx.audit.verify(scope)).toMatchObject({ ok: true });
    });

    it('is idempotent: a second run purges nothing and writes no audit entry', async () => {
      const auditBefore = await ctx.prisma.auditLogEntry.count();
      const result = await ctx.retention.run();
      expect(result.tenants).toEqual([]);
      expect(result.totals).toEqual({ payloadsErased: 0, responsesErased: 0, messagesDeleted: 0, attemptsDeleted: 0, deliveriesDeleted: 0 });
      expect(await ctx.prisma.auditLogEntry.count()).toBe(auditBefore);
    });

    it('applies a policy shortened after an earlier run to rows the checkpoint already passed', async () => {
      // The first run checkpointed A's payload window at "now − 30 d"; shortening to 5 d must still reach the 10-day-old row.
      await setPolicy(ctx, a.scope, { payload: 5, attempt: 1, metadata: 60 });
      const result = await ctx.retention.run({ tenantId: a.scope.tenantId });
      expect(result.tenants).toEqual([
        { tenantId: a.scope.tenantId, payloadsErased: 1, responsesErased: 1, messagesDeleted: 0, attemptsDeleted: 0, deliveriesDeleted: 0 },
      ]);
      expect(await payloadOf(rows['aYoung']!)).toBeNull();
      expect(await payloadOf(rows['aFresh']!)).not.toBeNull();
      expect(await attemptOf(rows['aYoungResponse']!)).toEqual({ responseEnc: null, responseExpunged: true });
    });
  });

  it('splits the work between two concurrent runs without double counting or deadlocks', async () => {
    const t = await tenantWithEndpoint();
    const expected = { payloadsErased: 40, responsesErased: 30, messagesDeleted: 20, attemptsDeleted: 10, deliveriesDeleted: 40 };
    for (let i = 0; i < 20; i += 1) await insertMessage(ctx, t.scope, t.appId, { ageDays: 100, expiresAfterDays: 90, endpointIds: t.endpointIds });
    for (let i = 0; i < 25; i += 1) await insertMessage(ctx, t.scope, t.appId, { ageDays: 50, expiresAfterDays: 30 });
    for (let i = 0; i < 15; i += 1) await insertMessage(ctx, t.scope, t.appId, { ageDays: 50, expiresAfterDays: 90 });
    for (let i = 0; i < 10; i += 1) await insertAttempt(ctx, t.scope, { appId: t.appId, messageId: 'msg_x', endpointId: t.endpointIds[0]! }, { ageDays: 95 });
    for (let i = 0; i < 30; i += 1) await insertAttempt(ctx, t.scope, { appId: t.appId, messageId: 'msg_x', endpointId: t.endpointIds[0]! }, { ageDays: 40 });
    await setPolicy(ctx, t.scope, { payload: 45, attempt: 30, metadata: 90 });

    // A second "process": its own Nest context and connection pool on the same database.
    const other = await openRetentionContext(ctx.config);
    try {
      const [r1, r2] = await Promise.all([ctx.retention.run({ tenantId: t.scope.tenantId }), other.retention.run({ tenantId: t.scope.tenantId })]);
      expect([...r1.failures, ...r2.failures]).toEqual([]);
      const sum = (key: keyof typeof expected) => [...r1.tenants, ...r2.tenants].reduce((n, x) => n + x[key], 0);
      expect(Object.fromEntries(Object.keys(expected).map((k) => [k, sum(k as keyof typeof expected)]))).toEqual(expected);

      // The audit entries (one per run that purged something) add up to the same counts.
      const entries = await auditEntries(ctx, t.scope, 'retention.purged');
      expect(entries.length).toBeGreaterThanOrEqual(1);
      expect(entries.length).toBeLessThanOrEqual(2);
      for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
        expect(entries.reduce((n, e) => n + (e.details[key] as number), 0)).toBe(expected[key]);
      }
      expect(await ctx.audit.verify(t.scope)).toMatchObject({ ok: true });
      expect(await ctx.prisma.message.count({ where: { tenantId: t.scope.tenantId, payloadEnc: { not: null } } })).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('purges every row of a deleted (crypto-shredded) tenant and keeps its tenant row and audit log', async () => {
    const t = await tenantWithEndpoint();
    const keep = await tenantWithEndpoint();
    for (const x of [t, keep]) {
      for (let i = 0; i < 3; i += 1) {
        const m = await insertMessage(ctx, x.scope, x.appId, { ageDays: 1, expiresAfterDays: 30, endpointIds: x.endpointIds });
        await insertAttempt(ctx, x.scope, { appId: x.appId, messageId: m.id, endpointId: x.endpointIds[0]!, deliveryId: m.deliveryIds[0] }, { ageDays: 1 });
      }
      await ctx.prisma.eventType.create({ data: { id: `et_${x.scope.tenantId}`, tenantId: x.scope.tenantId, name: 'user.created' } });
      await ctx.prisma.idempotencyRecord.create({
        data: { tenantId: x.scope.tenantId, key: 'k1', requestHash: 'h', responseStatus: 202, expiresAt: new Date(Date.now() + 3_600_000) },
      });
    }
    // A run while it was live left its retention checkpoints behind.
    await ctx.retention.run({ tenantId: t.scope.tenantId });
    await shredTenant(ctx, t.scope);

    const result = await ctx.retention.run();
    expect(result.failures).toEqual([]);
    expect(result.deletedTenants).toEqual([
      {
        tenantId: t.scope.tenantId,
        messagesDeleted: 3,
        deliveriesDeleted: 6,
        attemptsDeleted: 3,
        endpointsDeleted: 2,
        applicationsDeleted: 1,
        eventTypesDeleted: 1,
        apiKeysDeleted: 1,
        idempotencyRecordsDeleted: 1,
        settingsDeleted: 1,
        checkpointsDeleted: 2,
      },
    ]);
    const id = t.scope.tenantId;
    const left = await Promise.all([
      ctx.prisma.message.count({ where: { tenantId: id } }),
      ctx.prisma.delivery.count({ where: { tenantId: id } }),
      ctx.prisma.attempt.count({ where: { tenantId: id } }),
      ctx.prisma.endpoint.count({ where: { tenantId: id } }),
      ctx.prisma.endpointSecret.count({ where: { tenantId: id } }),
      ctx.prisma.application.count({ where: { tenantId: id } }),
      ctx.prisma.eventType.count({ where: { tenantId: id } }),
      ctx.prisma.apiKey.count({ where: { tenantId: id } }),
      ctx.prisma.idempotencyRecord.count({ where: { tenantId: id } }),
      ctx.prisma.tenantSettings.count({ where: { tenantId: id } }),
      ctx.prisma.retentionCheckpoint.count({ where: { tenantId: id } }),
    ]);
    expect(left).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await ctx.prisma.tenant.findUnique({ where: { id }, select: { dataKeyWrapped: true, deletedAt: true } })).toMatchObject({ dataKeyWrapped: null, deletedAt: expect.any(Date) });
    expect((await auditEntries(ctx, t.scope, 'tenant.purged')).map((e) => e.details['messagesDeleted'])).toEqual([3]);
    expect(await ctx.audit.verify(t.scope)).toMatchObject({ ok: true });

    // The live tenant next to it lost nothing.
    expect(await ctx.prisma.message.count({ where: { tenantId: keep.scope.tenantId, payloadEnc: { not: null } } })).toBe(3);
    expect(await ctx.prisma.endpoint.count({ where: { tenantId: keep.scope.tenantId } })).toBe(2);
    expect(await ctx.prisma.idempotencyRecord.count({ where: { tenantId: keep.scope.tenantId } })).toBe(1);

    // Nothing left: the next run neither purges nor audits it again.
    const again = await ctx.retention.run({ tenantId: id });
    expect(again.deletedTenants).toEqual([]);
    expect(await auditEntries(ctx, t.scope, 'tenant.purged')).toHaveLength(1);
  });

  it('deletes expired idempotency records of every owner and keeps live ones', async () => {
    const { scope } = await createTenant(ctx.services);
    const past = new Date(Date.now() - 1000);
    const future = new Date(Date.now() + 3_600_000);
    await ctx.prisma.idempotencyRecord.createMany({
      data: [
        { tenantId: scope.tenantId, key: 'old-1', requestHash: 'h', expiresAt: past },
        { tenantId: scope.tenantId, key: 'old-2', requestHash: 'h', expiresAt: past },
        { tenantId: scope.tenantId, key: 'old-3', requestHash: 'h', expiresAt: past },
        { tenantId: scope.tenantId, key: 'live', requestHash: 'h', expiresAt: future },
        { tenantId: 'operator', key: 'old-op', requestHash: 'h', expiresAt: past },
      ],
    });
    const result = await ctx.retention.run();
    expect(result.idempotencyRecordsDeleted).toBe(4);
    expect((await ctx.prisma.idempotencyRecord.findMany({ where: { tenantId: { in: [scope.tenantId, 'operator'] } } })).map((r) => r.key)).toEqual(['live']);
  });

  it('deletes background tasks that ended more than 90 days ago, and keeps running and recent ones', async () => {
    const { scope } = await createTenant(ctx.services);
    const task = async (id: string, status: string, ageDays: number): Promise<void> => {
      await ctx.prisma.$executeRaw`
        INSERT INTO background_tasks (id, tenant_id, task, status, params, updated_at)
        VALUES (${id}, ${scope.tenantId}, 'endpoint.recover', ${status}, '{}'::jsonb, now() - make_interval(days => ${ageDays}))`;
    };
    await task('qtask_old_finished', 'finished', 91);
    await task('qtask_old_failed', 'failed', 120);
    await task('qtask_recent_finished', 'finished', 89);
    await task('qtask_old_running', 'running', 200);
    const result = await ctx.retention.run();
    expect(result.backgroundTasksDeleted).toBe(2);
    const left = await ctx.prisma.$queryRaw<{ id: string }[]>`SELECT id FROM background_tasks WHERE tenant_id = ${scope.tenantId} ORDER BY id`;
    expect(left.map((r) => r.id)).toEqual(['qtask_old_running', 'qtask_recent_finished']);
  });

  it('stops between batches when asked and leaves the rest for the next run', async () => {
    const t = await tenantWithEndpoint();
    for (let i = 0; i < 6; i += 1) await insertMessage(ctx, t.scope, t.appId, { ageDays: 100, expiresAfterDays: 90 });
    const stop = new AbortController();
    stop.abort();
    const stopped = await ctx.retention.run({ tenantId: t.scope.tenantId, signal: stop.signal });
    expect(stopped.complete).toBe(false);
    expect(await ctx.prisma.message.count({ where: { tenantId: t.scope.tenantId } })).toBe(6);
    const resumed = await ctx.retention.run({ tenantId: t.scope.tenantId });
    expect(resumed.complete).toBe(true);
    expect(resumed.totals.messagesDeleted).toBe(6);
  });
});
