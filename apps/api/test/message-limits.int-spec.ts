import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TenantKeysService, TenantProvisioningService, tenantScope, type TenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { createApplication, createEndpoint, singleRedisUrl, testConfig, type Services } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface MessageOut {
  id: string;
}
interface ValidationOut {
  detail: { loc: (string | number)[]; msg: string; type: string }[];
}

const MAX_PAYLOAD_BYTES = 4096;

describe('message ingest limits and validation', () => {
  let api: TestApi;
  let s: Services;
  let tenant: { tenantId: string; apiKey: string; scope: TenantScope };
  let appId: string;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-message-limits`, HERALD_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES) });
    s = { prisma: api.app.get(PrismaService), keys: api.app.get(TenantKeysService), provisioning: api.app.get(TenantProvisioningService) };
    const created = await api.createTenant('limits');
    tenant = { ...created, scope: tenantScope(created.tenantId) };
    appId = (await createApplication(s, tenant.scope)).id;
    await createEndpoint(s, tenant.scope, appId, { url: 'https://receiver.example.com/limits' });
  });

  afterAll(async () => {
    await api.close();
  });

  const post = (body: unknown) => api.call<MessageOut & ValidationOut>('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, body });
  const stored = () => s.prisma.message.count({ where: { appId } });

  it('refuses a payload larger than HERALD_MAX_PAYLOAD_BYTES with 413 and stores nothing', async () => {
    const before = await stored();
    const res = await post({ eventType: 'big.one', payload: { blob: 'x'.repeat(MAX_PAYLOAD_BYTES) } });
    expect(res.status).toBe(413);
    expect(await stored()).toBe(before);
    expect(await s.prisma.delivery.count({ where: { appId } })).toBe(0);
  });

  it("validates the payload against the event type's latest JSON schema (422 with the errors, nothing stored)", async () => {
    await s.prisma.eventType.create({
      data: {
        id: newId('et'),
        tenantId: tenant.tenantId,
        name: 'user.signup',
        schemas: {
          '1': { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] },
          '2': {
            type: 'object',
            properties: { email: { type: 'string', format: 'email' }, age: { type: 'integer', minimum: 0 } },
            required: ['email', 'age'],
          },
        },
      },
    });
    const before = await stored();
    const bad = await post({ eventType: 'user.signup', payload: { email: 'not-an-email', age: -1 } });
    expect(bad.status).toBe(422);
    const locs = bad.body.detail.map((d) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.payload.email', 'body.payload.age']));
    const missing = await post({ eventType: 'user.signup', payload: { email: 'a@example.com' } });
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0]).toMatchObject({ loc: ['body', 'payload', 'age'], type: 'value_error.jsonschema.required' });
    expect(await stored()).toBe(before);

    const good = await post({ eventType: 'user.signup', payload: { email: 'a@example.com', age: 3 } });
    expect(good.status).toBe(202);
    // Event types without a schema accept any object.
    expect((await post({ eventType: 'no.schema', payload: { anything: [1, 2] } })).status).toBe(202);
  });

  it('answers 409 when an eventId is reused in the application', async () => {
    const first = await post({ eventType: 'dup.test', eventId: 'dup-1', payload: { n: 1 } });
    expect(first.status).toBe(202);
    const before = await stored();
    const again = await post({ eventType: 'dup.test', eventId: 'dup-1', payload: { n: 2 } });
    expect(again.status).toBe(409);
    expect(await stored()).toBe(before);
    expect(await s.prisma.message.count({ where: { appId, eventId: 'dup-1' } })).toBe(1);
    // Another application may use the same eventId.
    const otherApp = await createApplication(s, tenant.scope);
    expect((await api.call('POST', `/api/v1/app/${otherApp.id}/msg`, { token: tenant.apiKey, body: { eventType: 'dup.test', eventId: 'dup-1', payload: {} } })).status).toBe(202);
  });

  it('refuses malformed messages with 422 and stores nothing', async () => {
    const before = await stored();
    const cases: unknown[] = [
      { payload: {} },
      { eventType: 'bad type!', payload: {} },
      { eventType: 'x'.repeat(257), payload: {} },
      { eventType: 'ok', payload: [1, 2] },
      { eventType: 'ok', payload: 'text' },
      { eventType: 'ok', payload: null },
      { eventType: 'ok', payload: {}, channels: Array.from({ length: 6 }, (_, i) => `c${i}`) },
      { eventType: 'ok', payload: {}, channels: ['bad channel'] },
      { eventType: 'ok', payload: {}, payloadRetentionPeriod: 4 },
      { eventType: 'ok', payload: {}, payloadRetentionPeriod: 91 },
      { eventType: 'ok', payload: {}, payloadRetentionPeriod: 10, payloadRetentionHours: 5 },
      { eventType: 'ok', payload: {}, eventId: 'spaces are bad' },
    ];
    for (const body of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(422);
      expect(Array.isArray(res.body.detail)).toBe(true);
    }
    expect(await stored()).toBe(before);
    expect((await post({ eventType: 'ok', payload: {}, channels: Array.from({ length: 5 }, (_, i) => `c${i}`) })).status).toBe(202);
  });

  it("keeps the payload no longer than the message's period or the tenant's policy, whichever is shorter", async () => {
    const day = 86_400_000;
    const short = await post({ eventType: 'ret.test', payload: {}, payloadRetentionPeriod: 5 });
    const row = await s.prisma.message.findUniqueOrThrow({ where: { id: short.body.id } });
    expect(Math.abs(row.payloadExpiresAt.getTime() - row.createdAt.getTime() - 5 * day)).toBeLessThan(1000);

    await s.prisma.tenantSettings.update({ where: { tenantId: tenant.tenantId }, data: { payloadRetentionDays: 3 } });
    const capped = await post({ eventType: 'ret.test', payload: {}, payloadRetentionPeriod: 30 });
    const cappedRow = await s.prisma.message.findUniqueOrThrow({ where: { id: capped.body.id } });
    expect(Math.abs(cappedRow.payloadExpiresAt.getTime() - cappedRow.createdAt.getTime() - 3 * day)).toBeLessThan(1000);
    await s.prisma.tenantSettings.update({ where: { tenantId: tenant.tenantId }, data: { payloadRetentionDays: 90 } });
  });
});

/** A TCP relay to the real Redis that the test can cut and restore (no mock: the API really loses Redis). */
async function startRedisRelay(target: URL): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  return {
    port,
    cut: stop,
    restore: () => new Promise<void>((resolve) => (server.listening ? resolve() : server.listen(port, '127.0.0.1', resolve))),
    close: stop,
  };
}

describe('message ingest when Redis is unreachable', () => {
  it('still answers 202 with the deliveries committed as pending and due (the outbox the dispatchers sweep)', async () => {
    const base = new URL(singleRedisUrl(testConfig()));
    const relay = await startRedisRelay(base);
    const relayed = new URL(base.toString());
    relayed.hostname = '127.0.0.1';
    relayed.port = String(relay.port);
    const prefix = `${inject('queuePrefix')}-message-redis-down`;
    const api = await startTestApi({ HERALD_QUEUE_PREFIX: prefix, REDIS_URL: relayed.toString() });
    try {
      const s: Services = { prisma: api.app.get(PrismaService), keys: api.app.get(TenantKeysService), provisioning: api.app.get(TenantProvisioningService) };
      const created = await api.createTenant('redis down');
      const scope = tenantScope(created.tenantId);
      const app = await createApplication(s, scope);
      await createEndpoint(s, scope, app.id, { url: 'https://receiver.example.com/redis-down' });

      await relay.cut();
      const started = Date.now();
      const res = await api.call<MessageOut>('POST', `/api/v1/app/${app.id}/msg`, { token: created.apiKey, body: { eventType: 'redis.down', payload: { n: 1 } } });
      expect(res.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(10_000);
      const deliveries = await s.prisma.delivery.findMany({ where: { messageId: res.body.id } });
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ status: 'pending', leaseOwner: null });
      expect(deliveries[0]!.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now());
    } finally {
      await relay.restore();
      await api.close();
      await relay.close();
    }
  }, 40_000);
});
