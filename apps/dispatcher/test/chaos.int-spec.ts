import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '@herald/db';
import {
  freePort,
  startPrivatePostgres,
  startPrivateRedis,
  startWebhookReceiver,
  TEST_ADMIN_TOKEN,
  TEST_MASTER_KEYS,
  type PrivatePostgres,
  type PrivateRedis,
  type WebhookReceiver,
} from '@herald/testing';

const DIST = join(__dirname, '..', '..', '..', 'dist', 'apps');
const entry = (app: string): string => join(DIST, app, 'src', 'main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

function start(app: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [entry(app)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-30_000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-30_000)));
  return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/**
 * Chaos against the built processes and a PostgreSQL and Redis of this test's own: while a
 * producer sends through the API, Redis is SIGKILLed and restarted empty, the dispatcher is
 * SIGKILLed and restarted, PostgreSQL is restarted with `pg_ctl -m immediate`, and one of
 * three receivers hangs for 30 s. Every accepted message must reach every endpoint with a
 * valid signature; duplicates are counted (≤ 5 %); the API is ready again within 60 s of the
 * last fault.
 */
describe('chaos: Redis, the dispatcher and PostgreSQL killed mid-load, a receiver hanging', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  const receivers: WebhookReceiver[] = [];
  const procs: Proc[] = [];
  let hangUntil = 0;

  beforeAll(async () => {
    for (const app of ['api', 'dispatcher']) if (!existsSync(entry(app))) throw new Error(`${entry(app)} is missing: run \`npm run build\` first (npm test does)`);
    [pg, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    await pg.createDatabase('herald');
    await runMigrations(pg.url('herald'));
    receivers.push(await startWebhookReceiver(), await startWebhookReceiver());
    receivers.push(
      await startWebhookReceiver({
        handler: async () => {
          // "Hangs": accepts and answers nothing until the window ends (long after the dispatcher's timeout).
          const wait = hangUntil - Date.now();
          if (wait > 0) await sleep(wait);
          return { status: 200 };
        },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(receivers.map((r) => r.close()));
    await redis?.stop();
    await pg?.stop();
  });

  it('delivers every accepted message to every endpoint, signed, with few duplicates, and is ready again within 60 s', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      NODE_ENV: 'test',
      TZ: 'UTC',
      PORT: String(port),
      DATABASE_URL: pg.url('herald'),
      REDIS_URL: redis.url,
      HERALD_QUEUE_PREFIX: 'chaos',
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
      HERALD_ENDPOINT_HTTPS_ONLY: 'false',
      HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
      HERALD_DELIVERY_TIMEOUT_MS: '5000',
      HERALD_RETRY_SCHEDULE: '1,2,4,8,15,15,15,15,15,15,15,15,15,15',
      HERALD_CIRCUIT_PROBE_MIN_SECONDS: '1',
      HERALD_CIRCUIT_PROBE_MAX_SECONDS: '5',
      HERALD_OUTBOX_SWEEP_SECONDS: '2',
      HERALD_DISPATCHER_METRICS_PORT: '0',
      HERALD_LOG_LEVEL: 'warn',
    };
    const api = start('api', env);
    let dispatcher = start('dispatcher', env);
    procs.push(api, dispatcher);
    const base = `http://127.0.0.1:${port}`;
    const call = async <T>(method: 'GET' | 'POST', path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> => {
      const res = await request(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
    };
    /** Ready: PostgreSQL and Redis reachable from the API and a dispatcher alive. */
    const ready = async (): Promise<boolean> => {
      try {
        for (const path of ['/api/v1/health/ready', '/api/v1/health']) {
          const res = await call<{ workers?: { dispatcher?: number } }>('GET', path, '');
          if (res.status === 404) continue;
          return res.status === 200 && (res.body.workers?.dispatcher ?? 0) > 0;
        }
        return false;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 60_000;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`not ready:\n${api.output()}\n${dispatcher.output()}`);
      await sleep(200);
    }

    const tenant = await call<{ apiKey: { key: string } }>('POST', '/api/v1/admin/tenants', TEST_ADMIN_TOKEN, { name: 'chaos' });
    const key = tenant.body.apiKey.key;
    const app = await call<{ id: string }>('POST', '/api/v1/app', key, { name: 'chaos' });
    const secrets = new Map<string, string>();
    for (const [i, r] of receivers.entries()) {
      const ep = await call<{ id: string }>('POST', `/api/v1/app/${app.body.id}/endpoint`, key, { url: `${r.url}/ep${i}` });
      expect(ep.status).toBe(201);
      secrets.set(`/ep${i}`, (await call<{ key: string }>('GET', `/api/v1/app/${app.body.id}/endpoint/${ep.body.id}/secret`, key)).body.key);
    }

    // The producer: ~25 messages/s for 50 s; each message retried with its Idempotency-Key
    // through whatever the faults do, until accepted (202) or 60 s pass.
    const accepted = new Set<string>();
    const refusals = new Map<number, number>();
    let sent = 0;
    const produce = async (): Promise<void> => {
      const until = Date.now() + 50_000;
      while (Date.now() < until) {
        const seq = sent++;
        const idempotencyKey = `chaos-${seq}`;
        const giveUp = Date.now() + 60_000;
        for (let tries = 0; Date.now() < giveUp; tries++) {
          try {
            const res = await call<{ id: string }>('POST', `/api/v1/app/${app.body.id}/msg`, key, { eventType: 'chaos.test', payload: { seq } }, { 'idempotency-key': idempotencyKey });
            if (res.status === 202) {
              accepted.add(res.body.id);
              break;
            }
            refusals.set(res.status, (refusals.get(res.status) ?? 0) + 1);
          } catch {
            refusals.set(0, (refusals.get(0) ?? 0) + 1);
          }
          await sleep(Math.min(2_000, 100 * 2 ** tries));
        }
        await sleep(40);
      }
    };
    const producers = Promise.all([produce(), produce()]);

    // The faults, one after another, while the producer runs.
    await sleep(6_000);
    await redis.kill();
    await sleep(2_000);
    await redis.start();
    await sleep(6_000);
    dispatcher.child.kill('SIGKILL');
    await dispatcher.exited;
    await sleep(2_000);
    dispatcher = start('dispatcher', env);
    procs.push(dispatcher);
    await sleep(6_000);
    await pg.restartImmediate();
    await sleep(2_000);
    hangUntil = Date.now() + 30_000;
    await sleep(30_000);
    const lastFault = Date.now();

    let readyAgain = Number.NaN;
    while (Date.now() - lastFault < 60_000) {
      if (await ready()) {
        readyAgain = Date.now() - lastFault;
        break;
      }
      await sleep(250);
    }
    await producers;

    // Every accepted message at every endpoint.
    const arrivedAll = (): boolean => receivers.every((r, i) => {
      const seen = new Set(r.requests.filter((q) => q.path === `/ep${i}`).map((q) => q.headers['webhook-id'] as string));
      return [...accepted].every((id) => seen.has(id));
    });
    const waitUntil = Date.now() + 90_000;
    while (!arrivedAll() && Date.now() < waitUntil) await sleep(500);
    const missing = receivers.map((r) => {
      const seen = new Set(r.requests.map((q) => q.headers['webhook-id'] as string));
      return [...accepted].filter((id) => !seen.has(id)).length;
    });

    let requests = 0;
    let unique = 0;
    for (const [i, r] of receivers.entries()) {
      const verifier = new Webhook(secrets.get(`/ep${i}`)!);
      const mine = r.requests.filter((q) => accepted.has(q.headers['webhook-id'] as string));
      requests += mine.length;
      unique += new Set(mine.map((q) => q.headers['webhook-id'])).size;
      // Every request is signed with the endpoint's secret over the exact bytes received.
      for (const q of mine) expect(() => verifier.verify(q.body, q.headers as Record<string, string>)).not.toThrow();
    }
    const duplicates = requests - unique;
    console.log(
      `chaos: ${sent} messages sent, ${accepted.size} accepted (refusals by status: ${JSON.stringify(Object.fromEntries(refusals))}); ` +
        `${unique} deliveries, ${requests} requests, ${duplicates} duplicates (${((100 * duplicates) / Math.max(1, unique)).toFixed(2)} %); ` +
        `missing per endpoint ${JSON.stringify(missing)}; ready ${readyAgain} ms after the last fault`,
    );
    const state = (name: string, p: Proc): string => `${name} (exit ${String(p.child.exitCode)}, signal ${String(p.child.signalCode)}):\n${p.output()}`;
    const outputs = `${state('api', api)}\n${state('dispatcher', dispatcher)}`;
    // Every message gets through the faults: a request that failed releases its Idempotency-Key
    // (or its lease lapses within seconds), so the producer's retries always end in a 202.
    expect(accepted.size, outputs).toBe(sent);
    expect(missing, outputs).toEqual([0, 0, 0]);
    expect(unique).toBe(3 * accepted.size);
    expect(duplicates / unique).toBeLessThanOrEqual(0.05);
    expect(readyAgain, outputs).toBeLessThan(60_000);
  }, 300_000);
});
