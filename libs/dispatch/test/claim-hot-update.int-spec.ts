import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLaneRepository } from '@herald/deliveries';
import { createApplication, createEndpoint, createTenant } from '@herald/testing';
import { startIdleDispatchHarness, type DispatchHarness } from './harness';

// A claim writes only unindexed columns, so it is a HOT update (no index entries) when the new
// row version fits on the old one's page. The deliveries table's fillfactor keeps that room.
describe('claiming fresh deliveries', () => {
  let h: DispatchHarness;

  beforeAll(async () => {
    h = await startIdleDispatchHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('rewrites each claimed delivery on its own page', async () => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpoint = await createEndpoint(h.services, scope, app.id, { url: 'http://127.0.0.1:9/hot' });
    // Enough rows to fill several pages, as a burst of ingest does.
    const count = 120;
    for (let i = 0; i < count; i += 1) await h.insertMessage(scope, app.id, [endpoint.id], { i }, { wake: false });
    // Each row's page: the first half of its ctid (page, item).
    const pages = async (): Promise<Map<string, string>> => {
      const rows = await h.prisma.$queryRaw<{ id: string; page: string }[]>`SELECT id, (ctid::text::point)[0]::bigint::text AS page FROM deliveries WHERE endpoint_id = ${endpoint.id}`;
      return new Map(rows.map((r) => [r.id, r.page]));
    };
    const before = await pages();
    expect(before.size).toBe(count);
    expect(new Set(before.values()).size).toBeGreaterThan(1);

    const claim = await h.app.get(DeliveryLaneRepository).claim(30_000, 1 << 24, [{ tenantId: scope.tenantId, endpointId: endpoint.id, count, cap: count }]);
    expect(claim.claimed).toHaveLength(count);

    const after = await pages();
    const moved = [...before].filter(([id, page]) => after.get(id) !== page).map(([id]) => id);
    expect(moved).toEqual([]);
  });
});
