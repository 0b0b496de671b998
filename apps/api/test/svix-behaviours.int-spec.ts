import { Svix, Webhook } from 'svix';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { createTestDatabase, dropTestDatabase, startTestDispatcher, startWebhookReceiver, type HeraldProcess, type WebhookReceiver } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface ListOut<T> {
  data: T[];
  done: boolean;
}

/**
 * Svix behaviours clients rely on: `send-example` of `svix.ping`, header names as given,
 * event-type feature flags and what app-portal tokens see of them, `endpoint.updated` after a
 * secret rotation. Deliveries go through the real dispatcher process to a real receiver (so
 * this file has a database and queue prefix of its own).
 */
describe('Svix behaviours', () => {
  let api: TestApi;
  let database: { url: string; name: string };
  let receiver: WebhookReceiver;
  let dispatcher: HeraldProcess | undefined;
  let tenant: { tenantId: string; apiKey: string };
  let svix: Svix;
  let appId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startTestApi({ DATABASE_URL: database.url, HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-${database.name}`, HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    tenant = await api.createTenant('svix behaviours');
    svix = new Svix(tenant.apiKey, { serverUrl: api.url });
    receiver = await startWebhookReceiver();
    appId = (await svix.application.create({ name: 'behaviours', uid: 'behaviours' })).id;
    dispatcher = startTestDispatcher({ databaseUrl: database.url, queuePrefix: api.config.redis.queuePrefix });
  });
  afterAll(async () => {
    await dispatcher?.stop('SIGKILL');
    await receiver?.close();
    await api?.close();
    if (database) await dropTestDatabase(database.name);
  });

  it('send-example of svix.ping delivers {"success": true} without a defined event type (official client)', async () => {
    const endpoint = await svix.endpoint.create(appId, { url: `${receiver.url}/ping` });
    const { key: secret } = await svix.endpoint.getSecret(appId, endpoint.id);
    expect(await api.app.get(PrismaService).eventType.count({ where: { tenantId: tenant.tenantId, name: 'svix.ping' } })).toBe(0);

    const sent = await svix.endpoint.sendExample(appId, endpoint.id, { eventType: 'svix.ping' });
    expect(sent.eventType).toBe('svix.ping');
    expect(sent.payload).toEqual({ success: true });

    await receiver.waitFor((reqs) => reqs.some((r) => r.headers['webhook-id'] === sent.id), 20_000);
    const delivered = receiver.requests.find((r) => r.headers['webhook-id'] === sent.id)!;
    expect(delivered.path).toBe('/ping');
    expect(JSON.parse(delivered.body)).toEqual({ success: true });
    // Signed like any message: the svix verifier accepts it.
    expect(new Webhook(secret).verify(delivered.body, delivered.headers as Record<string, string>)).toEqual({ success: true });
    // Any other undefined event type is still a 404.
    expect((await api.call('POST', `/api/v1/app/${appId}/endpoint/${endpoint.id}/send-example`, { token: tenant.apiKey, body: { eventType: 'not.defined' } })).status).toBe(404);
  });

  it('keeps header names as given, stored and returned; compares them case-insensitively', async () => {
    const endpoint = await svix.endpoint.create(appId, { url: `${receiver.url}/headers`, headers: { 'X-Tenant-ID': 'acme', 'x-lower': 'a' } });
    expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({ 'X-Tenant-ID': 'acme', 'x-lower': 'a' });
    const stored = await api.app.get(PrismaService).endpointHeader.findMany({ where: { endpointId: endpoint.id }, orderBy: { name: 'asc' } });
    expect(stored.map((h) => h.name)).toEqual(['X-Tenant-ID', 'x-lower']);

    // A name of another case replaces the stored one (one header, the latest spelling).
    await svix.endpoint.patchHeaders(appId, endpoint.id, { headers: { 'x-tenant-id': 'beta', 'X-Lower': 'b' } });
    expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({ 'x-tenant-id': 'beta', 'X-Lower': 'b' });
    // Deleting by another case works too.
    await svix.endpoint.patchHeaders(appId, endpoint.id, { headers: {}, deleteHeaders: ['X-TENANT-ID'] });
    expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({ 'X-Lower': 'b' });

    // Two spellings of one name in one request, and reserved names in any case: 422, nothing changed.
    for (const headers of [{ 'X-Dup': '1', 'x-dup': '2' }, { 'WEBHOOK-ID': 'x' }, { 'Svix-Signature': 'x' }, { HOST: 'x' }]) {
      const res = await api.call('PUT', `/api/v1/app/${appId}/endpoint/${endpoint.id}/headers`, { token: tenant.apiKey, body: { headers } });
      expect(res.status, JSON.stringify(headers)).toBe(422);
    }
    expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({ 'X-Lower': 'b' });
    // The database holds names to it as well, whatever writes them.
    const prisma = api.app.get(PrismaService);
    const row = stored[0]!;
    await expect(prisma.endpointHeader.create({ data: { endpointId: endpoint.id, tenantId: tenant.tenantId, name: 'X-LOWER', valueEnc: new Uint8Array(row.valueEnc), sensitive: false } })).rejects.toThrow();
  });

  it('stores event-type featureFlags, and app-portal tokens see flagged event types only when they carry a flag', async () => {
    await svix.eventType.create({ name: 'plain.event', description: 'no flags' });
    const beta = await svix.eventType.create({ name: 'beta.event', description: 'beta', featureFlags: ['beta', 'preview'] });
    expect(beta).toMatchObject({ featureFlags: ['beta', 'preview'], featureFlag: 'beta' });
    await svix.eventType.create({ name: 'internal.event', description: 'internal', featureFlag: 'internal' });
    const stored = await api.app.get(PrismaService).eventType.findFirstOrThrow({ where: { tenantId: tenant.tenantId, name: 'beta.event' } });
    expect(stored.featureFlags).toEqual(['beta', 'preview']);
    const patched = await svix.eventType.patch('internal.event', { featureFlags: ['internal', 'staff'] });
    expect(patched.featureFlags).toEqual(['internal', 'staff']);

    const names = async (token: string) => {
      const res = await api.call<ListOut<{ name: string }>>('GET', '/api/v1/event-type?limit=250', { token });
      expect(res.status).toBe(200);
      return res.body.data.map((e) => e.name).filter((n) => n.endsWith('.event'));
    };
    // The tenant's key sees every event type.
    expect(await names(tenant.apiKey)).toEqual(['beta.event', 'internal.event', 'plain.event']);

    const tokenWith = async (featureFlags?: string[]) => (await svix.authentication.appPortalAccess(appId, featureFlags ? { featureFlags } : {})).token;
    const none = await tokenWith();
    const preview = await tokenWith(['preview']);
    const staffAndBeta = await tokenWith(['staff', 'beta']);
    expect(await names(none)).toEqual(['plain.event']);
    expect(await names(preview)).toEqual(['beta.event', 'plain.event']);
    expect(await names(staffAndBeta)).toEqual(['beta.event', 'internal.event', 'plain.event']);
    expect((await api.app.get(PrismaService).apiKey.findMany({ where: { tenantId: tenant.tenantId, featureFlags: { has: 'staff' } } })).length).toBe(1);

    // A flagged type it may not see is a 404 for the token, as if it did not exist.
    expect((await api.call('GET', '/api/v1/event-type/beta.event', { token: none })).status).toBe(404);
    expect((await api.call('GET', '/api/v1/event-type/beta.event', { token: preview })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/event-type/plain.event', { token: none })).status).toBe(200);
    // The official client through a portal token.
    const asPortal = new Svix(preview, { serverUrl: api.url });
    expect((await asPortal.eventType.list({ limit: 250 })).data.map((e) => e.name).filter((n) => n.endsWith('.event'))).toEqual(['beta.event', 'plain.event']);
  });

  it('emits endpoint.updated after a secret rotation, delivered to the operational webhook', async () => {
    // Tenant settings are Herald's own (no svix client call): raw HTTP.
    expect((await api.call('PATCH', '/api/v1/tenant/settings', { token: tenant.apiKey, body: { operationalWebhookUrl: `${receiver.url}/ops` } })).status).toBe(200);
    const endpoint = await svix.endpoint.create(appId, { url: `${receiver.url}/rotated`, uid: 'rotated-ep' });
    const opsEvents = () =>
      receiver.requests.filter((r) => r.path === '/ops').map((r) => JSON.parse(r.body) as { type: string; data: { endpointId: string; endpointUid: string | null; appId: string } });
    await receiver.waitFor(() => opsEvents().some((e) => e.type === 'endpoint.created' && e.data.endpointId === endpoint.id), 20_000);

    await svix.endpoint.rotateSecret(appId, endpoint.id, {});
    await receiver.waitFor(() => opsEvents().some((e) => e.type === 'endpoint.updated' && e.data.endpointId === endpoint.id), 20_000);
    const updated = opsEvents().filter((e) => e.type === 'endpoint.updated' && e.data.endpointId === endpoint.id);
    expect(updated).toHaveLength(1);
    expect(updated[0]!.data).toEqual({ appId, appUid: 'behaviours', endpointId: endpoint.id, endpointUid: 'rotated-ep' });

    // A refused rotation (not a JSON object) emits nothing.
    expect((await api.call('POST', `/api/v1/app/${appId}/endpoint/${endpoint.id}/secret/rotate`, { token: tenant.apiKey })).status).toBe(422);
    const operational = await api.app.get(PrismaService).message.count({ where: { tenantId: tenant.tenantId, eventType: 'endpoint.updated', application: { kind: 'operational' } } });
    expect(operational).toBe(1);
  });
});
