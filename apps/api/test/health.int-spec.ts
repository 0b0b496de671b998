import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { Svix } from 'svix';
import { startTestApi, type TestApi } from './harness';

/**
 * A TCP relay to the real PostgreSQL that the test can cut: the API then really loses its
 * database (no mock), and health must say so.
 */
async function startPgRelay(): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(5432, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('health: /api/v1/health, /health/ping (Svix) and /health/ready (operators)', () => {
  let api: TestApi;
  let relay: Awaited<ReturnType<typeof startPgRelay>>;

  beforeAll(async () => {
    relay = await startPgRelay();
    const dbUrl = new URL(inject('databaseUrl'));
    dbUrl.port = String(relay.port);
    api = await startTestApi({ DATABASE_URL: dbUrl.toString() });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 204 with no body on GET and HEAD of /health and /health/ping, without authentication (as Svix)', async () => {
    for (const path of ['/api/v1/health', '/api/v1/health/ping']) {
      for (const method of ['GET', 'HEAD']) {
        const res = await api.call(method, path);
        expect(res.status, `${method} ${path}`).toBe(204);
        expect(res.text).toBe('');
        expect(res.headers['content-length'] ?? '0').toBe('0');
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    }
    // A well-formed client request id is kept; a malformed one is replaced.
    expect((await api.call('GET', '/api/v1/health', { headers: { 'x-request-id': 'trace-42' } })).headers['x-request-id']).toBe('trace-42');
    expect((await api.call('GET', '/api/v1/health', { headers: { 'x-request-id': 'not a valid id; '.repeat(20) } })).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // The official SDK's health call is satisfied by it.
    await new Svix('unused', { serverUrl: api.url }).health.get();
  });

  it('reports readiness on /health/ready: 200 with both dependencies up, for GET and HEAD', async () => {
    const res = await api.call<{ status: string; database: string; redis: string }>('GET', '/api/v1/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok', workers: { dispatcher: expect.any(Number), retention: expect.any(Number) } });
    const head = await api.call('HEAD', '/api/v1/health/ready');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('answers 503 naming PostgreSQL on /health/ready when the database goes away; liveness stays 204', async () => {
    await relay.cut();
    const res = await api.call<{ status: string; database: string; redis: string }>('GET', '/api/v1/health/ready');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'error', database: 'error', redis: 'ok' });
    expect((await api.call('HEAD', '/api/v1/health/ready')).status).toBe(503);
    expect((await api.call('GET', '/api/v1/health')).status).toBe(204);
  });
});
