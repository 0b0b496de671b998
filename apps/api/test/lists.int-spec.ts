import { setTimeout as sleep } from 'node:timers/promises';
import { Ordering, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantKeysService, TenantProvisioningService, tenantScope, type TenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import type { Services } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface ListOut<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}
type Row = Record<string, unknown>;

/**
 * Every list, paged as the Svix server pages: ids sort by creation time to the millisecond,
 * default orders as Svix's, `iterator` forward and `prevIterator` back without skipping or
 * repeating a row, `order=`, `before`/`after` with iterators, and a malformed iterator is a 422
 * that does not repeat it.
 */
describe('lists: order, iterators both ways, order=, before/after', () => {
  let api: TestApi;
  let s: Services;
  let tenant: { tenantId: string; apiKey: string; scope: TenantScope };
  let appId: string;
  const apps: string[] = [];
  const endpoints: string[] = [];
  const messages: { id: string; timestamp: string }[] = [];
  const attempts: string[] = [];

  const get = <T>(path: string, token = tenant.apiKey) => api.call<T>('GET', path, { token });
  /** Pages through `path` forward with `iterator`, then back from the last page with `prevIterator`. */
  async function walk(path: string, key: (row: Row) => string = (r) => String(r['id']), token = tenant.apiKey): Promise<{ forward: string[]; back: string[]; pages: number }> {
    const sep = path.includes('?') ? '&' : '?';
    const pages: ListOut<Row>[] = [];
    let iterator: string | null = null;
    for (let i = 0; i < 50; i += 1) {
      const res: { status: number; body: ListOut<Row> } = await get<ListOut<Row>>(`${path}${sep}limit=3${iterator ? `&iterator=${iterator}` : ''}`, token);
      expect(res.status).toBe(200);
      pages.push(res.body);
      if (res.body.done) break;
      iterator = res.body.iterator;
    }
    const forward = pages.flatMap((p) => p.data.map(key));
    const back: string[][] = [];
    let prev = pages[pages.length - 1]?.prevIterator ?? null;
    for (let i = 0; i < 50 && prev; i += 1) {
      const res: { status: number; body: ListOut<Row> } = await get<ListOut<Row>>(`${path}${sep}limit=3&iterator=${prev}`, token);
      expect(res.status).toBe(200);
      back.unshift(res.body.data.map(key));
      if (res.body.done) break;
      prev = res.body.prevIterator;
    }
    return { forward, back: back.flat(), pages: pages.length };
  }
  /** Both walks give every row once, in `expected` order. */
  async function expectWalk(path: string, expected: string[], key?: (row: Row) => string, token?: string): Promise<void> {
    const { forward, back, pages } = await walk(path, key, token);
    expect(forward).toEqual(expected);
    expect(pages).toBe(Math.max(1, Math.ceil(expected.length / 3)));
    // Back from the last page: every page before it, each row once, in the same order.
    const lastPageSize = expected.length % 3 === 0 ? 3 : expected.length % 3;
    expect(back).toEqual(expected.slice(0, expected.length - lastPageSize));
  }

  beforeAll(async () => {
    api = await startTestApi();
    s = { prisma: api.app.get(PrismaService), keys: api.app.get(TenantKeysService), provisioning: api.app.get(TenantProvisioningService) };
    const created = await api.createTenant('lists');
    tenant = { ...created, scope: tenantScope(created.tenantId) };
    // Created one after the other as fast as the API allows: often several within one second.
    for (let i = 0; i < 8; i += 1) {
      const res = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: `app ${i}` } });
      expect(res.status).toBe(201);
      apps.push(res.body.id);
    }
    appId = apps[0]!;
    for (let i = 0; i < 7; i += 1) {
      const res = await api.call<{ id: string }>('POST', `/api/v1/app/${appId}/endpoint`, { token: tenant.apiKey, body: { url: `https://receiver.example.com/${i}` } });
      expect(res.status).toBe(201);
      endpoints.push(res.body.id);
    }
    for (let i = 0; i < 10; i += 1) {
      const res = await api.call<{ id: string; timestamp: string }>('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, body: { eventType: 'order.paid', payload: { i } } });
      expect(res.status).toBe(202);
      messages.push(res.body);
      // Apart by a few milliseconds, so `before`/`after` at a message's time split them exactly.
      await sleep(3);
    }
    // Attempts (made by the dispatcher in production): ten to endpoint 0 for message 0, 2 ms apart.
    const delivery = await s.prisma.delivery.findFirstOrThrow({ where: { messageId: messages[0]!.id, endpointId: endpoints[0]! } });
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 10; i += 1) {
      const id = newId('atmpt', new Date(t0 + i * 2));
      await s.prisma.attempt.create({
        data: {
          id,
          tenantId: tenant.tenantId,
          appId,
          messageId: messages[0]!.id,
          endpointId: endpoints[0]!,
          deliveryId: delivery.id,
          url: 'https://receiver.example.com/0',
          status: 2,
          responseStatus: 500,
          durationMs: 5,
          triggerType: 0,
          createdAt: new Date(t0 + i * 2),
        },
      });
      attempts.push(id);
    }
  });

  afterAll(async () => {
    await api.close();
  });

  it('lists applications oldest first (creation order to the millisecond), order=descending reverses, both walk both ways', async () => {
    // Creation order is list order even for applications created within one second.
    expect([...apps].sort()).toEqual(apps);
    await expectWalk('/api/v1/app', apps);
    await expectWalk('/api/v1/app?order=ascending', apps);
    await expectWalk('/api/v1/app?order=descending', [...apps].reverse());
  });

  it('lists endpoints newest first; order=ascending walks them oldest first', async () => {
    await expectWalk(`/api/v1/app/${appId}/endpoint`, [...endpoints].reverse());
    await expectWalk(`/api/v1/app/${appId}/endpoint?order=ascending`, endpoints);
  });

  it('lists messages newest first, both ways', async () => {
    const ids = messages.map((m) => m.id);
    expect([...ids].sort()).toEqual(ids);
    await expectWalk(`/api/v1/app/${appId}/msg`, [...ids].reverse());
  });

  it('combines before/after with iterators on messages, as Svix', async () => {
    const ids = messages.map((m) => m.id);
    const at = (i: number) => encodeURIComponent(messages[i]!.timestamp);
    // before is exclusive, after starts at that millisecond; iterators keep within both.
    await expectWalk(`/api/v1/app/${appId}/msg?before=${at(7)}`, ids.slice(0, 7).reverse());
    await expectWalk(`/api/v1/app/${appId}/msg?before=${at(8)}&after=${at(2)}`, ids.slice(2, 8).reverse());
    // `after` alone reads forward from that time: the oldest rows after it, shown newest first,
    // and prevIterator continues towards newer rows.
    const fromAfter = await get<ListOut<Row>>(`/api/v1/app/${appId}/msg?after=${at(3)}&limit=3`);
    expect(fromAfter.body.data.map((m) => m['id'])).toEqual([ids[5], ids[4], ids[3]]);
    expect(fromAfter.body.done).toBe(false);
    const newer = await get<ListOut<Row>>(`/api/v1/app/${appId}/msg?after=${at(3)}&limit=3&iterator=${fromAfter.body.prevIterator}`);
    expect(newer.body.data.map((m) => m['id'])).toEqual([ids[8], ids[7], ids[6]]);
    const newest = await get<ListOut<Row>>(`/api/v1/app/${appId}/msg?after=${at(3)}&limit=3&iterator=${newer.body.prevIterator}`);
    expect(newest.body).toMatchObject({ data: [expect.objectContaining({ id: ids[9] })], done: true });
  });

  it('drives the same paging with the official svix client', async () => {
    const svix = new Svix(tenant.apiKey, { serverUrl: api.url });
    const ids = messages.map((m) => m.id);
    const first = await svix.message.list(appId, { limit: 4, before: new Date(messages[9]!.timestamp) });
    expect(first.data.map((m) => m.id)).toEqual(ids.slice(5, 9).reverse());
    const second = await svix.message.list(appId, { limit: 4, before: new Date(messages[9]!.timestamp), iterator: first.iterator });
    expect(second.data.map((m) => m.id)).toEqual(ids.slice(1, 5).reverse());
    const back = await svix.message.list(appId, { limit: 4, iterator: second.prevIterator });
    expect(back.data.map((m) => m.id)).toEqual(ids.slice(5, 9).reverse());
    const appsDesc = await svix.application.list({ limit: 3, order: Ordering.Descending });
    expect(appsDesc.data.map((a) => a.id)).toEqual(apps.slice(-3).reverse());
    const appsNext = await svix.application.list({ limit: 3, order: Ordering.Descending, iterator: appsDesc.iterator });
    expect(appsNext.data.map((a) => a.id)).toEqual(apps.slice(-6, -3).reverse());
    const endpointsAsc = await svix.endpoint.list(appId, { limit: 10, order: Ordering.Ascending });
    expect(endpointsAsc.data.map((e) => e.id)).toEqual(endpoints);
  });

  it('lists attempts by message and by endpoint newest first, both ways, with before/after', async () => {
    await expectWalk(`/api/v1/app/${appId}/attempt/msg/${messages[0]!.id}`, [...attempts].reverse());
    await expectWalk(`/api/v1/app/${appId}/attempt/endpoint/${endpoints[0]}`, [...attempts].reverse());
    const rows = await s.prisma.attempt.findMany({ where: { id: { in: attempts } }, select: { id: true, createdAt: true } });
    const timeOf = (i: number) => encodeURIComponent(rows.find((r) => r.id === attempts[i])!.createdAt.toISOString());
    await expectWalk(`/api/v1/app/${appId}/attempt/endpoint/${endpoints[0]}?before=${timeOf(8)}&after=${timeOf(1)}`, attempts.slice(1, 8).reverse());
  });

  it('lists attempted messages of an endpoint newest first and attempted destinations in endpoint creation order', async () => {
    // Every message was routed to every endpoint (no filters).
    await expectWalk(`/api/v1/app/${appId}/endpoint/${endpoints[2]}/msg`, messages.map((m) => m.id).reverse());
    await expectWalk(`/api/v1/app/${appId}/endpoint/${endpoints[2]}/msg?before=${encodeURIComponent(messages[6]!.timestamp)}`, messages.slice(0, 6).map((m) => m.id).reverse());
    await expectWalk(`/api/v1/app/${appId}/msg/${messages[4]!.id}/endpoint`, endpoints);
  });

  it('lists event types by name both ways', async () => {
    const names = ['a.one', 'b.two', 'c.three', 'd.four', 'e.five', 'f.six', 'g.seven'];
    for (const name of [...names].reverse()) {
      expect((await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name, description: name } })).status).toBe(201);
    }
    await expectWalk('/api/v1/event-type', names, (r) => String(r['name']));
    await expectWalk('/api/v1/event-type?order=descending', [...names].reverse(), (r) => String(r['name']));
  });

  it("lists Herald's API keys, audit entries and tenants newest first, both ways", async () => {
    const keys: string[] = [];
    for (let i = 0; i < 6; i += 1) keys.push((await api.call<{ id: string }>('POST', '/api/v1/api-keys', { token: tenant.apiKey, body: { name: `k${i}` } })).body.id);
    const listedKeys = (await get<ListOut<Row>>('/api/v1/api-keys?limit=250')).body.data.map((k) => String(k['id']));
    expect(listedKeys.slice(0, 6)).toEqual([...keys].reverse());
    await expectWalk('/api/v1/api-keys', listedKeys);

    const entries = (await get<ListOut<Row>>('/api/v1/audit-log?limit=250')).body.data.map((e) => String(e['id']));
    expect(entries.length).toBeGreaterThan(20);
    await expectWalk('/api/v1/audit-log', entries);

    const tenants: string[] = [];
    for (let i = 0; i < 4; i += 1) tenants.push((await api.call<{ tenant: { id: string } }>('POST', '/api/v1/admin/tenants', { token: api.adminToken, body: { name: `lists ${i}` } })).body.tenant.id);
    const listed = (await get<ListOut<Row>>('/api/v1/admin/tenants?limit=250', api.adminToken)).body.data.map((t) => String(t['id']));
    expect(listed.slice(0, 4)).toEqual([...tenants].reverse());
    await expectWalk('/api/v1/admin/tenants', listed, undefined, api.adminToken);
  });

  it('refuses a malformed iterator, or one of another list, with 422 that does not repeat it', async () => {
    const secretish = 'hrld_notaniterator';
    const paths = [
      '/api/v1/app',
      `/api/v1/app/${appId}/endpoint`,
      `/api/v1/app/${appId}/msg`,
      `/api/v1/app/${appId}/attempt/msg/${messages[0]!.id}`,
      `/api/v1/app/${appId}/attempt/endpoint/${endpoints[0]}`,
      `/api/v1/app/${appId}/endpoint/${endpoints[0]}/msg`,
      `/api/v1/app/${appId}/msg/${messages[0]!.id}/endpoint`,
      '/api/v1/api-keys',
      '/api/v1/audit-log',
    ];
    for (const path of paths) {
      for (const bad of [secretish, `-${secretish}`, '', '--x', 'a b']) {
        const res = await get<{ detail: { loc: unknown[]; msg: string }[] }>(`${path}?iterator=${encodeURIComponent(bad)}`);
        expect(res.status, `${path} iterator=${bad}`).toBe(422);
        expect(res.body.detail[0]!.loc).toEqual(['query', 'iterator']);
        expect(res.text).not.toContain('notaniterator');
      }
    }
    // Event type iterators are names: anything that is not one.
    for (const bad of ['', 'a,b', 'a b', 'x'.repeat(257)]) expect((await get(`/api/v1/event-type?iterator=${encodeURIComponent(bad)}`)).status, bad).toBe(422);
    // An id of another kind is malformed here: a message id is not an application iterator.
    expect((await get(`/api/v1/app?iterator=${messages[0]!.id}`)).status).toBe(422);
    expect((await get(`/api/v1/app/${appId}/msg?iterator=${apps[1]}`)).status).toBe(422);
    expect((await get(`/api/v1/admin/tenants?iterator=${secretish}`, api.adminToken)).status).toBe(422);
  });

  it('refuses dates that are not RFC 3339 or outside years 1–9999 in before/after', async () => {
    for (const bad of ['yesterday', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z', '2024-01-01', '1700000000']) {
      const res = await get<{ detail: { loc: unknown[] }[] }>(`/api/v1/app/${appId}/msg?before=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(422);
      expect(res.body.detail[0]!.loc).toEqual(['query', 'before']);
    }
    expect((await get(`/api/v1/app/${appId}/msg?after=${encodeURIComponent('2024-01-01T00:00:00+02:00')}`)).status).toBe(200);
    expect((await get(`/api/v1/app/${appId}/msg?after=${encodeURIComponent('0001-01-01T00:00:00Z')}`)).status).toBe(200);
  });
});
