import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BackgroundTaskStatus, BackgroundTaskType, MessageStatus, Ordering, StatusCodeClass, Svix } from 'svix';
import { newId, PrismaService } from '@herald/db';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { OperatorDb, TenantKeysService } from '@herald/tenancy';
import { DeliveryWakeups, OperationalEvents } from '@herald/deliveries';
import { BackgroundTaskRepository, BackgroundTaskRunner } from '@herald/tasks';
import { createTestDatabase, dropTestDatabase } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

/**
 * Svix background tasks through the official client and raw HTTP: recover, replay-missing,
 * bulk-replay and expunge-all-contents start tasks; the background-task routes report their
 * progress and result. The runner (the retention process's) runs here in-process, on demand.
 */

interface TaskOut {
  id: string;
  status: string;
  task: string;
  data: Record<string, unknown>;
  updatedAt: string;
}

const HOUR = 3_600_000;

describe('background tasks: recover, replay-missing, bulk-replay, expunge-all-contents', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let runner: BackgroundTaskRunner;
  let tenant: { tenantId: string; apiKey: string };
  let other: { tenantId: string; apiKey: string };
  let svix: Svix;
  let db: { url: string; name: string };

  /** Sends a message through the API; returns its id. */
  async function send(appId: string, body: { eventType: string; payload?: object; channels?: string[]; tags?: string[] }, token = tenant.apiKey): Promise<string> {
    const res = await api.call<{ id: string }>('POST', `/api/v1/app/${appId}/msg`, { token, body: { payload: { n: 1 }, ...body } });
    expect(res.status, res.text).toBe(202);
    return res.body.id;
  }

  async function createEndpoint(appId: string, body: Record<string, unknown>, token = tenant.apiKey): Promise<string> {
    const res = await api.call<{ id: string }>('POST', `/api/v1/app/${appId}/endpoint`, { token, body: { url: 'https://receiver.example.com/hook', ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body.id;
  }

  async function createApp(name: string, token = tenant.apiKey): Promise<string> {
    const res = await api.call<{ id: string }>('POST', '/api/v1/app', { token, body: { name } });
    expect(res.status, res.text).toBe(201);
    return res.body.id;
  }

  /** Everything about the tenant that a refused request must leave alone. */
  async function state(tenantId = tenant.tenantId): Promise<unknown> {
    const where = { tenantId };
    return JSON.stringify(
      await Promise.all([
        prisma.backgroundTask.findMany({ where, orderBy: { id: 'asc' } }),
        prisma.delivery.findMany({ where, orderBy: { id: 'asc' } }),
        prisma.message.findMany({ where, orderBy: { id: 'asc' }, select: { id: true, payloadEnc: true } }),
        prisma.auditLogEntry.count({ where }),
      ]),
    );
  }

  beforeAll(async () => {
    // A database of its own: the runner takes every tenant's tasks, those of other files too.
    db = await createTestDatabase();
    api = await startTestApi({ DATABASE_URL: db.url, HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-tasks`, HERALD_TASK_BATCH_SIZE: '2' });
    prisma = api.app.get(PrismaService);
    runner = api.app.get(BackgroundTaskRunner);
    tenant = await api.createTenant('tasks');
    other = await api.createTenant('tasks other');
    svix = new Svix(tenant.apiKey, { serverUrl: api.url });
    await svix.eventType.create({ name: 'invoice.paid', description: 'an endpoint filter' });
  });

  afterAll(async () => {
    await api?.close();
    if (db) await dropTestDatabase(db.name);
  });

  it('recover is a task the client polls to its result; the list filters by status and task and pages both ways', async () => {
    const appId = await createApp('recover');
    const endpointId = await createEndpoint(appId, {});
    const msgs = [await send(appId, { eventType: 'a.b' }), await send(appId, { eventType: 'a.b' }), await send(appId, { eventType: 'a.b' })];
    await prisma.delivery.updateMany({ where: { messageId: { in: msgs } }, data: { status: 'failed', nextAttemptAt: null } });

    const started = await svix.endpoint.recover(appId, endpointId, { since: new Date(Date.now() - HOUR) });
    expect(started).toMatchObject({ status: BackgroundTaskStatus.Running, task: BackgroundTaskType.EndpointRecover });
    expect(started.id).toMatch(/^qtask_[0-9A-Za-z]{27}$/);
    const running = await svix.backgroundTask.get(started.id);
    expect(running).toMatchObject({ id: started.id, status: 'running', task: 'endpoint.recover', data: {} });

    expect(await runner.runDue()).toBe(1);
    const finished = await svix.backgroundTask.get(started.id);
    expect(finished).toMatchObject({ status: 'finished', task: 'endpoint.recover', data: { messagesSent: 3 } });
    expect(finished.updatedAt.getTime()).toBeGreaterThanOrEqual(running.updatedAt.getTime());
    const deliveries = await prisma.delivery.findMany({ where: { messageId: { in: msgs } } });
    expect(deliveries.map((d) => [d.status, d.triggerType])).toEqual([
      ['pending', 1],
      ['pending', 1],
      ['pending', 1],
    ]);
    // Running the queue again does nothing: the task is finished.
    expect(await runner.runDue()).toBe(0);

    // Two more tasks, so the list has pages: one running, one finished.
    const second = await svix.endpoint.recover(appId, endpointId, { since: new Date(Date.now() - HOUR) });
    await runner.runDue();
    const third = await svix.message.expungeAllContents(await createApp('list filler'));
    const all = await svix.backgroundTask.list({ limit: 250 });
    expect(all.data.map((t) => t.id)).toEqual([third.id, second.id, started.id]);
    expect((await svix.backgroundTask.list({ status: BackgroundTaskStatus.Running })).data.map((t) => t.id)).toEqual([third.id]);
    expect((await svix.backgroundTask.list({ task: BackgroundTaskType.EndpointRecover })).data.map((t) => t.id)).toEqual([second.id, started.id]);
    expect((await svix.backgroundTask.list({ task: BackgroundTaskType.SdkGenerate })).data).toEqual([]);

    const page1 = await svix.backgroundTask.list({ limit: 2 });
    expect(page1.data.map((t) => t.id)).toEqual([third.id, second.id]);
    expect(page1.done).toBe(false);
    const page2 = await svix.backgroundTask.list({ limit: 2, iterator: page1.iterator });
    expect(page2.data.map((t) => t.id)).toEqual([started.id]);
    expect(page2.done).toBe(true);
    const back = await svix.backgroundTask.list({ limit: 2, iterator: page2.prevIterator });
    expect(back.data.map((t) => t.id)).toEqual([third.id, second.id]);
    const ascending = await svix.backgroundTask.list({ limit: 250, order: Ordering.Ascending });
    expect(ascending.data.map((t) => t.id)).toEqual([started.id, second.id, third.id]);
    await runner.runDue();
  });

  it("replay-missing sends an endpoint the messages it matches but never got (created before it, or while it was disabled), once", async () => {
    const appId = await createApp('replay missing');
    const before = [
      await send(appId, { eventType: 'invoice.paid', channels: ['eu'] }),
      await send(appId, { eventType: 'invoice.paid', channels: ['us'] }), // wrong channel
      await send(appId, { eventType: 'user.created', channels: ['eu'] }), // wrong event type
      await send(appId, { eventType: 'invoice.paid', channels: ['eu', 'us'] }),
    ];
    const endpointId = await createEndpoint(appId, { filterTypes: ['invoice.paid'], channels: ['eu'] });
    const delivered = await send(appId, { eventType: 'invoice.paid', channels: ['eu'] }); // already has its delivery
    await svix.endpoint.patch(appId, endpointId, { disabled: true });
    const whileDisabled = await send(appId, { eventType: 'invoice.paid', channels: ['eu'] }); // a 'skipped' delivery
    await svix.endpoint.patch(appId, endpointId, { disabled: false });
    const expunged = await send(appId, { eventType: 'invoice.paid', channels: ['eu'] });
    await api.call('DELETE', `/api/v1/app/${appId}/msg/${expunged}/content`, { token: tenant.apiKey });
    await prisma.delivery.deleteMany({ where: { messageId: expunged } });
    const deliveredBefore = await prisma.delivery.findFirstOrThrow({ where: { messageId: delivered, endpointId } });

    const started = await svix.endpoint.replayMissing(appId, endpointId, { since: new Date(Date.now() - HOUR) });
    expect(started).toMatchObject({ status: 'running', task: 'endpoint.replay' });
    await runner.runDue();
    expect(await svix.backgroundTask.get(started.id)).toMatchObject({ status: 'finished', data: { messagesSent: 3 } });

    const rows = await prisma.delivery.findMany({ where: { endpointId }, orderBy: { messageId: 'asc' } });
    const byMessage = new Map(rows.map((d) => [d.messageId, d]));
    for (const id of [before[0]!, before[3]!, whileDisabled]) expect(byMessage.get(id), id).toMatchObject({ status: 'pending', triggerType: 1 });
    for (const id of [before[1]!, before[2]!, expunged]) expect(byMessage.has(id), id).toBe(false);
    // The delivery that existed is untouched.
    expect(byMessage.get(delivered)).toMatchObject({ status: deliveredBefore.status, triggerType: 0, updatedAt: deliveredBefore.updatedAt });

    // Replaying again finds nothing missing.
    const again = await svix.endpoint.replayMissing(appId, endpointId, { since: new Date(Date.now() - HOUR) });
    await runner.runDue();
    expect(await svix.backgroundTask.get(again.id)).toMatchObject({ status: 'finished', data: { messagesSent: 0 } });
    expect(await prisma.delivery.count({ where: { endpointId } })).toBe(rows.length);
  });

  it("bulk-replay sends again the endpoint's deliveries that match the client's filters, marked manual", async () => {
    const appId = await createApp('bulk replay');
    const endpointId = await createEndpoint(appId, {});
    const m = {
      okPaid: await send(appId, { eventType: 'invoice.paid', channels: ['eu'], tags: ['t1'] }),
      failedPaid: await send(appId, { eventType: 'invoice.paid', channels: ['eu'], tags: ['t1'] }),
      okOther: await send(appId, { eventType: 'user.created', channels: ['eu'], tags: ['t1'] }),
      okUs: await send(appId, { eventType: 'invoice.paid', channels: ['us'], tags: ['t1'] }),
      okUntagged: await send(appId, { eventType: 'invoice.paid', channels: ['eu'] }),
      stillPending: await send(appId, { eventType: 'invoice.paid', channels: ['eu'], tags: ['t1'] }),
    };
    const deliveries = await prisma.delivery.findMany({ where: { endpointId } });
    const dlv = (msg: string) => deliveries.find((d) => d.messageId === msg)!;
    for (const key of ['okPaid', 'okOther', 'okUs', 'okUntagged'] as const) {
      await prisma.delivery.update({ where: { id: dlv(m[key]).id }, data: { status: 'success', nextAttemptAt: null, attemptCount: 1 } });
    }
    await prisma.delivery.update({ where: { id: dlv(m.failedPaid).id }, data: { status: 'failed', nextAttemptAt: null, attemptCount: 3 } });
    // Last attempts: 200 for the delivered ones, 500 for the failed one.
    for (const [msg, status, code] of [
      [m.okPaid, 0, 200],
      [m.failedPaid, 2, 500],
    ] as const) {
      await prisma.attempt.create({
        data: { id: newId('atmpt'), tenantId: tenant.tenantId, appId, messageId: msg, endpointId, deliveryId: dlv(msg).id, url: 'https://receiver.example.com/hook', status, responseStatus: code, durationMs: 5, triggerType: 0 },
      });
    }
    const replay = async (filters: Partial<Parameters<Svix['endpoint']['bulkReplay']>[2]>): Promise<string[]> => {
      await prisma.delivery.updateMany({ where: { endpointId, triggerType: 1 }, data: { status: 'success', triggerType: 0, nextAttemptAt: null } });
      const started = await svix.endpoint.bulkReplay(appId, endpointId, { since: new Date(Date.now() - HOUR), ...filters });
      expect(started).toMatchObject({ status: 'running', task: 'endpoint.bulk-replay' });
      await runner.runDue();
      const done = (await svix.backgroundTask.get(started.id)) as unknown as TaskOut;
      const replayed = await prisma.delivery.findMany({ where: { endpointId, triggerType: 1, status: 'pending' } });
      expect(done).toMatchObject({ status: 'finished', data: { messagesSent: replayed.length } });
      return replayed.map((d) => d.messageId).sort();
    };
    const sorted = (...ids: string[]): string[] => [...ids].sort();

    expect(await replay({ status: MessageStatus.Fail })).toEqual([m.failedPaid]);
    // The failed delivery was put back to 'success' by `replay` for the next rounds.
    expect(await replay({ eventTypes: ['invoice.paid'], channel: 'eu', tag: 't1' })).toEqual(sorted(m.okPaid, m.failedPaid));
    expect(await replay({ statusCodeClass: StatusCodeClass.Code5xx })).toEqual([m.failedPaid]);
    expect(await replay({ statusCodeClass: StatusCodeClass.Code2xx })).toEqual([m.okPaid]);
    // No filter: every delivery not already pending.
    expect(await replay({})).toEqual(sorted(m.okPaid, m.failedPaid, m.okOther, m.okUs, m.okUntagged));
    expect(await prisma.delivery.findUniqueOrThrow({ where: { id: dlv(m.stillPending).id } })).toMatchObject({ status: 'pending', triggerType: 0 });
  });

  it('expunge-all-contents erases every payload of the application, not of its siblings, and is audited', async () => {
    const appId = await createApp('expunge all');
    const sibling = await createApp('expunge sibling');
    const msgs = await Promise.all([1, 2, 3, 4, 5].map((n) => send(appId, { eventType: 'e.x', payload: { n } })));
    const kept = await send(sibling, { eventType: 'e.x' });

    // Raw HTTP, as the client sends it: no body.
    const res = await api.call<TaskOut>('POST', `/api/v1/app/${appId}/msg/expunge-all-contents`, { token: tenant.apiKey });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ status: 'running', task: 'application.purge_content' });
    expect(await prisma.message.count({ where: { id: { in: msgs }, payloadEnc: null } })).toBe(0);
    expect(await runner.runDue()).toBe(1);

    const done = await api.call<TaskOut>('GET', `/api/v1/background-task/${res.body.id}`, { token: tenant.apiKey });
    expect(done.body).toMatchObject({ id: res.body.id, status: 'finished', task: 'application.purge_content', data: { messagesPurged: 5 } });
    expect(await prisma.message.count({ where: { id: { in: msgs }, payloadEnc: null } })).toBe(5);
    expect((await prisma.message.findUniqueOrThrow({ where: { id: kept } })).payloadEnc).not.toBeNull();
    expect((await svix.message.get(appId, msgs[0]!)).payload).toEqual({ expired: true });
    const audit = await prisma.auditLogEntry.findMany({ where: { tenantId: tenant.tenantId, targetId: appId }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => [a.action, a.actorType])).toEqual(
      expect.arrayContaining([
        ['application.contents.expunge.requested', 'api_key'],
        ['application.contents.expunged', 'system'],
      ]),
    );
  });

  it('refuses bad input with a 4xx and changes nothing', async () => {
    const appId = await createApp('bad input');
    const endpointId = await createEndpoint(appId, {});
    await send(appId, { eventType: 'a.b' });
    const disabled = await createEndpoint(appId, { disabled: true });
    const before = await state();
    const post = (path: string, body?: unknown) => api.call(`POST`, `/api/v1/app/${appId}${path}`, { token: tenant.apiKey, body });
    const since = new Date(Date.now() - HOUR).toISOString();
    const cases: [string, unknown, number][] = [
      [`/endpoint/${endpointId}/replay-missing`, {}, 422],
      [`/endpoint/${endpointId}/replay-missing`, { since: 'yesterday' }, 422],
      [`/endpoint/${endpointId}/replay-missing`, { since, until: new Date(Date.now() - 2 * HOUR).toISOString() }, 422],
      [`/endpoint/${endpointId}/bulk-replay`, { since, status: 7 }, 422],
      [`/endpoint/${endpointId}/bulk-replay`, { since, statusCodeClass: 250 }, 422],
      [`/endpoint/${endpointId}/bulk-replay`, { since, eventTypes: 'a.b' }, 422],
      [`/endpoint/${endpointId}/bulk-replay`, { since, channel: 'bad channel!' }, 422],
      [`/endpoint/${endpointId}/recover`, { since: new Date(Date.now() - 15 * 24 * HOUR).toISOString() }, 422],
      [`/endpoint/${disabled}/replay-missing`, { since }, 409],
      [`/endpoint/${disabled}/bulk-replay`, { since }, 409],
      [`/endpoint/ep_missing/bulk-replay`, { since }, 404],
    ];
    for (const [path, body, status] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}: ${res.text}`).toBe(status);
      expect(res.body, path).toHaveProperty(status === 422 ? 'detail' : 'code');
    }
    expect((await api.call('POST', `/api/v1/app/app_missing/msg/expunge-all-contents`, { token: tenant.apiKey })).status).toBe(404);
    const get = (path: string) => api.call('GET', path, { token: tenant.apiKey });
    expect((await get('/api/v1/background-task/qtask_missing')).status).toBe(404);
    expect((await get('/api/v1/background-task?status=done')).status).toBe(422);
    expect((await get('/api/v1/background-task?task=endpoint.explode')).status).toBe(422);
    expect((await get('/api/v1/background-task?iterator=msg_2Z9y1x0wVvUuTtSsRrQqPpOoNnM')).status).toBe(422);
    expect(await state()).toEqual(before);
  });

  it('documents every task route in the OpenAPI document', async () => {
    const doc = await api.call<{ paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> }>('GET', '/api/v1/openapi.json');
    for (const [path, method, status] of [
      ['/api/v1/background-task', 'get', '200'],
      ['/api/v1/background-task/{task_id}', 'get', '200'],
      ['/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover', 'post', '202'],
      ['/api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing', 'post', '202'],
      ['/api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-replay', 'post', '202'],
      ['/api/v1/app/{app_id}/msg/expunge-all-contents', 'post', '202'],
    ] as const) {
      expect(doc.body.paths[path]?.[method]?.responses, `${method} ${path}`).toHaveProperty(status);
    }
  });

  it('walks deliveries created in the same millisecond across step boundaries without missing or repeating one', async () => {
    const appId = await createApp('same millisecond');
    const endpointId = await createEndpoint(appId, {});
    for (let i = 0; i < 5; i++) await send(appId, { eventType: 'a.b' });
    // Steps of 2 (HERALD_TASK_BATCH_SIZE) over 5 deliveries that all share one created_at.
    const at = new Date(Date.now() - 60_000);
    await prisma.delivery.updateMany({ where: { endpointId }, data: { status: 'failed', nextAttemptAt: null, createdAt: at } });
    const task = await svix.endpoint.recover(appId, endpointId, { since: at });
    expect(await runner.runOne(task.id)).toBe(true);
    expect(await svix.backgroundTask.get(task.id)).toMatchObject({ status: 'finished', data: { messagesSent: 5 } });
    expect(await prisma.delivery.count({ where: { endpointId, status: 'pending', triggerType: 1 } })).toBe(5);
  });

  it('runs each task on one worker at a time: concurrent workers take different tasks, a held task waits for its lease', async () => {
    const appId = await createApp('two workers');
    const endpoints = [await createEndpoint(appId, {}), await createEndpoint(appId, {}), await createEndpoint(appId, {})];
    for (let i = 0; i < 5; i++) await send(appId, { eventType: 'a.b' });
    await prisma.delivery.updateMany({ where: { appId }, data: { status: 'failed', nextAttemptAt: null } });
    const tasks = await Promise.all(endpoints.map((ep) => svix.endpoint.recover(appId, ep, { since: new Date(Date.now() - HOUR) })));
    // A second worker, as another retention process would be (its own lease owner).
    const second = new BackgroundTaskRunner(api.app.get(OperatorDb), api.app.get(BackgroundTaskRepository), api.app.get(DeliveryWakeups), api.app.get<HeraldConfig>(HERALD_CONFIG), api.app.get(OperationalEvents));
    expect(second.owner).not.toBe(runner.owner);
    const [a, b] = await Promise.all([runner.runDue(), second.runDue()]);
    expect(a + b).toBe(3);
    for (const t of tasks) expect(await svix.backgroundTask.get(t.id)).toMatchObject({ status: 'finished', data: { messagesSent: 5 } });
    expect(await prisma.delivery.count({ where: { appId, status: 'pending', triggerType: 1 } })).toBe(15);

    // A worker stopping (SIGTERM) between steps hands its task back: another resumes it at once, after the last step.
    await prisma.delivery.updateMany({ where: { appId }, data: { status: 'failed', nextAttemptAt: null } });
    const stopped = await svix.endpoint.recover(appId, endpoints[0]!, { since: new Date(Date.now() - HOUR) });
    const config = api.app.get<HeraldConfig>(HERALD_CONFIG);
    const slow = new BackgroundTaskRunner(api.app.get(OperatorDb), api.app.get(BackgroundTaskRepository), api.app.get(DeliveryWakeups), {
      ...config,
      tasks: { ...config.tasks, batchPauseMs: 300 },
    }, api.app.get(OperationalEvents));
    const shutdown = new AbortController();
    const running = slow.runDue(shutdown.signal);
    await new Promise((r) => setTimeout(r, 150));
    shutdown.abort();
    await running;
    const handedBack = await prisma.backgroundTask.findUniqueOrThrow({ where: { id: stopped.id } });
    expect(handedBack).toMatchObject({ status: 'running', leaseOwner: null, leaseUntil: null, data: { messagesSent: 2 } });
    expect(await runner.runOne(stopped.id)).toBe(true);
    expect(await svix.backgroundTask.get(stopped.id)).toMatchObject({ status: 'finished', data: { messagesSent: 5 } });

    // A task held by a worker that stopped committing (crashed) is left alone until its lease runs out.
    await prisma.delivery.updateMany({ where: { appId }, data: { status: 'failed', nextAttemptAt: null } });
    const held = await svix.endpoint.recover(appId, endpoints[0]!, { since: new Date(Date.now() - HOUR) });
    const claimed = await api.app.get(BackgroundTaskRepository).claim('crashed-worker', 1);
    expect(claimed?.id).toBe(held.id);
    expect(await runner.runDue()).toBe(0);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await runner.runDue()).toBe(1);
    expect(await svix.backgroundTask.get(held.id)).toMatchObject({ status: 'finished', data: { messagesSent: 5 } });
  });

  it('answers a repeated Idempotency-Key with the same task, and ends a task whose steps keep failing as failed', async () => {
    const appId = await createApp('idempotent');
    const endpointId = await createEndpoint(appId, {});
    const since = new Date(Date.now() - HOUR);
    const first = await svix.endpoint.bulkReplay(appId, endpointId, { since }, { idempotencyKey: 'bulk-once' });
    const again = await svix.endpoint.bulkReplay(appId, endpointId, { since }, { idempotencyKey: 'bulk-once' });
    expect(again.id).toBe(first.id);
    expect(await prisma.backgroundTask.count({ where: { tenantId: tenant.tenantId, task: 'endpoint.bulk-replay', params: { path: ['endpointId'], equals: endpointId } } })).toBe(1);
    await runner.runOne(first.id);

    // A task whose step throws (here: params no step can use) is retried later, then given up.
    const broken = await prisma.backgroundTask.create({
      data: { id: newId('qtask'), tenantId: tenant.tenantId, task: 'endpoint.recover', params: { appId, endpointId, since: 'not a time', until: 'not a time' } },
    });
    expect(await runner.runOne(broken.id)).toBe(true);
    const retried = await prisma.backgroundTask.findUniqueOrThrow({ where: { id: broken.id } });
    expect(retried).toMatchObject({ status: 'running', failures: 1, leaseOwner: null });
    expect(retried.leaseUntil!.getTime()).toBeGreaterThan(Date.now());
    // Not before its retry time…
    expect(await runner.runOne(broken.id)).toBe(false);
    // …and after the fifth failure, for good.
    await prisma.backgroundTask.update({ where: { id: broken.id }, data: { failures: 4, leaseUntil: new Date(Date.now() - 1_000) } });
    expect(await runner.runOne(broken.id)).toBe(true);
    const failed = await svix.backgroundTask.get(broken.id);
    expect(failed).toMatchObject({ status: 'failed', task: 'endpoint.recover', data: { error: expect.stringContaining('failed') } });
    expect(JSON.stringify(failed.data)).not.toContain('not a time');
  });

  it("tells the tenant's operational endpoints when a task ends, finished or failed (background_task.finished)", async () => {
    // A tenant of its own: its operational events are messages, and other tests count messages.
    const opsTenant = await api.createTenant('tasks ops');
    const ops = new Svix(opsTenant.apiKey, { serverUrl: api.url });
    await ops.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/tasks', filterTypes: ['background_task.finished'] });
    const app = await ops.application.create({ name: 'ops tasks' });
    const endpoint = await ops.endpoint.create(app.id, { url: 'https://receiver.example.com/ops' });
    const task = await ops.endpoint.recover(app.id, endpoint.id, { since: new Date(Date.now() - HOUR) });
    expect(await runner.runOne(task.id)).toBe(true);
    const broken = await prisma.backgroundTask.create({
      data: { id: newId('qtask'), tenantId: opsTenant.tenantId, task: 'endpoint.recover', params: { appId: app.id, endpointId: endpoint.id, since: 'not a time', until: 'not a time' }, failures: 4 },
    });
    expect(await runner.runOne(broken.id)).toBe(true);

    const keys = api.app.get(TenantKeysService);
    const events = await prisma.message.findMany({ where: { tenantId: opsTenant.tenantId, eventType: 'background_task.finished' }, orderBy: { id: 'asc' } });
    const bodies = await Promise.all(events.map(async (m) => JSON.parse(await keys.decryptString(api.app.get(OperatorDb).scopeFor(opsTenant.tenantId), m.payloadEnc!)) as { type: string; data: Record<string, unknown> }));
    expect(bodies).toEqual([
      { type: 'background_task.finished', timestamp: expect.any(String), data: { taskId: task.id, task: 'endpoint.recover', status: 'finished', data: { messagesSent: 0 } } },
      { type: 'background_task.finished', timestamp: expect.any(String), data: { taskId: broken.id, task: 'endpoint.recover', status: 'failed', data: { error: expect.any(String) } } },
    ]);
    // Each is a delivery to the operational endpoint, due now.
    expect(await prisma.delivery.count({ where: { messageId: { in: events.map((m) => m.id) }, status: 'pending' } })).toBe(2);
  });

  it("keeps each tenant's tasks to itself", async () => {
    const appId = await createApp('isolation a');
    const endpointId = await createEndpoint(appId, {});
    const mine = await svix.endpoint.replayMissing(appId, endpointId, { since: new Date(Date.now() - HOUR) });
    const otherSvix = new Svix(other.apiKey, { serverUrl: api.url });
    const otherBefore = await state(other.tenantId);
    await expect(otherSvix.backgroundTask.get(mine.id)).rejects.toMatchObject({ code: 404 });
    expect((await otherSvix.backgroundTask.list({ limit: 250 })).data.map((t) => t.id)).not.toContain(mine.id);
    // Another tenant's application and endpoint are not found, and no task is created.
    await expect(otherSvix.endpoint.replayMissing(appId, endpointId, { since: new Date(Date.now() - HOUR) })).rejects.toMatchObject({ code: 404 });
    await expect(otherSvix.endpoint.bulkReplay(appId, endpointId, { since: new Date(Date.now() - HOUR) })).rejects.toMatchObject({ code: 404 });
    await expect(otherSvix.message.expungeAllContents(appId)).rejects.toMatchObject({ code: 404 });
    expect(await state(other.tenantId)).toEqual(otherBefore);
    await runner.runDue();
  });
});
