import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the published SDK is exercised against the real API here
import type * as Sdk from '@herald/sdk' with { 'resolution-mode': 'import' };
import { PrismaService } from '@herald/db';
import { createTestDatabase, dropTestDatabase, startWebhookReceiver, TEST_MASTER_KEYS, type WebhookReceiver } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

type Catalog = { 'invoice.paid': { invoiceId: string; amountCents: number } };

/**
 * A relay in front of the API that forwards requests and, when armed, drops the API's
 * answer on the floor (closes the client socket) — the "response lost on the way back" case
 * that idempotency keys exist for.
 */
async function startLossyRelay(target: URL): Promise<{ url: string; dropNextResponse(): void; dropped(): number; close(): Promise<void> }> {
  let dropNext = false;
  let droppedCount = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (dropNext) {
        dropNext = false;
        droppedCount += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    dropNextResponse: () => {
      dropNext = true;
    },
    dropped: () => droppedCount,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('@herald/sdk against the real API', () => {
  let api: TestApi;
  let apiKey: string;
  let receiver: WebhookReceiver;
  let dispatcher: ChildProcess | undefined;
  // A database and queue prefix of this file's own: the dispatcher it starts sweeps every
  // tenant's due deliveries, which must not include other test files'.
  let database: { url: string; name: string };
  // The SDK is an ES module; this test file is CommonJS.
  let sdk: typeof Sdk;

  beforeAll(async () => {
    // eslint-disable-next-line @nx/enforce-module-boundaries -- see the type import above
    sdk = await import('@herald/sdk');
    database = await createTestDatabase();
    api = await startTestApi({ DATABASE_URL: database.url, HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-${database.name}`, HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    ({ apiKey } = await api.createTenant('sdk tenant'));
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    dispatcher?.kill('SIGKILL');
    await receiver?.close();
    await api?.close();
    if (database) await dropTestDatabase(database.name);
  });

  it('sends typed events, pages through them, and a retry after a lost response creates the message once', async () => {
    const relay = await startLossyRelay(new URL(api.url));
    try {
      const herald = new sdk.Herald<Catalog>({ apiKey, baseUrl: relay.url, retries: 3, timeoutMs: 5_000 });
      const app = await herald.applications.create({ name: 'billing', uid: 'billing' });

      relay.dropNextResponse();
      const sent = await herald.messages.send('billing', 'invoice.paid', { invoiceId: 'inv_1', amountCents: 1200 }, { idempotencyKey: 'pay-inv_1' });
      expect(sent.eventType).toBe('invoice.paid');
      // The API's first answer really was lost, and the SDK's retry got the replay.
      expect(relay.dropped()).toBe(1);
      const rows = await api.app.get(PrismaService).message.count({ where: { appId: app.id } });
      expect(rows).toBe(1);

      for (let i = 2; i <= 7; i++) await herald.messages.send('billing', 'invoice.paid', { invoiceId: `inv_${i}`, amountCents: i });
      const seen: string[] = [];
      for await (const msg of herald.messages.listAll('billing', { limit: 2 })) seen.push(msg.id);
      expect(seen).toHaveLength(7);
      expect(new Set(seen).size).toBe(7);
    } finally {
      await relay.close();
    }
  });

  it('delivers a webhook that the SDK receiver helper verifies', async () => {
    const herald = new sdk.Herald<Catalog>({ apiKey, baseUrl: api.url });
    const app = await herald.applications.create({ name: 'receiving' });
    const endpoint = await herald.endpoints.create(app.id, { url: `${receiver.url}/hook`, description: 'sdk e2e' });
    const { key: secret } = await herald.endpoints.getSecret(app.id, endpoint.id);

    // The real dispatcher process, on this run's database, queues and keys.
    dispatcher = spawn(process.execPath, [path.resolve(__dirname, '../../../dist/apps/dispatcher/src/main.js')], {
      env: {
        PATH: process.env['PATH'],
        NODE_ENV: 'test',
        DATABASE_URL: api.config.db.url,
        HERALD_QUEUE_PREFIX: api.config.redis.queuePrefix,
        HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
        HERALD_ADMIN_TOKEN: api.adminToken,
        HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
        HERALD_DISPATCHER_METRICS_PORT: '0',
        HERALD_LOG_LEVEL: 'warn',
      },
      stdio: 'inherit',
    });

    const sent = await herald.messages.send(app.id, 'invoice.paid', { invoiceId: 'inv_e2e', amountCents: 4200 });
    await receiver.waitFor((reqs) => reqs.some((r) => r.headers['webhook-id'] === sent.id), 20_000);
    const delivered = receiver.requests.find((r) => r.headers['webhook-id'] === sent.id)!;
    const payload = sdk.verifyWebhook<Catalog['invoice.paid']>({ secret, headers: delivered.headers, rawBody: delivered.body });
    expect(payload).toEqual({ invoiceId: 'inv_e2e', amountCents: 4200 });
    expect(() => sdk.verifyWebhook({ secret, headers: delivered.headers, rawBody: delivered.body.replace('4200', '4201') })).toThrow();
  });
});
