import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TenantKeysService, tenantScope } from '@herald/tenancy';
import { PrismaService } from '@herald/db';
import { startWakeupRecorder, type WakeupRecorder } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface OperationalBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

// Endpoint changes emit Svix operational webhooks (endpoint.created/updated/deleted): messages of
// the tenant's hidden operational application, committed with the change, delivered by the
// dispatcher like any message. This file has its own prefix, so the wake-ups it sees are its own.
describe('operational webhooks for endpoint changes', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let keys: TenantKeysService;
  let wakeups: WakeupRecorder;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-opevents`, HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    prisma = api.app.get(PrismaService);
    keys = api.app.get(TenantKeysService);
    wakeups = await startWakeupRecorder(api.config);
  });
  afterAll(async () => {
    await wakeups.close();
    await api.close();
  });

  /** The tenant's operational events, oldest first, decrypted, with where each goes. */
  async function events(tenantId: string): Promise<{ body: OperationalBody; endpointIds: string[] }[]> {
    const messages = await prisma.message.findMany({
      where: { tenantId, application: { kind: 'operational' } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      include: { deliveries: { select: { endpointId: true, status: true } } },
    });
    return Promise.all(
      messages.map(async (m) => ({
        body: JSON.parse(await keys.decryptString(tenantScope(tenantId), m.payloadEnc!)) as OperationalBody,
        endpointIds: m.deliveries.filter((d) => d.status === 'pending').map((d) => d.endpointId),
      })),
    );
  }

  it('commits created, updated and deleted with each change, for the operational endpoint, and wakes the dispatchers', async () => {
    const { tenantId, apiKey } = await api.createTenant();
    const settings = await api.call<{ operationalWebhookUrl: string }>('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: 'http://127.0.0.1:9/ops' } });
    expect(settings.status).toBe(200);
    const opEndpoint = await prisma.endpoint.findFirstOrThrow({ where: { tenantId, application: { kind: 'operational' } } });
    expect(opEndpoint).toMatchObject({ uid: 'tenant-settings', url: 'http://127.0.0.1:9/ops', disabled: false });

    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'ops', uid: 'ops-app' } });
    const ep = await api.call<{ id: string }>('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: apiKey, body: { url: 'http://127.0.0.1:9/hook', uid: 'ops-ep' } });
    expect(ep.status).toBe(201);
    expect((await api.call('PATCH', `/api/v1/app/ops-app/endpoint/ops-ep`, { token: apiKey, body: { description: 'changed' } })).status).toBe(200);
    expect((await api.call('DELETE', `/api/v1/app/ops-app/endpoint/ops-ep`, { token: apiKey })).status).toBe(204);

    const emitted = await events(tenantId);
    expect(emitted.map((e) => e.body.type)).toEqual(['endpoint.created', 'endpoint.updated', 'endpoint.deleted']);
    for (const e of emitted) {
      expect(e.body.data).toEqual({ appId: app.body.id, appUid: 'ops-app', endpointId: ep.body.id, endpointUid: 'ops-ep' });
      expect(Number.isNaN(Date.parse(e.body.timestamp))).toBe(false);
      expect(e.endpointIds).toEqual([opEndpoint.id]);
    }
    await wakeups.waitFor(opEndpoint.id);
    // The operational application stays out of the Svix API.
    const apps = await api.call<{ data: { id: string }[] }>('GET', '/api/v1/app?limit=250', { token: apiKey });
    expect(apps.body.data.map((a) => a.id)).toEqual([app.body.id]);
    expect((await api.call('GET', `/api/v1/app/${opEndpoint.appId}`, { token: apiKey })).status).toBe(404);
    expect((await api.call('GET', `/api/v1/app/${opEndpoint.appId}/msg`, { token: apiKey })).status).toBe(404);
    expect((await api.call('POST', `/api/v1/app/${opEndpoint.appId}/msg`, { token: apiKey, body: { eventType: 'x', payload: {} } })).status).toBe(404);
  });

  it('emits nothing for a refused change, and nothing without an operational endpoint', async () => {
    const { tenantId, apiKey } = await api.createTenant();
    await api.call('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: 'http://127.0.0.1:9/ops' } });
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'ops2' } });
    expect((await api.call('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: apiKey, body: { url: 'http://10.0.0.1/hook' } })).status).toBe(422);
    expect(await events(tenantId)).toEqual([]);

    const quiet = await api.createTenant();
    const quietApp = await api.call<{ id: string }>('POST', '/api/v1/app', { token: quiet.apiKey, body: { name: 'no ops' } });
    expect((await api.call('POST', `/api/v1/app/${quietApp.body.id}/endpoint`, { token: quiet.apiKey, body: { url: 'http://127.0.0.1:9/x' } })).status).toBe(201);
    expect(await prisma.message.count({ where: { tenantId: quiet.tenantId } })).toBe(0);
  });

  it('clearing the settings URL stops the events; setting one again resumes them with the same secret', async () => {
    const { tenantId, apiKey } = await api.createTenant();
    const first = await api.call<{ operationalWebhookSecret: string }>('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: 'http://127.0.0.1:9/a' } });
    await api.call('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: null } });
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'x' } });
    await api.call('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: apiKey, body: { url: 'http://127.0.0.1:9/one' } });
    expect(await events(tenantId)).toEqual([]);
    const again = await api.call<{ operationalWebhookSecret: string; operationalWebhookUrl: string }>('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: 'http://127.0.0.1:9/b' } });
    expect(again.body).toMatchObject({ operationalWebhookUrl: 'http://127.0.0.1:9/b', operationalWebhookSecret: first.body.operationalWebhookSecret });
    await api.call('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: apiKey, body: { url: 'http://127.0.0.1:9/two' } });
    expect((await events(tenantId)).map((e) => e.body.type)).toEqual(['endpoint.created']);
  });
});
