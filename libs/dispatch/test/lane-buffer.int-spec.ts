import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLaneRepository, type ClaimResult } from '@herald/deliveries';
import { createApplication, createEndpoint, createTenant, type WebhookReceiver } from '@herald/testing';
import { slowReceiver, startDispatchHarness, type DispatchHarness } from './harness';

describe('dispatcher: lane buffers', () => {
  let h: DispatchHarness;
  let claims: ClaimResult[] = [];
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    h = await startDispatchHarness({
      HERALD_DISPATCHER_CONCURRENCY: '50',
      HERALD_ENDPOINT_MAX_IN_FLIGHT: '5',
      HERALD_DELIVERY_TIMEOUT_MS: '1000',
      HERALD_OUTBOX_SWEEP_SECONDS: '1',
    });
    // Observe what each claim statement returned (the real repository does the work).
    const repository = h.app.get(DeliveryLaneRepository, { strict: false });
    const claim = repository.claim.bind(repository);
    repository.claim = async (...args: Parameters<typeof claim>) => {
      const result = await claim(...args);
      claims.push(result);
      return result;
    };
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await h?.close();
  });

  const laneWith = async (url: string, maxInFlight?: number) => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpoint = await createEndpoint(h.services, scope, app.id, { url, maxInFlight });
    return { scope, appId: app.id, endpointId: endpoint.id };
  };

  it('a lone busy endpoint is claimed beyond twice its cap per statement, and still gets at most its cap at once', async () => {
    const slow = await slowReceiver(20);
    receivers.push(slow);
    const lane = await laneWith(`${slow.url}/busy`);
    // Queued not yet due and without wake-ups, made due at once, then announced: the scheduler
    // sees a deep lane. (Queued due, a slow machine's inserts outlasted the 1 s sweep, which
    // then claimed the lane a few deliveries at a time as they came.)
    const later = new Date(Date.now() + 3_600_000);
    for (let i = 0; i < 119; i++) await h.insertMessage(lane.scope, lane.appId, [lane.endpointId], { i }, { wake: false, nextAttemptAt: later });
    claims = [];
    await h.prisma.delivery.updateMany({ where: { endpointId: lane.endpointId, status: 'pending' }, data: { nextAttemptAt: new Date() } });
    await h.insertMessage(lane.scope, lane.appId, [lane.endpointId], { i: 119 });
    await slow.waitFor((reqs) => reqs.length >= 120, 20_000);

    const sizes = claims.map((c) => c.claimed.length).filter((n) => n > 0);
    // One lane of cap 5 with 50 slots: its cap plus six slot-fulls of buffer, so at most 35 in
    // one claim (the first bound was twice the cap, 10).
    expect(Math.max(...sizes)).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(35);
    expect(slow.maxConcurrent()).toBeLessThanOrEqual(5);
    expect(new Set(slow.requests.map((r) => r.headers['webhook-id'])).size).toBe(120);
    expect(slow.requests).toHaveLength(120);
  });

  it("spreads a busy tenant's hold over all its lanes: each claims at most one slot-full ahead when the tenant's budget covers no more", async () => {
    // One tenant, four lanes of cap 5; 50 slots, half of them the tenant's share, so the tenant
    // may hold 50 (in flight and buffered). The process's budget (100) would give each lane four
    // slot-fulls of buffer (25 claimed at once), so the first two lanes took the tenant's 50 and
    // the other two waited; the tenant's own budget gives each one slot-full (10 at once).
    const slow = await slowReceiver(20);
    receivers.push(slow);
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpointIds: string[] = [];
    for (let i = 0; i < 4; i++) endpointIds.push((await createEndpoint(h.services, scope, app.id, { url: `${slow.url}/lane${i}` })).id);
    for (let i = 0; i < 23; i++) await h.insertMessage(scope, app.id, endpointIds, { i }, { wake: false });
    claims = [];
    await h.insertMessage(scope, app.id, endpointIds, { i: 23 });
    await slow.waitFor((reqs) => reqs.length >= 96, 20_000);

    const perLane = claims.flatMap((c) => {
      const counts = new Map<string, number>();
      for (const d of c.claimed) counts.set(d.endpointId, (counts.get(d.endpointId) ?? 0) + 1);
      return [...counts.values()];
    });
    expect(perLane.length).toBeGreaterThan(0);
    expect(Math.max(...perLane)).toBeLessThanOrEqual(10);
    expect(new Set(slow.requests.map((r) => `${r.headers['webhook-id']} ${r.path}`)).size).toBe(96);
  });

  it('hands a buffered delivery back unsent when its lease would end before its attempt, and claims it again', async () => {
    // Cap 1, 400 ms a request, 1 s timeout: of a claim of 4 (1 + 3 buffered), the fourth would
    // start ~1.2 s after the claim, past the one timeout a buffered delivery may wait.
    const slow = await slowReceiver(400);
    receivers.push(slow);
    const lane = await laneWith(`${slow.url}/slow`, 1);
    for (let i = 0; i < 7; i++) await h.insertMessage(lane.scope, lane.appId, [lane.endpointId], { i }, { wake: false });
    claims = [];
    await h.insertMessage(lane.scope, lane.appId, [lane.endpointId], { i: 7 });
    await slow.waitFor((reqs) => reqs.length >= 8, 20_000);
    await h.waitFor(async () => (await h.prisma.delivery.count({ where: { endpointId: lane.endpointId, status: 'success' } })) === 8, 10_000, 'all recorded');

    const claimedIds = claims.flatMap((c) => c.claimed.map((d) => d.id));
    // Some were claimed twice: handed back, then claimed again.
    expect(claimedIds.length).toBeGreaterThan(new Set(claimedIds).size);
    // Each was sent once, and handing back used no attempt.
    expect(slow.requests).toHaveLength(8);
    expect(new Set(slow.requests.map((r) => r.headers['webhook-id'])).size).toBe(8);
    const deliveries = await h.prisma.delivery.findMany({ where: { endpointId: lane.endpointId } });
    expect(deliveries.map((d) => d.attemptCount)).toEqual(Array(8).fill(1));
    expect(await h.prisma.attempt.count({ where: { endpointId: lane.endpointId } })).toBe(8);
    expect(slow.maxConcurrent()).toBe(1);
  });
});
