import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { createApiKey } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface AppOut {
  id: string;
  uid: string | null;
  name: string;
  throttleRate: number | null;
  rateLimit: number | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
interface ListOut<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

describe('application API', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let other: { tenantId: string; apiKey: string };

  const appCount = (tenantId: string): Promise<number> => prisma.application.count({ where: { tenantId } });
  const actions = async (tenantId: string): Promise<string[]> =>
    (await prisma.auditLogEntry.findMany({ where: { tenantId }, orderBy: { seq: 'asc' }, select: { action: true } })).map((e) => e.action);

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('applications');
    other = await api.createTenant('applications other');
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates, reads by id and uid, updates, patches and deletes, auditing each change', async () => {
    const created = await api.call<AppOut>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Acme', uid: 'acme-1', rateLimit: 20, metadata: { plan: 'pro' } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Acme', uid: 'acme-1', rateLimit: 20, throttleRate: 20, metadata: { plan: 'pro' } });
    expect(created.body.id).toMatch(/^app_/);
    expect(Date.parse(created.body.createdAt)).not.toBeNaN();

    for (const ref of [created.body.id, 'acme-1']) {
      const got = await api.call<AppOut>('GET', `/api/v1/app/${ref}`, { token: tenant.apiKey });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);
    }

    const put = await api.call<AppOut>('PUT', '/api/v1/app/acme-1', { token: tenant.apiKey, body: { name: 'Acme Inc', throttleRate: 5 } });
    expect(put.status).toBe(200);
    // PUT replaces the whole application (as Svix): metadata back to {}, and without `uid` it has none.
    expect(put.body).toMatchObject({ id: created.body.id, name: 'Acme Inc', uid: null, throttleRate: 5, rateLimit: 5, metadata: {} });
    expect((await api.call('GET', '/api/v1/app/acme-1', { token: tenant.apiKey })).status).toBe(404);
    const withUid = await api.call<AppOut>('PUT', `/api/v1/app/${created.body.id}`, { token: tenant.apiKey, body: { name: 'Acme Inc', uid: 'acme-1', throttleRate: 5 } });
    expect(withUid.body).toMatchObject({ id: created.body.id, uid: 'acme-1' });

    const patched = await api.call<AppOut>('PATCH', `/api/v1/app/${created.body.id}`, { token: tenant.apiKey, body: { metadata: { a: 'b' }, rateLimit: null } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Acme Inc', metadata: { a: 'b' }, rateLimit: null, throttleRate: null });

    const deleted = await api.call('DELETE', '/api/v1/app/acme-1', { token: tenant.apiKey });
    expect(deleted.status).toBe(204);
    expect((await api.call('GET', `/api/v1/app/${created.body.id}`, { token: tenant.apiKey })).status).toBe(404);

    expect(await actions(tenant.tenantId)).toEqual(expect.arrayContaining(['application.created', 'application.updated', 'application.deleted']));
    const entry = await prisma.auditLogEntry.findFirst({ where: { tenantId: tenant.tenantId, action: 'application.deleted' } });
    expect(entry).toMatchObject({ targetType: 'application', targetId: created.body.id, actorType: 'api_key' });
  });

  it('PUT creates a missing application under the path uid (201)', async () => {
    const res = await api.call<AppOut>('PUT', '/api/v1/app/put-created', { token: tenant.apiKey, body: { name: 'Put' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ uid: 'put-created', name: 'Put' });
  });

  it('get_if_exists returns the existing application (200); a plain duplicate uid is 409 and changes nothing', async () => {
    const first = await api.call<AppOut>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Dup', uid: 'dup-uid' } });
    expect(first.status).toBe(201);
    const again = await api.call<AppOut>('POST', '/api/v1/app?get_if_exists=true', { token: tenant.apiKey, body: { name: 'Other name', uid: 'dup-uid' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);

    const before = await appCount(tenant.tenantId);
    const dup = await api.call<{ code: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Dup 2', uid: 'dup-uid' } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('conflict');
    const patchDup = await api.call('PATCH', '/api/v1/app/put-created', { token: tenant.apiKey, body: { uid: 'dup-uid' } });
    expect(patchDup.status).toBe(409);
    expect(await appCount(tenant.tenantId)).toBe(before);
    expect((await api.call<AppOut>('GET', '/api/v1/app/put-created', { token: tenant.apiKey })).body.uid).toBe('put-created');
  });

  it('lists with limit, iterator, prevIterator and order', async () => {
    const t = await api.createTenant('applications list');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await api.call<AppOut>('POST', '/api/v1/app', { token: t.apiKey, body: { name: `app ${i}` } })).body.id);
    }
    // Ids are time-ordered to the second (KSUIDs): compare pages with the full listing.
    const full = await api.call<ListOut<AppOut>>('GET', '/api/v1/app?limit=1000', { token: t.apiKey });
    expect(full.status).toBe(200);
    const order = full.body.data.map((a) => a.id);
    expect([...order].sort()).toEqual([...ids].sort());
    expect(full.body.done).toBe(true);

    const page1 = await api.call<ListOut<AppOut>>('GET', '/api/v1/app?limit=2', { token: t.apiKey });
    expect(page1.body.data.map((a) => a.id)).toEqual(order.slice(0, 2));
    expect(page1.body.done).toBe(false);
    const page2 = await api.call<ListOut<AppOut>>('GET', `/api/v1/app?limit=2&iterator=${page1.body.iterator}`, { token: t.apiKey });
    expect(page2.body.data.map((a) => a.id)).toEqual(order.slice(2, 4));
    const page3 = await api.call<ListOut<AppOut>>('GET', `/api/v1/app?limit=2&iterator=${page2.body.iterator}`, { token: t.apiKey });
    expect(page3.body.data.map((a) => a.id)).toEqual(order.slice(4));
    expect(page3.body.done).toBe(true);
    const back = await api.call<ListOut<AppOut>>('GET', `/api/v1/app?limit=2&iterator=${page3.body.prevIterator}`, { token: t.apiKey });
    expect(back.body.data.map((a) => a.id)).toEqual(order.slice(2, 4));
    const desc = await api.call<ListOut<AppOut>>('GET', '/api/v1/app?order=descending', { token: t.apiKey });
    expect(desc.body.data.map((a) => a.id)).toEqual([...order].reverse());
  });

  it('refuses invalid input with 422 and creates nothing', async () => {
    const before = await appCount(tenant.tenantId);
    const bodies: unknown[] = [
      {},
      { name: '' },
      { name: 'x', uid: 'has space' },
      { name: 'x', uid: 'a'.repeat(257) },
      { name: 'x', uid: '' },
      { name: 'x', metadata: { a: 1 } },
      { name: 'x', throttleRate: 0 },
      { name: 'x', rateLimit: 70_000 },
      { name: 'x', rateLimit: 3, throttleRate: 4 },
    ];
    for (const body of bodies) {
      const res = await api.call<{ detail: { loc: unknown[]; msg: string; type: string }[] }>('POST', '/api/v1/app', { token: tenant.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail[0]!.loc[0]).toBe('body');
    }
    expect((await api.call('GET', '/api/v1/app?limit=abc', { token: tenant.apiKey })).status).toBe(422);
    expect((await api.call('GET', '/api/v1/app?order=sideways', { token: tenant.apiKey })).status).toBe(422);
    expect((await api.call('GET', '/api/v1/app/bad%20id', { token: tenant.apiKey })).status).toBe(422);
    expect(await appCount(tenant.tenantId)).toBe(before);
  });

  it("answers 404 for another tenant's application by id or uid, and changes nothing", async () => {
    const mine = await api.call<AppOut>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Private', uid: 'private-app' } });
    for (const ref of [mine.body.id, 'private-app']) {
      expect((await api.call('GET', `/api/v1/app/${ref}`, { token: other.apiKey })).status).toBe(404);
      expect((await api.call('PATCH', `/api/v1/app/${ref}`, { token: other.apiKey, body: { name: 'hijacked' } })).status).toBe(404);
      expect((await api.call('DELETE', `/api/v1/app/${ref}`, { token: other.apiKey })).status).toBe(404);
    }
    // PUT by the other tenant's id: 404 (only a uid creates, and only in the caller's tenant).
    expect((await api.call('PUT', `/api/v1/app/${mine.body.id}`, { token: other.apiKey, body: { name: 'hijacked' } })).status).toBe(404);
    const list = await api.call<ListOut<AppOut>>('GET', '/api/v1/app?limit=250', { token: other.apiKey });
    expect(list.body.data.map((a) => a.id)).not.toContain(mine.body.id);
    const after = await api.call<AppOut>('GET', `/api/v1/app/${mine.body.id}`, { token: tenant.apiKey });
    expect(after.body).toEqual(mine.body);
    expect(await prisma.auditLogEntry.count({ where: { tenantId: other.tenantId, targetId: mine.body.id } })).toBe(0);
  });

  it('lets a read key read but not write, and a send key do neither', async () => {
    const readKey = await createApiKey(prisma, tenant.tenantId, ['read']);
    const sendKey = await createApiKey(prisma, tenant.tenantId, ['send']);
    const app = await api.call<AppOut>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Scoped' } });
    const before = await appCount(tenant.tenantId);

    expect((await api.call('GET', '/api/v1/app', { token: readKey })).status).toBe(200);
    expect((await api.call('GET', `/api/v1/app/${app.body.id}`, { token: readKey })).status).toBe(200);
    expect((await api.call('POST', '/api/v1/app', { token: readKey, body: { name: 'no' } })).status).toBe(403);
    expect((await api.call('PUT', `/api/v1/app/${app.body.id}`, { token: readKey, body: { name: 'no' } })).status).toBe(403);
    expect((await api.call('PATCH', `/api/v1/app/${app.body.id}`, { token: readKey, body: { name: 'no' } })).status).toBe(403);
    expect((await api.call('DELETE', `/api/v1/app/${app.body.id}`, { token: readKey })).status).toBe(403);

    expect((await api.call('GET', '/api/v1/app', { token: sendKey })).status).toBe(403);
    expect((await api.call('GET', `/api/v1/app/${app.body.id}`, { token: sendKey })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/app', { token: sendKey, body: { name: 'no' } })).status).toBe(403);

    expect((await api.call('GET', '/api/v1/app')).status).toBe(401);
    expect(await appCount(tenant.tenantId)).toBe(before);
    expect((await api.call<AppOut>('GET', `/api/v1/app/${app.body.id}`, { token: tenant.apiKey })).body.name).toBe('Scoped');
  });
});
