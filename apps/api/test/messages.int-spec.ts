import { Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { TenantKeysService, TenantProvisioningService, tenantScope, type TenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { BackgroundTaskRunner } from '@herald/tasks';
import { createApiKey, createApplication, createEndpoint, startWakeupRecorder, type Services, type WakeupRecorder } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface MessageOut {
  id: string;
  eventId: string | null;
  eventType: string;
  payload: Record<string, unknown>;
  channels: string[] | null;
  tags?: string[];
  timestamp: string;
}
interface ListOut<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

const MARKER = 'plaintext-marker-7f3a9c';

describe('message API', () => {
  let api: TestApi;
  let s: Services;
  let wakeups: WakeupRecorder;
  let tenant: { tenantId: string; apiKey: string; scope: TenantScope };
  let other: { tenantId: string; apiKey: string };

  beforeAll(async () => {
    // A prefix of this file's own: the wake-ups recorded here are this file's.
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-messages` });
    wakeups = await startWakeupRecorder(api.config);
    s = { prisma: api.app.get(PrismaService), keys: api.app.get(TenantKeysService), provisioning: api.app.get(TenantProvisioningService) };
    const created = await api.createTenant('messages');
    tenant = { ...created, scope: tenantScope(created.tenantId) };
    other = await api.createTenant('messages other');
  });

  afterAll(async () => {
    await wakeups.close();
    await api.close();
  });

  const post = (appId: string, body: unknown, token = tenant.apiKey) => api.call<MessageOut>('POST', `/api/v1/app/${appId}/msg`, { token, body });

  it('fans a message out to one delivery per matching endpoint and wakes the dispatchers for the pending ones', async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'fanout-app' });
    const url = 'https://receiver.example.com/hook';
    const all = await createEndpoint(s, tenant.scope, app.id, { url });
    const typeMatch = await createEndpoint(s, tenant.scope, app.id, { url, filterTypes: ['user.created', 'user.deleted'] });
    const typeOther = await createEndpoint(s, tenant.scope, app.id, { url, filterTypes: ['invoice.paid'] });
    const channelMatch = await createEndpoint(s, tenant.scope, app.id, { url, channels: ['team-a', 'team-b'] });
    const channelOther = await createEndpoint(s, tenant.scope, app.id, { url, channels: ['team-z'] });
    const disabled = await createEndpoint(s, tenant.scope, app.id, { url, disabled: true });

    const res = await post('fanout-app', { eventType: 'user.created', payload: { name: 'Ada' }, channels: ['team-b'], tags: ['t1'] });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ eventType: 'user.created', payload: { name: 'Ada' }, channels: ['team-b'], tags: ['t1'], eventId: null });
    expect(res.body.id).toMatch(/^msg_/);
    expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);

    const deliveries = await s.prisma.delivery.findMany({ where: { messageId: res.body.id } });
    const byEndpoint = new Map(deliveries.map((d) => [d.endpointId, d]));
    expect(new Set(byEndpoint.keys())).toEqual(new Set([all.id, typeMatch.id, channelMatch.id, disabled.id]));
    expect(byEndpoint.has(typeOther.id)).toBe(false);
    expect(byEndpoint.has(channelOther.id)).toBe(false);
    for (const d of deliveries) {
      expect(d.tenantId).toBe(tenant.tenantId);
      expect(d.appId).toBe(app.id);
      if (d.endpointId === disabled.id) {
        expect(d.status).toBe('skipped');
        expect(d.nextAttemptAt).toBeNull();
      } else {
        expect(d).toMatchObject({ status: 'pending', triggerType: 0, leaseOwner: null });
        expect(d.nextAttemptAt).not.toBeNull();
        await wakeups.waitFor(d.endpointId);
      }
    }
    // The disabled endpoint's lane is not woken: it has nothing to send.
    expect(wakeups.lanes.some((l) => l.endpointId === disabled.id)).toBe(false);
    expect(wakeups.lanes.filter((l) => [all.id, typeMatch.id, channelMatch.id].includes(l.endpointId)).every((l) => l.tenantId === tenant.tenantId)).toBe(true);

    // Without channels the message reaches only endpoints that have none.
    const plain = await post(app.id, { eventType: 'user.created', payload: {} });
    expect(plain.status).toBe(202);
    const plainDeliveries = await s.prisma.delivery.findMany({ where: { messageId: plain.body.id } });
    expect(new Set(plainDeliveries.map((d) => d.endpointId))).toEqual(new Set([all.id, typeMatch.id, disabled.id]));
  });

  it('stores and routes concurrent sends each with its own payload, app and event type, one context lookup per distinct app and type', async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'burst-app' });
    const url = 'https://receiver.example.com/hook';
    const created = await createEndpoint(s, tenant.scope, app.id, { url, filterTypes: ['user.created'] });
    const deleted = await createEndpoint(s, tenant.scope, app.id, { url, filterTypes: ['user.deleted'] });
    // The other tenant has an app of the same uid: its sends must not share this tenant's lookup.
    const otherScope = tenantScope(other.tenantId);
    const otherApp = await createApplication(s, otherScope, { uid: 'burst-app' });
    const otherEndpoint = await createEndpoint(s, otherScope, otherApp.id, { url });

    // Each context lookup statement's keys, as "tenant app eventType".
    const batches: string[][] = [];
    const hot = s.prisma.hot.bind(s.prisma);
    const spy = vi.spyOn(s.prisma, 'hot').mockImplementation((statement) => {
      if (statement.label === 'ingest_context') {
        const keys = JSON.parse(statement.values[0] as string) as { tenant_id: string; app: string; event_type: string }[];
        batches.push(keys.map((k) => `${k.tenant_id} ${k.app} ${k.event_type}`));
      }
      return hot(statement);
    });
    const sends = [
      ...Array.from({ length: 20 }, (_, i) => ({ app: i % 2 ? 'burst-app' : app.id, eventType: 'user.created', token: tenant.apiKey, expect: created.id })),
      ...Array.from({ length: 10 }, () => ({ app: 'burst-app', eventType: 'user.deleted', token: tenant.apiKey, expect: deleted.id })),
      ...Array.from({ length: 10 }, () => ({ app: 'burst-app', eventType: 'user.created', token: other.apiKey, expect: otherEndpoint.id })),
    ];
    let responses;
    try {
      // Payloads of different sizes: each message must keep its own bytes of the batch.
      responses = await Promise.all(sends.map((m, i) => post(m.app, { eventType: m.eventType, payload: { i, fill: 'x'.repeat(i * 37) } }, m.token)));
    } finally {
      spy.mockRestore();
    }

    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(202);
      const deliveries = await s.prisma.delivery.findMany({ where: { messageId: res.body.id } });
      expect(deliveries.map((d) => d.endpointId)).toEqual([sends[i]?.expect]);
      const stored = await api.call<MessageOut>('GET', `/api/v1/app/${deliveries[0]?.appId}/msg/${res.body.id}`, { token: sends[i]?.token });
      expect(stored.body.payload).toEqual({ i, fill: 'x'.repeat(i * 37) });
    }
    // Requests that shared a statement with the same key shared its lookup.
    for (const keys of batches) expect(new Set(keys).size).toBe(keys.length);
    const lookups = batches.reduce((n, keys) => n + keys.length, 0);
    expect(lookups).toBeGreaterThanOrEqual(4);
    expect(lookups).toBeLessThan(sends.length);
  });

  it('stores the payload encrypted and reads it back by id or eventId; with_content=false leaves it out', async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'read-app' });
    const res = await post('read-app', { eventType: 'note.added', eventId: 'evt-read-1', payload: { secret: MARKER, nested: { n: 1 } } });
    expect(res.status).toBe(202);

    const rows = await s.prisma.$queryRaw<{ payload_enc: Uint8Array; payload_size: number }[]>`SELECT payload_enc, payload_size FROM messages WHERE id = ${res.body.id}`;
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.payload_enc).includes(MARKER)).toBe(false);
    expect(rows[0]!.payload_size).toBe(JSON.stringify({ secret: MARKER, nested: { n: 1 } }).length);

    for (const ref of [res.body.id, 'evt-read-1']) {
      const got = await api.call<MessageOut>('GET', `/api/v1/app/${app.id}/msg/${ref}`, { token: tenant.apiKey });
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ id: res.body.id, eventId: 'evt-read-1', payload: { secret: MARKER, nested: { n: 1 } }, channels: null });
    }
    const bare = await api.call<MessageOut>('GET', `/api/v1/app/read-app/msg/${res.body.id}?with_content=false`, { token: tenant.apiKey });
    expect(bare.body.payload).toEqual({});
    const created = await api.call<MessageOut>('POST', `/api/v1/app/read-app/msg?with_content=false`, { token: tenant.apiKey, body: { eventType: 'x', payload: { a: 1 } } });
    expect(created.status).toBe(202);
    expect(created.body.payload).toEqual({});

    const missing = await api.call('GET', `/api/v1/app/${app.id}/msg/msg_doesnotexist`, { token: tenant.apiKey });
    expect(missing.status).toBe(404);
  });

  it('lists newest first with iterators and filters', async () => {
    const app = await createApplication(s, tenant.scope);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await post(app.id, { eventType: i % 2 === 0 ? 'even.happened' : 'odd.happened', payload: { i }, channels: i < 2 ? ['early'] : undefined, tags: i === 4 ? ['last'] : undefined });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    const seen: string[] = [];
    let iterator: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const res: { status: number; body: ListOut<MessageOut> } = await api.call<ListOut<MessageOut>>('GET', `/api/v1/app/${app.id}/msg?limit=2${iterator ? `&iterator=${iterator}` : ''}`, { token: tenant.apiKey });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((m) => m.id));
      iterator = res.body.iterator;
      if (res.body.done) break;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(ids));
    // Ids are time-ordered: the list is sorted newest (largest id) first.
    expect(seen).toEqual([...seen].sort().reverse());

    const list = async (query: string): Promise<ListOut<MessageOut>> => (await api.call<ListOut<MessageOut>>('GET', `/api/v1/app/${app.id}/msg?${query}`, { token: tenant.apiKey })).body;
    expect((await list('event_types=even.happened')).data).toHaveLength(3);
    expect((await list('event_types=even.happened,odd.happened')).data).toHaveLength(5);
    expect((await list('event_types[]=odd.happened')).data).toHaveLength(2);
    expect((await list('channel=early')).data.map((m) => m.id).sort()).toEqual(ids.slice(0, 2).sort());
    expect((await list('tag=last')).data.map((m) => m.id)).toEqual([ids[4]]);
    const withoutContent = await list('with_content=false&limit=1');
    expect(withoutContent.data[0]!.payload).toEqual({});
    expect(withoutContent.done).toBe(false);
    const capped = await list('limit=1000');
    expect(capped.data).toHaveLength(5);
    expect((await list('after=2000-01-01T00:00:00Z')).data).toHaveLength(5);
    expect((await list('before=2000-01-01T00:00:00Z')).data).toHaveLength(0);
    const bad = await api.call('GET', `/api/v1/app/${app.id}/msg?iterator=bad%20iterator`, { token: tenant.apiKey });
    expect(bad.status).toBe(422);
  });

  it('expunges a payload at once: reads {"expired": true}, audited, ciphertext gone', async () => {
    const app = await createApplication(s, tenant.scope);
    const res = await post(app.id, { eventType: 'pii.sent', payload: { ssn: MARKER } });
    const del = await api.call('DELETE', `/api/v1/app/${app.id}/msg/${res.body.id}/content`, { token: tenant.apiKey });
    expect(del.status).toBe(204);
    const got = await api.call<MessageOut>('GET', `/api/v1/app/${app.id}/msg/${res.body.id}`, { token: tenant.apiKey });
    expect(got.body.payload).toEqual({ expired: true });
    const row = await s.prisma.message.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row.payloadEnc).toBeNull();
    const audit = await s.prisma.auditLogEntry.findFirst({ where: { tenantId: tenant.tenantId, action: 'message.content.expunged', targetId: res.body.id } });
    expect(audit).not.toBeNull();
  });

  it('creates the application alongside the message when the body describes it, else 404', async () => {
    const res = await post('inline-app-uid', { eventType: 'a.b', payload: {}, application: { name: 'Inline app', uid: 'inline-app-uid' } });
    expect(res.status).toBe(202);
    const app = await s.prisma.application.findFirst({ where: { tenantId: tenant.tenantId, uid: 'inline-app-uid' } });
    expect(app?.name).toBe('Inline app');
    const again = await post('inline-app-uid', { eventType: 'a.b', payload: {}, application: { name: 'Ignored' } });
    expect(again.status).toBe(202);
    expect(await s.prisma.application.count({ where: { tenantId: tenant.tenantId, uid: 'inline-app-uid' } })).toBe(1);
    expect(await s.prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId, action: 'application.created', targetId: app!.id } })).toBe(1);

    const unknown = await post('no-such-app', { eventType: 'a.b', payload: {} });
    expect(unknown.status).toBe(404);

    // The body's application is the ApplicationIn of POST /app: `rateLimit` (Svix's newer name) and metadata too.
    const limited = await post('inline-limited', { eventType: 'a.b', payload: {}, application: { name: 'Limited', uid: 'inline-limited', rateLimit: 7, metadata: { plan: 'pro' } } });
    expect(limited.status).toBe(202);
    expect(await s.prisma.application.findFirst({ where: { tenantId: tenant.tenantId, uid: 'inline-limited' }, select: { throttleRate: true, metadata: true } })).toEqual({ throttleRate: 7, metadata: { plan: 'pro' } });
  });

  it("answers 404 for another tenant's application and message, and changes nothing", async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'isolated-app' });
    const msg = await post(app.id, { eventType: 'iso.test', eventId: 'iso-evt', payload: { k: 'v' } });
    expect(msg.status).toBe(202);
    const token = other.apiKey;
    for (const [method, path] of [
      ['GET', `/api/v1/app/${app.id}/msg`],
      ['GET', `/api/v1/app/isolated-app/msg`],
      ['GET', `/api/v1/app/${app.id}/msg/${msg.body.id}`],
      ['GET', `/api/v1/app/${app.id}/msg/iso-evt`],
      ['DELETE', `/api/v1/app/${app.id}/msg/${msg.body.id}/content`],
    ] as const) {
      const res = await api.call(method, path, { token });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const created = await post(app.id, { eventType: 'iso.test', payload: {} }, token);
    expect(created.status).toBe(404);
    // The other tenant's own app with the same uid is a different app.
    await createApplication(s, tenantScope(other.tenantId), { uid: 'isolated-app' });
    const own = await post('isolated-app', { eventType: 'iso.test', eventId: 'iso-evt', payload: {} }, token);
    expect(own.status).toBe(202);

    const row = await s.prisma.message.findUniqueOrThrow({ where: { id: msg.body.id } });
    expect(row.payloadEnc).not.toBeNull();
    expect(await s.prisma.message.count({ where: { appId: app.id } })).toBe(1);
  });

  it('lets a send-scope key create messages but not read them, and a read-scope key the reverse', async () => {
    const app = await createApplication(s, tenant.scope);
    const sendKey = await createApiKey(s.prisma, tenant.tenantId, ['send']);
    const readKey = await createApiKey(s.prisma, tenant.tenantId, ['read']);
    const sent = await post(app.id, { eventType: 'scope.test', payload: {} }, sendKey);
    expect(sent.status).toBe(202);
    expect((await api.call('GET', `/api/v1/app/${app.id}/msg`, { token: sendKey })).status).toBe(403);
    expect((await api.call('GET', `/api/v1/app/${app.id}/msg/${sent.body.id}`, { token: sendKey })).status).toBe(403);
    expect((await api.call('DELETE', `/api/v1/app/${app.id}/msg/${sent.body.id}/content`, { token: sendKey })).status).toBe(403);
    expect((await post(app.id, { eventType: 'scope.test', payload: {} }, readKey)).status).toBe(403);
    expect((await api.call('GET', `/api/v1/app/${app.id}/msg`, { token: readKey })).status).toBe(200);
    expect((await api.call('DELETE', `/api/v1/app/${app.id}/msg/${sent.body.id}/content`, { token: readKey })).status).toBe(403);
    expect(await s.prisma.message.count({ where: { appId: app.id } })).toBe(1);
  });

  it('works with the official svix client', async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'svix-client-app' });
    const endpoint = await createEndpoint(s, tenant.scope, app.id, { url: 'https://receiver.example.com/svix', uid: 'svix-ep' });
    const svix = new Svix(tenant.apiKey, { serverUrl: api.url });

    const created = await svix.message.create('svix-client-app', { eventType: 'svix.sent', eventId: 'svix-evt-1', payload: { hello: 'world' }, channels: ['c1'], tags: ['tag1'] });
    expect(created.id).toMatch(/^msg_/);
    expect(created.payload).toEqual({ hello: 'world' });
    expect(created.tags).toEqual(['tag1']);

    const listed = await svix.message.list('svix-client-app', { limit: 10, eventTypes: ['svix.sent'], tag: 'tag1' });
    expect(listed.data.map((m) => m.id)).toEqual([created.id]);
    expect(listed.done).toBe(true);
    const got = await svix.message.get('svix-client-app', 'svix-evt-1');
    expect(got.payload).toEqual({ hello: 'world' });
    expect(got.timestamp).toBeInstanceOf(Date);

    const delivery = await s.prisma.delivery.findFirstOrThrow({ where: { messageId: created.id, endpointId: endpoint.id } });
    expect((await svix.messageAttempt.listByMsg('svix-client-app', created.id)).data).toEqual([]);
    await s.prisma.attempt.create({
      data: {
        id: newId('atmpt'),
        tenantId: tenant.tenantId,
        appId: app.id,
        messageId: created.id,
        endpointId: endpoint.id,
        deliveryId: delivery.id,
        url: 'https://receiver.example.com/svix',
        status: 2,
        responseStatus: 500,
        responseEnc: new Uint8Array(await s.keys.encrypt(tenant.scope, 'upstream exploded')),
        durationMs: 12,
        triggerType: 0,
      },
    });
    const attempts = await svix.messageAttempt.listByMsg('svix-client-app', created.id);
    expect(attempts.data).toHaveLength(1);
    expect(attempts.data[0]).toMatchObject({ response: 'upstream exploded', responseStatusCode: 500, status: 2, statusText: 'fail', endpointId: endpoint.id });

    await s.prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'failed', nextAttemptAt: null } });
    await expect(svix.messageAttempt.resend('svix-client-app', created.id, 'svix-ep')).resolves.toEqual({});
    // Due now, marked manual (its attempt will say trigger type 1), and the dispatchers are told.
    expect(await s.prisma.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({ status: 'pending', triggerType: 1 });
    await wakeups.waitFor(endpoint.id);

    await s.prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'failed', nextAttemptAt: null } });
    const recovered = await svix.endpoint.recover('svix-client-app', 'svix-ep', { since: new Date(Date.now() - 3_600_000) });
    expect(recovered.task).toBe('endpoint.recover');
    // The retention workers run the task; here, in-process.
    expect(await api.app.get(BackgroundTaskRunner).runOne(recovered.id)).toBe(true);
    expect((await svix.backgroundTask.get(recovered.id)).status).toBe('finished');
    expect(await s.prisma.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({ status: 'pending', triggerType: 1 });
  });
});
