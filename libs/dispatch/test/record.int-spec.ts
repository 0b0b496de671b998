import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLaneRepository, type ClaimedDelivery, type DispatchWrite } from '@herald/deliveries';
import { OperatorDb, tenantScope } from '@herald/tenancy';
import { newId } from '@herald/db';
import { createApplication, createEndpoint, createTenant } from '@herald/testing';
import { startIdleDispatchHarness, type DispatchHarness } from './harness';

// Recording attempts: concurrent batches' failures add up on the endpoint's streak; a batch
// of successes on a healthy endpoint neither locks nor writes its row (two batches in flight
// for one busy endpoint used to queue on that lock).
describe('recording attempts', () => {
  let h: DispatchHarness;

  beforeAll(async () => {
    h = await startIdleDispatchHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const outcome = (d: ClaimedDelivery, ok: boolean): DispatchWrite => {
    const at = new Date();
    return {
      attempt: { id: newId('atmpt', at), tenantId: d.tenantId, appId: d.appId, messageId: d.messageId, endpointId: d.endpointId, deliveryId: d.id, url: 'http://127.0.0.1:9/', status: ok ? 0 : 2, responseStatus: ok ? 204 : 500, responseEnc: null, durationMs: 1, triggerType: d.triggerType, error: null, createdAt: at },
      delivery: { id: d.id, tenantId: d.tenantId, status: ok ? 'success' : 'pending', attemptIncrement: 1, nextAttemptAt: ok ? null : new Date(at.getTime() + 60_000), lastAttemptAt: at },
      endpoint: { endpointId: d.endpointId, tenantId: d.tenantId, ok, at },
    };
  };

  it('adds up concurrent failures, and leaves a healthy endpoint row untouched by successes', async () => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpoint = await createEndpoint(h.services, scope, app.id, { url: 'http://127.0.0.1:9/rec' });
    for (let i = 0; i < 8; i += 1) await h.insertMessage(scope, app.id, [endpoint.id], { i }, { wake: false });
    const repo = h.app.get(DeliveryLaneRepository);
    const { claimed } = await repo.claim(30_000, 1 << 20, [{ tenantId: scope.tenantId, endpointId: endpoint.id, count: 8, cap: 8 }]);
    expect(claimed).toHaveLength(8);
    const db = h.app.get(OperatorDb).client;
    const row = async () =>
      (await db.$queryRaw<{ xmax: string; failures: number }[]>`SELECT xmax::text AS xmax, consecutive_failures AS failures FROM endpoints WHERE id = ${endpoint.id}`)[0]!;
    const untouched = (await row()).xmax;

    // Successes on a healthy endpoint: recorded, and the endpoint's row is not even locked.
    const tenant = tenantScope(scope.tenantId);
    await Promise.all(claimed.slice(0, 2).map((d) => repo.write(tenant, outcome(d, true))));
    expect((await row()).xmax).toBe(untouched);

    // Failures from two dispatchers at once (two repositories, two statements) add up.
    const other = new DeliveryLaneRepository(h.app.get(OperatorDb), h.config);
    await Promise.all([
      ...claimed.slice(2, 5).map((d) => repo.write(tenant, outcome(d, false))),
      ...claimed.slice(5, 8).map((d) => other.write(tenant, outcome(d, false))),
    ]);
    expect((await row()).failures).toBe(6);
    const statuses = await db.delivery.groupBy({ by: ['status'], where: { endpointId: endpoint.id }, _count: true });
    expect(Object.fromEntries(statuses.map((s) => [s.status, s._count]))).toEqual({ success: 2, pending: 6 });
  });
});
