import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Svix, type BackgroundTaskOut } from 'svix';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  assertBuilt,
  createTestDatabase,
  dropTestDatabase,
  fleetEnv,
  freePort,
  heraldHttp,
  provisionFleetTenant,
  startHeraldProcess,
  startWebhookReceiver,
  waitUntilReady,
  type HeraldProcess,
  type WebhookReceiver,
} from '@herald/testing';

const MESSAGES = 40;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A background task survives the death of the process that runs it. The built API, dispatcher
 * and retention worker (which runs tasks) on a database of their own; a bulk replay of 40
 * delivered messages runs 2 per step with a pause, the retention worker is SIGKILLed midway and
 * started again: the task resumes after its last committed step and finishes, and every
 * message reaches the receiver exactly twice — its first delivery and one replay, marked manual.
 */
describe('a background task killed mid-run', () => {
  let db: { url: string; name: string };
  let receiver: WebhookReceiver;
  const procs: HeraldProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase();
    receiver = await startWebhookReceiver();
    env = {
      ...fleetEnv({ databaseUrl: db.url, redis: { REDIS_URL: 'redis://127.0.0.1:6379' }, prefix: `${inject('queuePrefix')}-task-restart-${randomBytes(3).toString('hex')}` }),
      HERALD_TASK_POLL_MS: '100',
      HERALD_TASK_LEASE_SECONDS: '2',
      HERALD_TASK_BATCH_SIZE: '2',
      HERALD_TASK_BATCH_PAUSE_MS: '200',
    };
  });

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await receiver?.close();
    if (db) await dropTestDatabase(db.name);
  });

  it('finishes after a restart without replaying anything twice', async () => {
    const port = await freePort();
    const api = startHeraldProcess('api', { ...env, PORT: String(port) });
    const dispatcher = startHeraldProcess('dispatcher', env);
    let retention = startHeraldProcess('retention', env);
    procs.push(api, dispatcher, retention);
    const http = heraldHttp(port);
    const outputs = (): string => procs.map((p) => `--- ${p.app} ---\n${p.output()}`).join('\n');
    await waitUntilReady(http, { dispatcher: 1, retention: 1 }, 30_000, outputs);

    const tenant = await provisionFleetTenant(http, [receiver], 'restart');
    const endpointPath = tenant.endpoints[0]!.path;
    const svix = new Svix(tenant.key, { serverUrl: http.base });
    const endpoints = await svix.endpoint.list(tenant.appId);
    const endpointId = endpoints.data[0]!.id;
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) ids.push((await svix.message.create(tenant.appId, { eventType: 'restart.test', payload: { i } })).id);
    const arrivals = (id: string): number => receiver.requests.filter((q) => q.path === endpointPath && q.headers['webhook-id'] === id).length;
    await receiver.waitFor(() => ids.every((id) => arrivals(id) >= 1), 30_000);

    const started = await svix.endpoint.bulkReplay(tenant.appId, endpointId, { since: new Date(Date.now() - 3_600_000) });
    expect(started.status).toBe('running');
    // Wait until some steps committed, then kill the worker in the middle of the run.
    const sent = (t: BackgroundTaskOut): number => (t.data as { messagesSent?: number }).messagesSent ?? 0;
    let task = await svix.backgroundTask.get(started.id);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && sent(task) < 10; await sleep(50)) {
      task = await svix.backgroundTask.get(started.id);
    }
    retention.child.kill('SIGKILL');
    await retention.exited;
    const atKill = await svix.backgroundTask.get(started.id);
    const sentAtKill = sent(atKill);
    expect(atKill.status, outputs()).toBe('running');
    expect(sentAtKill).toBeGreaterThanOrEqual(10);
    expect(sentAtKill).toBeLessThan(MESSAGES);
    // The dead worker's lease is still in the row: nobody else may run the task until it runs out.
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ lease_owner: string | null; cursor: string }>('SELECT lease_owner, cursor FROM background_tasks WHERE id = $1', [started.id]);
      expect(rows[0]!.lease_owner).toContain(`:${retention.child.pid}:`);
      // The cursor: the (created_at, id) of the last delivery a committed step looked at.
      expect(rows[0]!.cursor).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\|dlv_[0-9A-Za-z]{27}$/);
    } finally {
      await pg.end();
    }

    retention = startHeraldProcess('retention', env);
    procs.push(retention);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && task.status === 'running'; await sleep(200)) {
      task = await svix.backgroundTask.get(started.id);
    }
    expect(task, outputs()).toMatchObject({ status: 'finished', task: 'endpoint.bulk-replay', data: { messagesSent: MESSAGES } });

    // Every message arrives exactly twice: once sent, once replayed — none replayed twice.
    await receiver.waitFor(() => ids.every((id) => arrivals(id) >= 2), 30_000);
    await sleep(1_500);
    expect(ids.map(arrivals)).toEqual(ids.map(() => 2));
    // The replays are recorded as manual attempts (Svix trigger type 1).
    const attempts = await svix.messageAttempt.listByEndpoint(tenant.appId, endpointId, { limit: 250 });
    const manual = attempts.data.filter((a) => a.triggerType === 1);
    expect(manual.length).toBe(MESSAGES);
    expect(new Set(manual.map((a) => a.msgId))).toEqual(new Set(ids));
    expect(attempts.data.filter((a) => a.triggerType === 0).length).toBe(MESSAGES);
  }, 120_000);
});
