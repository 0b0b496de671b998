import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

/**
 * A TCP relay to the real PostgreSQL that can turn into a black hole: it keeps accepting
 * connections but never forwards or answers (a database host that drops packets, as opposed to
 * one that refuses connections). No mock: the API's pool really waits on those sockets.
 */
async function startRelay(): Promise<{ port: number; blackhole(): void; restore(): void; close(): Promise<void> }> {
  let forwarding = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('error', () => client.destroy()).on('close', () => sockets.delete(client));
    if (!forwarding) return; // held open, silent
    const upstream = net.connect(5432, '127.0.0.1');
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy()).on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    blackhole() {
      forwarding = false;
      // The pool's open connections are lost too, so every query needs a new one.
      for (const s of sockets) s.destroy();
    },
    restore() {
      forwarding = true;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a PostgreSQL host that drops packets', () => {
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let api: TestApi;
  let key: string;

  beforeAll(async () => {
    relay = await startRelay();
    const url = new URL(inject('databaseUrl'));
    url.port = String(relay.port);
    api = await startTestApi({ DATABASE_URL: url.toString(), HERALD_DB_CONNECT_TIMEOUT_MS: '1000', HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-blackhole` });
    key = (await api.createTenant('blackhole')).apiKey;
  });
  afterAll(async () => {
    await api?.close();
    await relay?.close();
  });

  it('answers 503 with Retry-After within the connect timeout instead of waiting, and serves again once the host answers', async () => {
    expect((await api.call('GET', '/api/v1/app', { token: key })).status).toBe(200);
    relay.blackhole();
    const started = Date.now();
    const res = await api.call<{ code: string }>('GET', '/api/v1/app', { token: key });
    const tookMs = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('service_unavailable');
    expect(res.headers['retry-after']).toBeDefined();
    // Bounded by HERALD_DB_CONNECT_TIMEOUT_MS (1 s), with room for a second connection attempt.
    expect(tookMs).toBeLessThan(4_000);

    relay.restore();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await api.call('GET', '/api/v1/app', { token: key })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });
});
