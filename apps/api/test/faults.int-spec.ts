import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorResponse, RATE_LIMIT_LEASE_MS } from '@herald/api-core';
import { runMigrations } from '@herald/db';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface ErrorOut {
  code: string;
  detail: string;
}

/** The API's log lines (pino JSON), captured from its log destination. */
class LogCapture extends Writable {
  private chunks: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString('utf8'));
    done();
  }
  /** Everything logged since `mark`. */
  since(mark: number): string {
    return this.chunks.slice(mark).join('');
  }
  mark(): number {
    return this.chunks.length;
  }
}

// Issue 15 "honest errors under faults": a dependency down is a 503 the client may retry, not a 500.
describe('honest errors while PostgreSQL or Redis is down', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let api: TestApi;
  let tenant: { tenantId: string; apiKey: string };
  const logs = new LogCapture();

  beforeAll(async () => {
    [pg, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    await pg.createDatabase('herald');
    await runMigrations(pg.url('herald'));
    api = await startTestApi({ DATABASE_URL: pg.url('herald'), REDIS_URL: redis.url, HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-faults` }, { logDestination: logs });
    tenant = await api.createTenant('faults');
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await Promise.all([pg?.stop(), redis?.stop()]);
  }, 60_000);

  const until = async (what: () => Promise<boolean>, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await what()) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return what();
  };

  it('answers 503 with Retry-After in the error shape while PostgreSQL is down, logs the error itself, and recovers', async () => {
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'before' } });
    expect(app.status).toBe(201);
    const mark = logs.mark();
    await pg.stopServer();
    const calls = [
      await api.call<ErrorOut>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'during' } }),
      await api.call<ErrorOut>('GET', '/api/v1/app', { token: tenant.apiKey }),
      await api.call<ErrorOut>('POST', `/api/v1/app/${app.body.id}/msg`, { token: tenant.apiKey, body: { eventType: 'x', payload: {} } }),
      await api.call<ErrorOut>('GET', '/api/v1/admin/tenants', { token: api.adminToken }),
      await api.call<ErrorOut>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'keyed' }, headers: { 'idempotency-key': 'faults-key-1' } }),
    ];
    for (const call of calls) {
      expect(call.status).toBe(503);
      expect(call.headers['retry-after']).toBe('5');
      expect(call.body).toEqual({ code: 'service_unavailable', detail: expect.stringMatching(/^Temporarily unavailable, retry later \(request [0-9a-f-]+\)$/) as string });
    }
    expect((await api.call('GET', '/api/v1/health/ready')).status).toBe(503);
    expect((await api.call('GET', '/api/v1/health')).status).toBe(204);

    const logged = logs.since(mark);
    expect(logged).not.toContain('[object Object]');
    const entries = logged
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { level: number; msg: string; dependency?: string; requestId?: string; err?: { type: string; message: string; code?: string; stack: string } });
    const failures = entries.filter((e) => e.level >= 50 && e.dependency === 'PostgreSQL');
    expect(failures.length).toBeGreaterThanOrEqual(calls.length);
    for (const failure of failures) {
      expect(failure.msg).toMatch(/^PostgreSQL unavailable: .*(Can't reach database server|connect|terminat)/is);
      expect(failure.err?.message).toMatch(/Can't reach database server|connect|terminat/i);
      expect(failure.err?.stack).toContain('\n    at ');
      expect(failure.err?.type).toMatch(/Prisma|Error/);
      expect(failure.requestId).toBeTruthy();
    }
    expect(failures.some((f) => typeof f.err?.code === 'string')).toBe(true);

    await pg.startAgain();
    const recovered = await until(async () => (await api.call('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'after' } })).status === 201, 20_000);
    expect(recovered).toBe(true);
    expect((await api.call('GET', '/api/v1/health/ready')).status).toBe(200);
    // The 503 held no idempotency key: the client's retry with the same key goes through.
    const retried = await api.call<{ name: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'keyed' }, headers: { 'idempotency-key': 'faults-key-1' } });
    expect(retried.status).toBe(201);
    expect(retried.body.name).toBe('keyed');
  }, 90_000);

  it('answers only 2xx or 503 (never 500) to a stream of writes while PostgreSQL crashes and recovers', async () => {
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'restart' } });
    expect(app.status).toBe(201);
    const mark = logs.mark();
    const statuses = new Map<number, number>();
    let stop = false;
    // Two clients sending messages back to back, bounded in time and count.
    const client = async (): Promise<void> => {
      const deadline = Date.now() + 30_000;
      for (let i = 0; i < 2_000 && !stop && Date.now() < deadline; i += 1) {
        const res = await api.call('POST', `/api/v1/app/${app.body.id}/msg`, { token: tenant.apiKey, body: { eventType: 'restart.test', payload: { i } } });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 503) expect(res.headers['retry-after']).toBe('5');
      }
    };
    const clients = [client(), client()];
    await new Promise((r) => setTimeout(r, 300));
    await pg.restartImmediate();
    // Keep sending for a moment after the restart so the recovery is seen too.
    await new Promise((r) => setTimeout(r, 1_000));
    stop = true;
    await Promise.all(clients);
    console.log(`statuses while PostgreSQL crashed and restarted: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()].every((status) => status === 202 || status === 503)).toBe(true);
    expect(statuses.get(202) ?? 0).toBeGreaterThan(0);
    expect(logs.since(mark)).not.toContain('[object Object]');
    expect((await api.call('POST', `/api/v1/app/${app.body.id}/msg`, { token: tenant.apiKey, body: { eventType: 'restart.test', payload: {} } })).status).toBe(202);
  }, 90_000);

  it('keeps accepting writes while Redis is down (rate limits fail open, ADR 0004), says so in readable logs, and recovers', async () => {
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'redis' } });
    expect(app.status).toBe(201);
    const mark = logs.mark();
    await redis.kill();
    // Tokens the key leased before the outage would still serve it (a real check): let them lapse.
    await new Promise((resolve) => setTimeout(resolve, RATE_LIMIT_LEASE_MS + 50));
    const during = await api.call('POST', `/api/v1/app/${app.body.id}/msg`, { token: tenant.apiKey, body: { eventType: 'x', payload: { n: 1 } } });
    expect(during.status).toBe(202);
    expect((await api.call('GET', '/api/v1/health/ready')).status).toBe(503);
    const logged = logs.since(mark);
    expect(logged).not.toContain('[object Object]');
    expect(logged).toMatch(/rate limit not checked, letting requests through \((Redis connection is not ready|Connection is closed|Redis did not answer)/);

    await redis.start();
    const ready = await until(async () => (await api.call('GET', '/api/v1/health/ready')).status === 200, 20_000);
    expect(ready).toBe(true);
    expect((await api.call('POST', `/api/v1/app/${app.body.id}/msg`, { token: tenant.apiKey, body: { eventType: 'x', payload: { n: 2 } } })).status).toBe(202);
  }, 90_000);

  it("maps ioredis's own errors for a Redis that is down to 503 + Retry-After", async () => {
    await redis.kill();
    // What a command meets when Redis is down: retries exhausted, or no offline queue to wait in.
    const retrying = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    const unqueued = new Redis(redis.url, { enableOfflineQueue: false, retryStrategy: () => 50 });
    for (const client of [retrying, unqueued]) client.on('error', () => undefined);
    try {
      const exhausted: unknown = await retrying.get('herald-faults').catch((err: unknown) => err);
      expect((exhausted as Error).name).toBe('MaxRetriesPerRequestError');
      expect(errorResponse(exhausted, 'req-1')).toMatchObject({ status: 503, body: { code: 'service_unavailable' }, headers: { 'retry-after': '5' } });
      const notWritable: unknown = await unqueued.get('herald-faults').catch((err: unknown) => err);
      expect((notWritable as Error).message).toMatch(/enableOfflineQueue/);
      expect(errorResponse(notWritable, 'req-2').status).toBe(503);
      expect(errorResponse(new Error('something else'), 'req-3').status).toBe(500);
    } finally {
      retrying.disconnect();
      unqueued.disconnect();
      await redis.start();
    }
  });
});
