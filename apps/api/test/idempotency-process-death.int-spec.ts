import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { PrismaService } from '@herald/db';
import { TEST_ADMIN_TOKEN, TEST_MASTER_KEYS } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

// Runs the BUILT API (`npm test` builds before vitest) as the process that dies.
const ROOT = path.resolve(__dirname, '../../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Idempotency-Key when the process holding it dies', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await api.close();
  });

  it('frees the key within seconds of a SIGKILL mid-request, so the retry runs (once) on another API process', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const recordKey = '/api/v1/api-keys\ndeath-1';

    // Hold the tenant's audit-chain lock, so the first request stops inside its handler
    // (key claimed, transaction open) until its process is killed.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const holder = prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('audit:' || ${tenantId}))`;
        locked();
        await released;
      },
      { timeout: 60_000, maxWait: 10_000 },
    );
    await lockHeld;

    const port = await freePort();
    child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/api/src/main.js')], {
      env: {
        PATH: process.env['PATH'],
        NODE_ENV: 'test',
        PORT: String(port),
        DATABASE_URL: inject('databaseUrl'),
        HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-idem-death`,
        HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
        HERALD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child!.on('exit', () => resolve()));
    const bootDeadline = Date.now() + 30_000;
    for (;;) {
      const up = await request(`http://127.0.0.1:${port}/api/v1/health/ping`).then(
        async (res) => {
          await res.body.text();
          return res.statusCode === 204;
        },
        () => false,
      );
      if (up) break;
      if (Date.now() > bootDeadline) throw new Error('the child API did not start within 30 s');
      await sleep(200);
    }

    const body = { name: 'died-mid-request' };
    const doomed = request(`http://127.0.0.1:${port}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': 'death-1' },
      body: JSON.stringify(body),
    }).catch((err: unknown) => err);
    const claimDeadline = Date.now() + 10_000;
    while (!(await prisma.idempotencyRecord.findUnique({ where: { tenantId_key: { tenantId, key: recordKey } } }))) {
      if (Date.now() > claimDeadline) throw new Error('the first request did not claim its key');
      await sleep(50);
    }
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    expect(await doomed).toBeInstanceOf(Error);
    release();
    await holder;

    // The client retries with the same key on another API process: 409 while the dead claim's
    // lease runs out (nobody renews it), then the request runs.
    const statuses: number[] = [];
    let last = await api.call<{ id: string; code?: string }>('POST', '/api/v1/api-keys', { token: apiKey, body, headers: { 'idempotency-key': 'death-1' } });
    statuses.push(last.status);
    while (last.status === 409 && Date.now() - killedAt < 20_000) {
      expect(last.body.code).toBe('idempotency_in_progress');
      await sleep(500);
      last = await api.call<{ id: string; code?: string }>('POST', '/api/v1/api-keys', { token: apiKey, body, headers: { 'idempotency-key': 'death-1' } });
      statuses.push(last.status);
    }
    const freedAfterMs = Date.now() - killedAt;
    expect(last.status).toBe(201);
    expect(last.headers['idempotent-replayed']).toBeUndefined();
    // The lease is 10 s; the key must be free well within "seconds", not minutes.
    expect(freedAfterMs).toBeLessThan(12_000);
    // The dead request's transaction was rolled back: exactly one key exists, and retries replay it.
    expect(await prisma.apiKey.count({ where: { tenantId, name: body.name } })).toBe(1);
    const replay = await api.call<{ id: string }>('POST', '/api/v1/api-keys', { token: apiKey, body, headers: { 'idempotency-key': 'death-1' } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(last.body.id);
    console.info(`idempotency key freed ${freedAfterMs} ms after SIGKILL (statuses ${statuses.join(',')})`);
  }, 90_000);
});
