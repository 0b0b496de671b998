import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Svix } from 'svix';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

interface EndpointOut {
  id: string;
  url: string;
  maxInFlight: number | null;
  circuit: { state: string; openedAt: string | null; nextProbeAt: string | null; consecutiveFailures: number };
}

/** Herald's dispatch extensions on the endpoint: its in-flight bound and its circuit breaker. */
describe('endpoint API: maxInFlight and circuit (extension fields)', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let appId: string;

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('dispatch fields');
    appId = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'fields' } })).body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  const call = <T>(method: string, path: string, body?: unknown) => api.call<T>(method, `/api/v1/app/${appId}/endpoint${path}`, { token: tenant.apiKey, body });

  it('sets maxInFlight on create, PUT and PATCH (null = the operator default), and refuses bad values', async () => {
    const created = await call<EndpointOut>('POST', '', { url: 'https://example.com/a', maxInFlight: 3 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ maxInFlight: 3, circuit: { state: 'closed', openedAt: null, nextProbeAt: null, consecutiveFailures: 0 } });
    expect((await prisma.endpoint.findUniqueOrThrow({ where: { id: created.body.id } })).maxInFlight).toBe(3);

    expect((await call<EndpointOut>('PATCH', `/${created.body.id}`, { maxInFlight: 40 })).body.maxInFlight).toBe(40);
    expect((await call<EndpointOut>('PATCH', `/${created.body.id}`, { description: 'untouched bound' })).body.maxInFlight).toBe(40);
    // PUT replaces: without the field, the operator default applies again.
    expect((await call<EndpointOut>('PUT', `/${created.body.id}`, { url: 'https://example.com/a' })).body.maxInFlight).toBeNull();
    expect((await call<EndpointOut>('POST', '', { url: 'https://example.com/b' })).body.maxInFlight).toBeNull();

    const before = await prisma.endpoint.findUniqueOrThrow({ where: { id: created.body.id } });
    for (const maxInFlight of [0, -1, 1001, 2.5, 'ten']) {
      const res = await call<{ detail: { loc: string[] }[] }>('PATCH', `/${created.body.id}`, { maxInFlight });
      expect(res.status, String(maxInFlight)).toBe(422);
      expect(res.body.detail[0]!.loc).toEqual(['body', 'maxInFlight']);
    }
    expect(await prisma.endpoint.findUniqueOrThrow({ where: { id: created.body.id } })).toEqual(before);
  });

  it('shows the circuit the dispatcher opened, and a new URL or enabling the endpoint closes it', async () => {
    const ep = (await call<EndpointOut>('POST', '', { url: 'https://example.com/flaky' })).body;
    const openedAt = new Date(Date.now() - 60_000);
    const probeAt = new Date(Date.now() + 30_000);
    // What the dispatcher writes when failures in a row open the circuit.
    await prisma.endpoint.update({ where: { id: ep.id }, data: { circuitState: 'open', circuitOpenedAt: openedAt, circuitProbeAt: probeAt, consecutiveFailures: 7, circuitFailedProbes: 2 } });
    const open = await call<EndpointOut>('GET', `/${ep.id}`);
    expect(open.body.circuit).toEqual({ state: 'open', openedAt: openedAt.toISOString(), nextProbeAt: probeAt.toISOString(), consecutiveFailures: 7 });
    // The official client reads the endpoint unchanged (extension fields are extra).
    const viaClient = await new Svix(tenant.apiKey, { serverUrl: api.url }).endpoint.get(appId, ep.id);
    expect(viaClient.url).toBe('https://example.com/flaky');

    // A description change leaves the breaker alone; a new URL starts afresh.
    expect((await call<EndpointOut>('PATCH', `/${ep.id}`, { description: 'x' })).body.circuit.state).toBe('open');
    const moved = await call<EndpointOut>('PATCH', `/${ep.id}`, { url: 'https://example.com/fixed' });
    expect(moved.body.circuit).toEqual({ state: 'closed', openedAt: null, nextProbeAt: null, consecutiveFailures: 0 });
    expect(await prisma.endpoint.findUniqueOrThrow({ where: { id: ep.id } })).toMatchObject({ circuitFailedProbes: 0, circuitProbeAt: null });

    await prisma.endpoint.update({ where: { id: ep.id }, data: { circuitState: 'open', circuitOpenedAt: openedAt, circuitProbeAt: probeAt, consecutiveFailures: 9, disabled: true } });
    const enabled = await call<EndpointOut>('PATCH', `/${ep.id}`, { disabled: false });
    expect(enabled.body.circuit.state).toBe('closed');
  });
});
