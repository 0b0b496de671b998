import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiMetrics } from '@herald/api-core';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

/**
 * A TCP relay to the real Redis that the test can stall: while paused, commands are held back
 * (in order) so Redis really stops answering; resuming delivers them, keeping the protocol intact.
 */
async function startRedisRelay(): Promise<{ port: number; pause(): void; resume(): void; close(): Promise<void> }> {
  let paused = false;
  const held: { upstream: net.Socket; chunk: Buffer }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(6379, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (paused) held.push({ upstream, chunk });
      else upstream.write(chunk);
    });
    upstream.pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      for (const { upstream, chunk } of held.splice(0)) upstream.write(chunk);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('per-key API rate limit', () => {
  let api: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_API_RATE_LIMIT: '2' });
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 429 with Retry-After past the burst, leaves other keys alone, and lets the key recover', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const other = await api.createTenant();
    const sameTenantOther = (await api.call<{ key: string }>('POST', '/api/v1/api-keys', { token: other.apiKey, body: { name: 'second' } })).body.key;

    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof api.call<{ code: string; detail: string }>>> | undefined;
    for (let i = 0; i < 30; i += 1) {
      const res = await api.call<{ code: string; detail: string }>('GET', '/api/v1/api-keys', { token: apiKey });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    const ok = statuses.filter((s) => s === 200).length;
    // Burst of 4 (2 × 2/s) plus whatever refilled while the loop ran.
    expect(ok).toBeGreaterThanOrEqual(4);
    expect(ok).toBeLessThan(30);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(limited!.body).toEqual({ code: 'rate_limited', detail: expect.any(String) });
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // A refused write changes nothing.
    const before = await prisma.apiKey.count({ where: { tenantId } });
    expect((await api.call('POST', '/api/v1/api-keys', { token: apiKey, body: { name: 'x' } })).status).toBe(429);
    expect(await prisma.apiKey.count({ where: { tenantId } })).toBe(before);

    // Other keys have their own buckets.
    expect((await api.call('GET', '/api/v1/api-keys', { token: other.apiKey })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/api-keys', { token: sameTenantOther })).status).toBe(200);
    // Public routes are not limited.
    for (let i = 0; i < 15; i += 1) expect((await api.call('GET', '/api/v1/openapi.json')).status).toBe(200);

    // Tokens come back at 2/s.
    const retryAfter = Number(limited!.headers['retry-after']);
    await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter, 2) * 1000 + 100));
    expect((await api.call('GET', '/api/v1/api-keys', { token: apiKey })).status).toBe(200);
  });
});

describe('rate limit when Redis stalls', () => {
  let api: TestApi;
  let relay: Awaited<ReturnType<typeof startRedisRelay>>;

  beforeAll(async () => {
    relay = await startRedisRelay();
    api = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${relay.port}`, HERALD_API_RATE_LIMIT: '5' });
  });
  afterAll(async () => {
    relay.resume();
    await api.close();
    await relay.close();
  });

  it('fails open: requests go through (counted) instead of waiting for Redis', async () => {
    const { apiKey } = await api.createTenant();
    expect((await api.call('GET', '/api/v1/api-keys', { token: apiKey })).status).toBe(200);
    const metrics = api.app.get(ApiMetrics);
    const before = (await metrics.rateLimitFailOpen.get()).values[0]?.value ?? 0;
    relay.pause();
    const started = Date.now();
    for (let i = 0; i < 3; i += 1) expect((await api.call('GET', '/api/v1/api-keys', { token: apiKey })).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5_000);
    const after = (await metrics.rateLimitFailOpen.get()).values[0]?.value ?? 0;
    expect(after - before).toBe(3);
    relay.resume();
  });
});
