import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import type { TenantScope } from '@herald/tenancy';
import { createApplication, createEndpoint, createOperationalEndpoint, createTenant, startWebhookReceiver, type WebhookReceiver } from '@herald/testing';
import { DISPATCHER_METRICS_REGISTRY } from '../src';
import { slowReceiver, startDispatchHarness, type DispatchHarness } from './harness';

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

describe('dispatcher: bounded, fair, with circuit breakers', () => {
  let h: DispatchHarness;
  const receivers: WebhookReceiver[] = [];
  const keep = <T extends WebhookReceiver>(r: T): T => {
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    h = await startDispatchHarness({
      HERALD_DISPATCHER_CONCURRENCY: '40',
      HERALD_DISPATCHER_TENANT_SHARE: '0.5',
      HERALD_ENDPOINT_MAX_IN_FLIGHT: '5',
      HERALD_DELIVERY_TIMEOUT_MS: '1000',
      HERALD_CIRCUIT_FAILURE_THRESHOLD: '3',
      HERALD_CIRCUIT_PROBE_MIN_SECONDS: '1',
      HERALD_CIRCUIT_PROBE_MAX_SECONDS: '2',
      HERALD_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1',
      HERALD_OUTBOX_SWEEP_SECONDS: '1',
    });
  });
  afterEach(async () => {
    // Each test leaves its tenants' work parked or done; nothing of it may hang the next one.
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await h?.close();
  });

  const tenantWithEndpoints = async (urls: string[], overrides: { maxInFlight?: number } = {}): Promise<{ scope: TenantScope; appId: string; endpointIds: string[] }> => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpointIds: string[] = [];
    for (const url of urls) endpointIds.push((await createEndpoint(h.services, scope, app.id, { url, maxInFlight: overrides.maxInFlight })).id);
    return { scope, appId: app.id, endpointIds };
  };

  it('holds at most maxInFlight requests to an endpoint, and the per-endpoint cap comes from the endpoint when set', async () => {
    const slow = keep(await slowReceiver(150));
    const byDefault = await tenantWithEndpoints([`${slow.url}/default`]);
    const custom = await tenantWithEndpoints([`${slow.url}/custom`], { maxInFlight: 2 });
    for (let i = 0; i < 30; i++) {
      await h.insertMessage(byDefault.scope, byDefault.appId, byDefault.endpointIds, { i });
    }
    await slow.waitFor((reqs) => reqs.filter((r) => r.path === '/default').length >= 30, 10_000);
    expect(slow.maxConcurrent()).toBeLessThanOrEqual(5);
    expect(slow.maxConcurrent()).toBeGreaterThanOrEqual(3);

    const customSlow = keep(await slowReceiver(150));
    await h.prisma.endpoint.update({ where: { id: custom.endpointIds[0]! }, data: { url: `${customSlow.url}/custom` } });
    for (let i = 0; i < 12; i++) await h.insertMessage(custom.scope, custom.appId, custom.endpointIds, { i });
    await customSlow.waitFor((reqs) => reqs.length >= 12, 10_000);
    expect(customSlow.maxConcurrent()).toBe(2);
  });

  it("a tenant whose endpoints hang cannot delay another tenant's deliveries", async () => {
    const hanging = keep(await startWebhookReceiver({ handler: () => ({ hang: true }) }));
    const healthy = keep(await startWebhookReceiver());
    const noisy = await tenantWithEndpoints(Array.from({ length: 10 }, (_, i) => `${hanging.url}/noisy-${i}`));
    const quiet = await tenantWithEndpoints([`${healthy.url}/quiet`]);
    // The noisy burst: 300 messages × 10 endpoints = 3,000 deliveries that can only time out.
    for (let i = 0; i < 300; i++) await h.insertMessage(noisy.scope, noisy.appId, noisy.endpointIds, { noisy: i });

    // Then the quiet tenant sends 20 messages/s for 3 s.
    const sentAt = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const { messageId } = await h.insertMessage(quiet.scope, quiet.appId, quiet.endpointIds, { quiet: i });
      sentAt.set(messageId, Date.now());
      await new Promise((r) => setTimeout(r, 50));
    }
    await healthy.waitFor((reqs) => reqs.length >= 60, 10_000);
    const latencies = healthy.requests.map((r) => r.at - sentAt.get(r.headers['webhook-id'] as string)!);
    // Without fairness the noisy tenant's 3,000 due deliveries × 1 s timeouts would hold every slot.
    expect(percentile(latencies, 99)).toBeLessThan(1_000);

    // The noisy endpoints' circuits opened: their deliveries are parked, not failed, their attempts kept.
    await h.waitFor(async () => (await h.prisma.endpoint.count({ where: { id: { in: noisy.endpointIds }, circuitState: { not: 'closed' } } })) === 10, 10_000, 'circuits open');
    const noisyDeliveries = await h.prisma.delivery.groupBy({ by: ['status'], where: { tenantId: noisy.scope.tenantId }, _count: { _all: true } });
    expect(noisyDeliveries.find((g) => g.status === 'failed')).toBeUndefined();
    expect(noisyDeliveries.find((g) => g.status === 'pending')?._count._all).toBe(3_000);
    const attempted = await h.prisma.delivery.count({ where: { tenantId: noisy.scope.tenantId, attemptCount: { gt: 0 } } });
    expect(attempted).toBeLessThan(200);
  });

  it('opens the circuit after failures in a row, parks deliveries, probes one at a time, closes on success and announces both', async () => {
    let healthy = false;
    const flaky = keep(await startWebhookReceiver({ handler: () => ({ status: healthy ? 200 : 503 }) }));
    const ops = keep(await startWebhookReceiver());
    const t = await tenantWithEndpoints([`${flaky.url}/flaky`], { maxInFlight: 1 });
    await createOperationalEndpoint(h.services, t.scope, { url: `${ops.url}/ops` });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(...(await h.insertMessage(t.scope, t.appId, t.endpointIds, { i })).deliveryIds);

    const endpointId = t.endpointIds[0]!;
    const opened = await h.waitFor(async () => {
      const e = await h.prisma.endpoint.findUniqueOrThrow({ where: { id: endpointId } });
      return e.circuitState === 'open' ? e : undefined;
    }, 10_000, 'circuit open');
    expect(opened.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(opened.circuitOpenedAt).not.toBeNull();
    await ops.waitFor((reqs) => reqs.some((r) => r.body.includes('"endpoint.circuit.opened"')), 5_000);
    const openedEvent = JSON.parse(ops.requests.find((r) => r.body.includes('"endpoint.circuit.opened"'))!.body) as { data: Record<string, unknown> };
    expect(openedEvent.data).toMatchObject({ endpointId, state: 'open', appId: t.appId });

    // Parked: while the circuit is open only probes reach the endpoint, one at a time, ~1–2 s apart.
    const atOpen = flaky.requests.length;
    await new Promise((r) => setTimeout(r, 3_500));
    const probes = flaky.requests.slice(atOpen);
    expect(probes.length).toBeGreaterThanOrEqual(1);
    expect(probes.length).toBeLessThanOrEqual(3);
    // Each request the endpoint received is one attempt, no more (parking uses none). A probe's
    // attempt is recorded just after its request arrives (records linger for company), so the
    // two are compared once they agree, or fail after 5 s.
    await h.waitFor(
      async () => {
        const received = flaky.requests.length;
        const recorded = await h.prisma.delivery.aggregate({ where: { id: { in: ids } }, _sum: { attemptCount: true } });
        return recorded._sum.attemptCount === received;
      },
      5_000,
      'every request received recorded as one attempt',
    );
    expect(await h.prisma.delivery.count({ where: { id: { in: ids }, status: 'failed' } })).toBe(0);

    healthy = true;
    await h.waitFor(async () => (await h.prisma.delivery.count({ where: { id: { in: ids }, status: 'success' } })) === 10, 15_000, 'all delivered after the circuit closed');
    expect((await h.prisma.endpoint.findUniqueOrThrow({ where: { id: endpointId } })).circuitState).toBe('closed');
    await ops.waitFor((reqs) => reqs.some((r) => r.body.includes('"endpoint.circuit.closed"')), 5_000);
    const text = await h.app.get<Registry>(DISPATCHER_METRICS_REGISTRY).metrics();
    expect(text).toMatch(/herald_circuit_probes_total\{[^}]*\} [1-9]/);
  });

  it('bounds payload bytes in flight', async () => {
    const slow = keep(await slowReceiver(200));
    const restricted = await startDispatchHarness({ HERALD_DISPATCHER_MAX_INFLIGHT_BYTES: String(1024 * 1024), HERALD_DISPATCHER_CONCURRENCY: '100' });
    try {
      const { scope } = await createTenant(restricted.services);
      const app = await createApplication(restricted.services, scope);
      const endpoints: string[] = [];
      for (const path of ['a', 'b', 'c', 'd']) endpoints.push((await createEndpoint(restricted.services, scope, app.id, { url: `${slow.url}/${path}`, maxInFlight: 20 })).id);
      const big = 'x'.repeat(300 * 1024);
      for (let i = 0; i < 8; i++) await restricted.insertMessage(scope, app.id, endpoints, { i, big });
      await slow.waitFor((reqs) => reqs.length >= 32, 15_000);
      // 1 MiB / ~300 KiB: at most 4 requests at once (one more may start below the line).
      expect(slow.maxConcurrent()).toBeLessThanOrEqual(4);
    } finally {
      await restricted.close();
    }
  });
});
