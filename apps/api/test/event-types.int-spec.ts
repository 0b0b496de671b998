import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { createApiKey } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface EventTypeOut {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  featureFlags: string[] | null;
  groupName: string | null;
  schemas?: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}
interface ListOut<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

const SCHEMA = { '1': { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } };

describe('event type API', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let other: { tenantId: string; apiKey: string };

  const count = (tenantId: string): Promise<number> => prisma.eventType.count({ where: { tenantId } });

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('event types');
    other = await api.createTenant('event types other');
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates, reads, replaces, patches, archives and expunges, auditing each change', async () => {
    const created = await api.call<EventTypeOut>('POST', '/api/v1/event-type', {
      token: tenant.apiKey,
      body: { name: 'user.signup', description: 'A user signed up', schemas: SCHEMA, featureFlag: 'beta', groupName: 'user' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'user.signup', description: 'A user signed up', archived: false, deprecated: false, featureFlag: 'beta', featureFlags: ['beta'], groupName: 'user', schemas: SCHEMA });

    const got = await api.call<EventTypeOut>('GET', '/api/v1/event-type/user.signup', { token: tenant.apiKey });
    expect(got.body).toEqual(created.body);

    const put = await api.call<EventTypeOut>('PUT', '/api/v1/event-type/user.signup', { token: tenant.apiKey, body: { description: 'replaced', deprecated: true } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ description: 'replaced', deprecated: true, featureFlag: null, groupName: null, schemas: null });

    const putNew = await api.call<EventTypeOut>('PUT', '/api/v1/event-type/user.deleted', { token: tenant.apiKey, body: { description: 'new', featureFlags: ['ff'] } });
    expect(putNew.status).toBe(201);
    expect(putNew.body).toMatchObject({ name: 'user.deleted', featureFlag: 'ff' });

    const patched = await api.call<EventTypeOut>('PATCH', '/api/v1/event-type/user.signup', { token: tenant.apiKey, body: { schemas: SCHEMA, deprecated: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ description: 'replaced', deprecated: false, schemas: SCHEMA });

    expect((await api.call('DELETE', '/api/v1/event-type/user.signup', { token: tenant.apiKey })).status).toBe(204);
    const archived = await api.call<EventTypeOut>('GET', '/api/v1/event-type/user.signup', { token: tenant.apiKey });
    expect(archived.body.archived).toBe(true);

    expect((await api.call('DELETE', '/api/v1/event-type/user.signup?expunge=true', { token: tenant.apiKey })).status).toBe(204);
    expect((await api.call('GET', '/api/v1/event-type/user.signup', { token: tenant.apiKey })).status).toBe(404);

    const actions = (await prisma.auditLogEntry.findMany({ where: { tenantId: tenant.tenantId, targetType: 'event_type' }, orderBy: { seq: 'asc' } })).map((e) => e.action);
    expect(actions).toEqual(['event_type.created', 'event_type.updated', 'event_type.created', 'event_type.updated', 'event_type.archived', 'event_type.deleted']);
  });

  it('lists by name, without schemas unless with_content, without archived unless include_archived', async () => {
    const t = await api.createTenant('event types list');
    for (const name of ['b.two', 'a.one', 'd.four', 'c.three']) {
      expect((await api.call('POST', '/api/v1/event-type', { token: t.apiKey, body: { name, description: name, schemas: SCHEMA } })).status).toBe(201);
    }
    await api.call('DELETE', '/api/v1/event-type/c.three', { token: t.apiKey });

    const page1 = await api.call<ListOut<EventTypeOut>>('GET', '/api/v1/event-type?limit=2', { token: t.apiKey });
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((e) => e.name)).toEqual(['a.one', 'b.two']);
    expect(page1.body.data[0]).not.toHaveProperty('schemas');
    expect(page1.body).toMatchObject({ iterator: 'b.two', done: false });
    const page2 = await api.call<ListOut<EventTypeOut>>('GET', `/api/v1/event-type?limit=2&iterator=${page1.body.iterator}`, { token: t.apiKey });
    expect(page2.body.data.map((e) => e.name)).toEqual(['d.four']);
    expect(page2.body.done).toBe(true);

    const all = await api.call<ListOut<EventTypeOut>>('GET', '/api/v1/event-type?include_archived=true&with_content=true&order=descending', { token: t.apiKey });
    expect(all.body.data.map((e) => e.name)).toEqual(['d.four', 'c.three', 'b.two', 'a.one']);
    expect(all.body.data[0]!.schemas).toEqual(SCHEMA);
  });

  it('refuses duplicates (409) and invalid input (422), changing nothing', async () => {
    expect((await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name: 'order.paid', description: 'x' } })).status).toBe(201);
    const before = await count(tenant.tenantId);
    expect((await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name: 'order.paid', description: 'again' } })).status).toBe(409);

    const bad: unknown[] = [
      { description: 'no name' },
      { name: 'no description' },
      { name: 'bad name!', description: 'x' },
      { name: 'a'.repeat(257), description: 'x' },
      { name: 'x.y', description: 'x', featureFlag: 'bad flag' },
      { name: 'x.y', description: 'x', featureFlags: Array.from({ length: 11 }, (_, i) => `f${i}`) },
      { name: 'x.y', description: 'x', featureFlag: 'a', featureFlags: ['b', 'c'] },
      { name: 'x.y', description: 'x', featureFlags: ['ok', 'bad flag'] },
      { name: 'x.y', description: 'x', schemas: { '1': { type: 'objekt' } } },
      { name: 'x.y', description: 'x', schemas: { '1': 'not a schema' } },
      { name: 'x.y', description: 'x', schemas: { v1: { type: 'object' } } },
      { name: 'x.y', description: 'x', schemas: { '1': { $ref: '#/definitions/missing' } } },
    ];
    for (const body of bad) {
      const res = await api.call<{ detail: { loc: unknown[] }[] }>('POST', '/api/v1/event-type', { token: tenant.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail[0]!.loc[0]).toBe('body');
    }
    const badPatch = await api.call('PATCH', '/api/v1/event-type/order.paid', { token: tenant.apiKey, body: { schemas: { '1': { type: 7 } } } });
    expect(badPatch.status).toBe(422);
    expect((await api.call('GET', '/api/v1/event-type/bad%20name', { token: tenant.apiKey })).status).toBe(422);
    expect(await count(tenant.tenantId)).toBe(before);
    expect((await api.call<EventTypeOut>('GET', '/api/v1/event-type/order.paid', { token: tenant.apiKey })).body.schemas).toBeNull();
  });

  it("answers 404 for another tenant's event types and changes nothing", async () => {
    await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name: 'invoice.sent', description: 'mine' } });
    expect((await api.call('GET', '/api/v1/event-type/invoice.sent', { token: other.apiKey })).status).toBe(404);
    expect((await api.call('PATCH', '/api/v1/event-type/invoice.sent', { token: other.apiKey, body: { description: 'hijacked' } })).status).toBe(404);
    expect((await api.call('DELETE', '/api/v1/event-type/invoice.sent', { token: other.apiKey })).status).toBe(404);
    expect((await api.call('DELETE', '/api/v1/event-type/invoice.sent?expunge=true', { token: other.apiKey })).status).toBe(404);
    const list = await api.call<ListOut<EventTypeOut>>('GET', '/api/v1/event-type?include_archived=true', { token: other.apiKey });
    expect(list.body.data.map((e) => e.name)).not.toContain('invoice.sent');
    // The same name in the other tenant is its own event type.
    expect((await api.call('PUT', '/api/v1/event-type/invoice.sent', { token: other.apiKey, body: { description: 'theirs' } })).status).toBe(201);
    const mine = await api.call<EventTypeOut>('GET', '/api/v1/event-type/invoice.sent', { token: tenant.apiKey });
    expect(mine.body).toMatchObject({ description: 'mine', archived: false });
  });

  it('lets a read key read but not write, and a send key do neither', async () => {
    const readKey = await createApiKey(prisma, tenant.tenantId, ['read']);
    const sendKey = await createApiKey(prisma, tenant.tenantId, ['send']);
    await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name: 'scoped.type', description: 'x' } });
    const before = await count(tenant.tenantId);

    expect((await api.call('GET', '/api/v1/event-type', { token: readKey })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/event-type/scoped.type', { token: readKey })).status).toBe(200);
    expect((await api.call('POST', '/api/v1/event-type', { token: readKey, body: { name: 'no.no', description: 'x' } })).status).toBe(403);
    expect((await api.call('PUT', '/api/v1/event-type/scoped.type', { token: readKey, body: { description: 'no' } })).status).toBe(403);
    expect((await api.call('PATCH', '/api/v1/event-type/scoped.type', { token: readKey, body: { description: 'no' } })).status).toBe(403);
    expect((await api.call('DELETE', '/api/v1/event-type/scoped.type', { token: readKey })).status).toBe(403);

    expect((await api.call('GET', '/api/v1/event-type', { token: sendKey })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/event-type/scoped.type', { token: sendKey })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/event-type', { token: sendKey, body: { name: 'no.no', description: 'x' } })).status).toBe(403);

    expect(await count(tenant.tenantId)).toBe(before);
    expect((await api.call<EventTypeOut>('GET', '/api/v1/event-type/scoped.type', { token: tenant.apiKey })).body).toMatchObject({ description: 'x', archived: false });
  });
});
