import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLaneRepository } from '@herald/deliveries';
import { OperatorDb } from '@herald/tenancy';
import { createApplication, createEndpoint, createTenant } from '@herald/testing';
import { startIdleDispatchHarness, type DispatchHarness } from './harness';

// Two dispatchers on one endpoint: together they lease at most the fleet-wide cap. The one that
// is cut short must learn that the lane still has due work (it asks again shortly), not read
// it as empty (it would idle until the next sweep, seconds, with deliveries waiting).
describe('fleet-wide cap between dispatchers', () => {
  let h: DispatchHarness;

  beforeAll(async () => {
    h = await startIdleDispatchHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("reports a lane cut short by other dispatchers' leases as capped, and a drained lane as not", async () => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const busy = await createEndpoint(h.services, scope, app.id, { url: 'http://127.0.0.1:9/busy' });
    const quiet = await createEndpoint(h.services, scope, app.id, { url: 'http://127.0.0.1:9/quiet' });
    for (let i = 0; i < 10; i += 1) await h.insertMessage(scope, app.id, [busy.id], { i }, { wake: false });
    await h.insertMessage(scope, app.id, [quiet.id], { only: true }, { wake: false });

    const first = h.app.get(DeliveryLaneRepository);
    const second = new DeliveryLaneRepository(h.app.get(OperatorDb), h.config);
    expect(second.owner).not.toBe(first.owner);
    const lane = (endpointId: string) => ({ tenantId: scope.tenantId, endpointId, count: 4, cap: 4 });

    const a = await first.claim(30_000, 1 << 20, [lane(busy.id)]);
    expect(a.claimed).toHaveLength(4);
    expect(a.capped.size).toBe(0);

    // The first dispatcher holds the whole cap: the second gets nothing, and is told why.
    const b = await second.claim(30_000, 1 << 20, [lane(busy.id), lane(quiet.id)]);
    expect(b.claimed.map((d) => d.endpointId)).toEqual([quiet.id]);
    expect(b.available.get(busy.id)).toBe(0);
    expect([...b.capped]).toEqual([busy.id]);

    // The quiet lane gave all it had (one, fewer than asked) without any cap: it is drained.
    expect(b.available.get(quiet.id)).toBe(1);
    expect(b.capped.has(quiet.id)).toBe(false);
  });
});
