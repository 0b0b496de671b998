import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateApiKey, TenantKeysService, TenantProvisioningService, tenantScope, type TenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { BackgroundTaskRunner } from '@herald/tasks';
import { createApplication, createEndpoint, type Services, startWakeupRecorder, type WakeupRecorder } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface AttemptOut {
  id: string;
  url: string;
  msgId: string;
  endpointId: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  status: number;
  statusText: string;
  triggerType: number;
  timestamp: string;
  msg?: { id: string; payload: unknown };
}
interface ListOut<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

const DAY = 86_400_000;

describe('message attempt API, resend, recover, send-example', () => {
  let api: TestApi;
  let s: Services;
  let wakeups: WakeupRecorder;
  let tenant: { tenantId: string; apiKey: string; scope: TenantScope };
  let other: { tenantId: string; apiKey: string };
  let appId: string;
  let ep1: { id: string };
  let ep2: { id: string };
  let filtered: { id: string };
  let msgId: string;
  let attempts: { id: string; endpointId: string; status: number; responseStatus: number }[];

  const call = <T>(method: string, path: string, body?: unknown, token = tenant.apiKey) => api.call<T>(method, `/api/v1/app/${appId}${path}`, { token, body });

  async function insertAttempt(a: { endpointId: string; status: number; responseStatus: number; body: string; triggerType?: number; at: Date }): Promise<string> {
    const delivery = await s.prisma.delivery.findFirstOrThrow({ where: { messageId: msgId, endpointId: a.endpointId } });
    const id = newId('atmpt', a.at);
    await s.prisma.attempt.create({
      data: {
        id,
        tenantId: tenant.tenantId,
        appId,
        messageId: msgId,
        endpointId: a.endpointId,
        deliveryId: delivery.id,
        url: `https://receiver.example.com/${a.endpointId}`,
        status: a.status,
        responseStatus: a.responseStatus,
        responseEnc: a.body === '' ? null : new Uint8Array(await s.keys.encrypt(tenant.scope, a.body)),
        durationMs: 40,
        triggerType: a.triggerType ?? 0,
        createdAt: a.at,
      },
    });
    return id;
  }

  /** Whether a delivery is due now for a dispatcher (pending, due, unclaimed) and how its attempt will be marked. */
  async function dueNow(deliveryId: string): Promise<{ due: boolean; triggerType: number }> {
    const d = await s.prisma.delivery.findUniqueOrThrow({ where: { id: deliveryId } });
    return { due: d.status === 'pending' && d.leaseOwner === null && d.nextAttemptAt !== null && d.nextAttemptAt.getTime() <= Date.now(), triggerType: d.triggerType };
  }

  beforeAll(async () => {
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-attempts` });
    s = { prisma: api.app.get(PrismaService), keys: api.app.get(TenantKeysService), provisioning: api.app.get(TenantProvisioningService) };
    wakeups = await startWakeupRecorder(api.config);
    const created = await api.createTenant('attempts');
    tenant = { ...created, scope: tenantScope(created.tenantId) };
    other = await api.createTenant('attempts other');
    appId = (await createApplication(s, tenant.scope, { uid: 'attempts-app' })).id;
    ep1 = await createEndpoint(s, tenant.scope, appId, { url: 'https://receiver.example.com/1', uid: 'ep-one' });
    ep2 = await createEndpoint(s, tenant.scope, appId, { url: 'https://receiver.example.com/2' });
    filtered = await createEndpoint(s, tenant.scope, appId, { url: 'https://receiver.example.com/3', filterTypes: ['never.sent'] });

    const msg = await call<{ id: string }>('POST', '/msg', { eventType: 'order.paid', eventId: 'order-1', payload: { total: 12 }, channels: ['shop'], tags: ['vip'] });
    expect(msg.status).toBe(202);
    msgId = msg.body.id;
    const t0 = Date.now() - 60_000;
    attempts = [];
    for (const [i, a] of [
      { endpointId: ep1.id, status: 2, responseStatus: 503, body: 'busy' },
      { endpointId: ep1.id, status: 0, responseStatus: 200, body: '{"ok":true}' },
      { endpointId: ep2.id, status: 2, responseStatus: 0, body: '' },
    ].entries()) {
      const id = await insertAttempt({ ...a, at: new Date(t0 + i * 2000) });
      attempts.push({ id, endpointId: a.endpointId, status: a.status, responseStatus: a.responseStatus });
    }
  });

  afterAll(async () => {
    await wakeups.close();
    await api.close();
  });

  it('lists attempts of a message newest first, with filters and iterators', async () => {
    const all = await call<ListOut<AttemptOut>>('GET', `/attempt/msg/${msgId}`);
    expect(all.status).toBe(200);
    expect(all.body.data.map((a) => a.id)).toEqual(attempts.map((a) => a.id).reverse());
    expect(all.body.data[1]).toMatchObject({
      msgId,
      endpointId: ep1.id,
      url: `https://receiver.example.com/${ep1.id}`,
      response: '{"ok":true}',
      responseStatusCode: 200,
      responseDurationMs: 40,
      status: 0,
      statusText: 'success',
      triggerType: 0,
    });
    const ids = async (query: string): Promise<string[]> => (await call<ListOut<AttemptOut>>('GET', `/attempt/msg/order-1?${query}`)).body.data.map((a) => a.id);
    expect(await ids('status=2')).toEqual([attempts[2]!.id, attempts[0]!.id]);
    expect(await ids('status_code_class=500')).toEqual([attempts[0]!.id]);
    expect(await ids('status_code_class=0')).toEqual([attempts[2]!.id]);
    expect(await ids('endpoint_id=ep-one')).toEqual([attempts[1]!.id, attempts[0]!.id]);
    expect(await ids('endpoint_id=ep_unknown')).toEqual([]);
    expect(await ids('channel=shop')).toHaveLength(3);
    expect(await ids('channel=other')).toEqual([]);
    expect(await ids('event_types=order.paid')).toHaveLength(3);
    expect(await ids('event_types=order.refunded')).toEqual([]);
    const bare = await call<ListOut<AttemptOut>>('GET', `/attempt/msg/${msgId}?with_content=false`);
    expect(bare.body.data.every((a) => a.response === '')).toBe(true);

    const first = await call<ListOut<AttemptOut>>('GET', `/attempt/msg/${msgId}?limit=2`);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.done).toBe(false);
    const second = await call<ListOut<AttemptOut>>('GET', `/attempt/msg/${msgId}?limit=2&iterator=${first.body.iterator}`);
    expect(second.body.data.map((a) => a.id)).toEqual([attempts[0]!.id]);
    expect(second.body.done).toBe(true);
    const back = await call<ListOut<AttemptOut>>('GET', `/attempt/msg/${msgId}?limit=2&iterator=${second.body.prevIterator}`);
    expect(back.body.data.map((a) => a.id)).toEqual(first.body.data.map((a) => a.id));
  });

  it('lists attempts of an endpoint (by id or uid), optionally with the message', async () => {
    const res = await call<ListOut<AttemptOut>>('GET', `/attempt/endpoint/ep-one?with_msg=true`);
    expect(res.status).toBe(200);
    expect(res.body.data.map((a) => a.id)).toEqual([attempts[1]!.id, attempts[0]!.id]);
    expect(res.body.data[0]!.msg).toMatchObject({ id: msgId, payload: { total: 12 } });
    const other2 = await call<ListOut<AttemptOut>>('GET', `/attempt/endpoint/${ep2.id}?tag=vip`);
    expect(other2.body.data.map((a) => a.id)).toEqual([attempts[2]!.id]);
    expect((await call<ListOut<AttemptOut>>('GET', `/attempt/endpoint/${ep2.id}?tag=nope`)).body.data).toEqual([]);
    expect((await call('GET', `/attempt/endpoint/ep_missing`)).status).toBe(404);
  });

  it('gets one attempt, and expunges its response: reads "EXPUNGED", audited', async () => {
    const target = attempts[0]!.id;
    const got = await call<AttemptOut>('GET', `/msg/${msgId}/attempt/${target}`);
    expect(got.status).toBe(200);
    expect(got.body.response).toBe('busy');
    const del = await call('DELETE', `/msg/order-1/attempt/${target}/content`);
    expect(del.status).toBe(204);
    const after = await call<AttemptOut>('GET', `/msg/${msgId}/attempt/${target}`);
    expect(after.body.response).toBe('EXPUNGED');
    const row = await s.prisma.attempt.findUniqueOrThrow({ where: { id: target } });
    expect(row.responseEnc).toBeNull();
    expect(row.responseExpunged).toBe(true);
    expect(await s.prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId, action: 'message_attempt.content.expunged', targetId: target } })).toBe(1);
    expect((await call('GET', `/msg/${msgId}/attempt/atmpt_missing`)).status).toBe(404);
  });

  it('reads an empty response body (stored unsealed, as NULL) as "", not "EXPUNGED"', async () => {
    const empty = attempts[2]!.id;
    expect((await s.prisma.attempt.findUniqueOrThrow({ where: { id: empty } })).responseEnc).toBeNull();
    const got = await call<AttemptOut>('GET', `/msg/${msgId}/attempt/${empty}`);
    expect(got.body.response).toBe('');
  });

  it('lists the messages of an endpoint and the destinations of a message with their delivery state', async () => {
    const msgs = await call<ListOut<{ id: string; status: number; statusText: string; nextAttempt: string | null; payload: unknown }>>('GET', `/endpoint/${ep1.id}/msg`);
    expect(msgs.status).toBe(200);
    expect(msgs.body.data).toHaveLength(1);
    expect(msgs.body.data[0]).toMatchObject({ id: msgId, status: 1, statusText: 'pending', payload: { total: 12 } });
    expect(msgs.body.data[0]!.nextAttempt).not.toBeNull();
    expect((await call<ListOut<unknown>>('GET', `/endpoint/${ep1.id}/msg?status=0`)).body.data).toEqual([]);
    expect((await call<ListOut<unknown>>('GET', `/endpoint/${ep1.id}/msg?status=1&channel=shop&event_types=order.paid`)).body.data).toHaveLength(1);
    expect((await call<ListOut<unknown>>('GET', `/endpoint/${filtered.id}/msg`)).body.data).toEqual([]);

    const dests = await call<ListOut<{ id: string; url: string; status: number; filterTypes: string[] | null; eventTypes: string[] | null }>>('GET', `/msg/${msgId}/endpoint`);
    expect(dests.status).toBe(200);
    expect(dests.body.data.map((d) => d.id)).toEqual([ep1.id, ep2.id].sort());
    expect(dests.body.data[0]).toMatchObject({ status: 1, filterTypes: null, eventTypes: null });
  });

  it('resends a message to an endpoint: delivery due again (or created), marked manual, dispatchers woken, audited', async () => {
    const delivery = await s.prisma.delivery.findFirstOrThrow({ where: { messageId: msgId, endpointId: ep2.id } });
    await s.prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'failed', nextAttemptAt: null } });
    const res = await call('POST', `/msg/${msgId}/endpoint/${ep2.id}/resend`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({});
    expect(await s.prisma.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({ status: 'pending' });
    expect(await dueNow(delivery.id)).toEqual({ due: true, triggerType: 1 });
    await wakeups.waitFor(ep2.id);
    expect(await s.prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId, action: 'message.resent', targetId: msgId } })).toBe(1);

    // The filtered endpoint never had a delivery for this message: resend creates one.
    expect(await s.prisma.delivery.count({ where: { messageId: msgId, endpointId: filtered.id } })).toBe(0);
    expect((await call('POST', `/msg/order-1/endpoint/${filtered.id}/resend`)).status).toBe(202);
    const createdDelivery = await s.prisma.delivery.findFirstOrThrow({ where: { messageId: msgId, endpointId: filtered.id } });
    expect(createdDelivery.status).toBe('pending');
    expect(await dueNow(createdDelivery.id)).toEqual({ due: true, triggerType: 1 });
    await wakeups.waitFor(filtered.id);

    expect((await call('POST', `/msg/msg_missing/endpoint/${ep2.id}/resend`)).status).toBe(404);
    expect((await call('POST', `/msg/${msgId}/endpoint/ep_missing/resend`)).status).toBe(404);
  });

  it('recovers failed deliveries of an endpoint since a time, refusing a since older than 14 days', async () => {
    const app = await createApplication(s, tenant.scope);
    const ep = await createEndpoint(s, tenant.scope, app.id, { url: 'https://receiver.example.com/recover' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const m = await api.call<{ id: string }>('POST', `/api/v1/app/${app.id}/msg`, { token: tenant.apiKey, body: { eventType: 'rec.test', payload: { i } } });
      expect(m.status).toBe(202);
      const d = await s.prisma.delivery.findFirstOrThrow({ where: { messageId: m.body.id } });
      ids.push(d.id);
    }
    // Two failed within the window (one of them with its payload expunged), one failed before it.
    await s.prisma.delivery.updateMany({ where: { id: { in: ids } }, data: { status: 'failed', nextAttemptAt: null } });
    await s.prisma.delivery.update({ where: { id: ids[0]! }, data: { createdAt: new Date(Date.now() - 3 * DAY) } });
    const expunged = await s.prisma.delivery.findUniqueOrThrow({ where: { id: ids[2]! } });
    await s.prisma.message.update({ where: { id: expunged.messageId }, data: { payloadEnc: null } });

    const tooOld = await api.call('POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, { token: tenant.apiKey, body: { since: new Date(Date.now() - 15 * DAY).toISOString() } });
    expect(tooOld.status).toBe(422);
    expect(await s.prisma.delivery.count({ where: { id: { in: ids }, status: 'failed' } })).toBe(3);

    const res = await api.call<{ id: string; status: string; task: string; updatedAt: string }>('POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, {
      token: tenant.apiKey,
      body: { since: new Date(Date.now() - DAY).toISOString() },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'running', task: 'endpoint.recover' });
    // A background task: nothing changes until a worker runs it (the retention process; here, in-process).
    expect(await s.prisma.delivery.count({ where: { id: { in: ids }, status: 'failed' } })).toBe(3);
    // runOne, not runDue: other files share this database and have tasks of their own.
    expect(await api.app.get(BackgroundTaskRunner).runOne(res.body.id)).toBe(true);
    const states = await s.prisma.delivery.findMany({ where: { id: { in: ids } } });
    const stateOf = (id: string): string | undefined => states.find((d) => d.id === id)?.status;
    expect([stateOf(ids[0]!), stateOf(ids[1]!), stateOf(ids[2]!)]).toEqual(['failed', 'pending', 'failed']);
    expect(await dueNow(ids[1]!)).toEqual({ due: true, triggerType: 1 });
    expect((await dueNow(ids[0]!)).due).toBe(false);
    await wakeups.waitFor(ep.id);
    expect(await s.prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId, action: 'endpoint.recovered', targetId: ep.id } })).toBe(1);
  });

  it("sends an event type's example to one endpoint", async () => {
    await s.prisma.eventType.create({
      data: { id: newId('et'), tenantId: tenant.tenantId, name: 'example.event', schemas: { '1': { type: 'object', examples: [{ hello: 'example' }, { second: true }] } } },
    });
    const res = await call<{ id: string; eventType: string; payload: unknown }>('POST', `/endpoint/${filtered.id}/send-example`, { eventType: 'example.event' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ eventType: 'example.event', payload: { hello: 'example' } });
    const deliveries = await s.prisma.delivery.findMany({ where: { messageId: res.body.id } });
    expect(deliveries.map((d) => d.endpointId)).toEqual([filtered.id]);
    expect(await dueNow(deliveries[0]!.id)).toEqual({ due: true, triggerType: 0 });
    const second = await call<{ payload: unknown }>('POST', `/endpoint/ep-one/send-example`, { eventType: 'example.event', exampleIndex: 1 });
    expect(second.body.payload).toEqual({ second: true });
    expect((await call('POST', `/endpoint/${ep1.id}/send-example`, { eventType: 'unknown.event' })).status).toBe(404);
  });

  it("answers 404 on every route for another tenant's ids, and changes nothing", async () => {
    const token = other.apiKey;
    const attemptId = attempts[1]!.id;
    const before = await s.prisma.delivery.findMany({ where: { messageId: msgId }, orderBy: { id: 'asc' } });
    const routes: [string, string, unknown?][] = [
      ['GET', `/attempt/msg/${msgId}`],
      ['GET', `/attempt/endpoint/${ep1.id}`],
      ['GET', `/msg/${msgId}/attempt/${attemptId}`],
      ['DELETE', `/msg/${msgId}/attempt/${attemptId}/content`],
      ['GET', `/endpoint/${ep1.id}/msg`],
      ['GET', `/msg/${msgId}/endpoint`],
      ['POST', `/msg/${msgId}/endpoint/${ep1.id}/resend`],
      ['POST', `/endpoint/${ep1.id}/recover`, { since: new Date(Date.now() - DAY).toISOString() }],
      ['POST', `/endpoint/${ep1.id}/send-example`, { eventType: 'example.event' }],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(method, path, body, token);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // Same ids under the other tenant's own application: still nothing of ours is reachable.
    const theirApp = await createApplication(s, tenantScope(other.tenantId));
    for (const [method, path, body] of routes) {
      const res = await api.call(method, `/api/v1/app/${theirApp.id}${path}`, { token, body });
      expect(res.status, `${method} (their app) ${path}`).toBe(404);
    }
    expect((await s.prisma.attempt.findUniqueOrThrow({ where: { id: attemptId } })).responseEnc).not.toBeNull();
    expect(await s.prisma.delivery.findMany({ where: { messageId: msgId }, orderBy: { id: 'asc' } })).toEqual(before);
  });

  it('needs write access for changes and read access for reads', async () => {
    const material = generateApiKey();
    await s.prisma.apiKey.create({
      data: { id: newId('key'), tenantId: tenant.tenantId, name: 'read only', keyHash: new Uint8Array(material.hash), keyPrefix: material.prefix, scopes: ['read'], allowedCidrs: [] },
    });
    expect((await call('GET', `/attempt/msg/${msgId}`, undefined, material.key)).status).toBe(200);
    expect((await call('POST', `/msg/${msgId}/endpoint/${ep1.id}/resend`, undefined, material.key)).status).toBe(403);
    expect((await call('DELETE', `/msg/${msgId}/attempt/${attempts[1]!.id}/content`, undefined, material.key)).status).toBe(403);
    expect((await call('POST', `/endpoint/${ep1.id}/recover`, { since: new Date().toISOString() }, material.key)).status).toBe(403);
  });
});
