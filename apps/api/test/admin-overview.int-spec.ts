import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { createTestDatabase, dropTestDatabase } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface Overview {
  deliveries: { due: number; scheduled: number };
  failingEndpoints: { tenantId: string; appId: string; endpointId: string; url: string; failingSince: string }[];
}

/**
 * GET /api/v1/admin/overview counts across every tenant, so this file has a database of its
 * own: the counts are exact, not disturbed by the other files' tenants.
 */
describe('operator API: /api/v1/admin/overview', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let db: { url: string; name: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi({ DATABASE_URL: db.url });
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api?.close();
    if (db) await dropTestDatabase(db.name);
  });

  const overview = (token: string) => api.call<Overview>('GET', '/api/v1/admin/overview', { token });

  it('is empty on an empty installation', async () => {
    const res = await overview(api.adminToken);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ deliveries: { due: 0, scheduled: 0 }, failingEndpoints: [] });
  });

  it('counts due and scheduled deliveries and lists failing endpoints of every tenant, oldest first', async () => {
    const a = await api.createTenant('overview a');
    const b = await api.createTenant('overview b');
    const gone = await api.createTenant('overview deleted');
    const endpointsOf = async (tenant: { apiKey: string }, count: number): Promise<{ appId: string; ids: string[] }> => {
      const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'app' } });
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const ep = await api.call<{ id: string }>('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: tenant.apiKey, body: { url: `https://ep${i}.example.com/hook` } });
        expect(ep.status, ep.text).toBe(201);
        ids.push(ep.body.id);
      }
      return { appId: app.body.id, ids };
    };
    const ea = await endpointsOf(a, 2);
    const eb = await endpointsOf(b, 1);
    const eg = await endpointsOf(gone, 1);

    // No dispatcher runs here: each message leaves one pending, due delivery per endpoint.
    for (const [tenant, appId] of [[a, ea.appId], [a, ea.appId], [b, eb.appId]] as const) {
      const msg = await api.call('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, body: { eventType: 'order.created', payload: { n: 1 } } });
      expect(msg.status, msg.text).toBe(202);
    }
    // 2 messages × 2 endpoints of A + 1 of B = 5 pending; push 2 of them into the future.
    const later = await prisma.delivery.findMany({ where: { tenantId: a.tenantId }, take: 2, select: { id: true } });
    await prisma.delivery.updateMany({ where: { id: { in: later.map((d) => d.id) } }, data: { nextAttemptAt: new Date(Date.now() + 3_600_000) } });
    // A delivered one counts nowhere.
    const [done] = await prisma.delivery.findMany({ where: { tenantId: b.tenantId }, select: { id: true } });
    await prisma.delivery.update({ where: { id: done!.id }, data: { status: 'success' } });

    const hour = 3_600_000;
    await prisma.endpoint.update({ where: { id: ea.ids[1]! }, data: { failingSince: new Date(Date.now() - 2 * hour) } });
    await prisma.endpoint.update({ where: { id: eb.ids[0]! }, data: { failingSince: new Date(Date.now() - 5 * hour) } });
    // A disabled endpoint and a deleted tenant's endpoint are not listed.
    await prisma.endpoint.update({ where: { id: ea.ids[0]! }, data: { failingSince: new Date(Date.now() - 9 * hour), disabled: true } });
    await prisma.endpoint.update({ where: { id: eg.ids[0]! }, data: { failingSince: new Date(Date.now() - 9 * hour) } });
    expect((await api.call('DELETE', `/api/v1/admin/tenants/${gone.tenantId}`, { token: api.adminToken })).status).toBe(204);

    const res = await overview(api.adminToken);
    expect(res.status, res.text).toBe(200);
    expect(res.body.deliveries).toEqual({ due: 2, scheduled: 2 });
    expect(res.body.failingEndpoints.map((e) => [e.tenantId, e.appId, e.endpointId, e.url])).toEqual([
      [b.tenantId, eb.appId, eb.ids[0], 'https://ep0.example.com/hook'],
      [a.tenantId, ea.appId, ea.ids[1], 'https://ep1.example.com/hook'],
    ]);
    expect(Date.parse(res.body.failingEndpoints[0]!.failingSince)).toBeLessThan(Date.parse(res.body.failingEndpoints[1]!.failingSince));
  });

  it('lists at most 50 failing endpoints', async () => {
    const t = await api.createTenant('overview many');
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: t.apiKey, body: { name: 'many' } });
    for (let i = 0; i < 51; i++) {
      expect((await api.call('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: t.apiKey, body: { url: `https://many${i}.example.com/` } })).status).toBe(201);
    }
    await prisma.endpoint.updateMany({ where: { tenantId: t.tenantId }, data: { failingSince: new Date() } });
    const res = await overview(api.adminToken);
    expect(res.body.failingEndpoints).toHaveLength(50);
  });

  it('refuses tenant keys and app-portal tokens (401)', async () => {
    const t = await api.createTenant('overview intruder');
    expect((await overview(t.apiKey)).status).toBe(401);
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: t.apiKey, body: { name: 'portal' } });
    const portal = await api.call<{ token: string }>('POST', `/api/v1/auth/app-portal-access/${app.body.id}`, { token: t.apiKey, body: {} });
    expect((await overview(portal.body.token)).status).toBe(401);
    expect((await api.call('GET', '/api/v1/admin/overview')).status).toBe(401);
  });
});
