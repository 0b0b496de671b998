import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '@herald/core';
import { PrismaService } from '@herald/db';
import { createApiKey } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface AccessOut {
  url: string;
  token: string;
}

describe('app-portal access', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let other: { tenantId: string; apiKey: string };
  let app: { id: string; uid: string };
  let sibling: { id: string };

  const keyRow = (token: string) => prisma.apiKey.findUnique({ where: { keyHash: new Uint8Array(hashApiKey(token)) } });
  const portal = async (appRef: string, body: unknown = {}): Promise<AccessOut> => {
    const res = await api.call<AccessOut>('POST', `/api/v1/auth/app-portal-access/${appRef}`, { token: tenant.apiKey, body });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('portal');
    other = await api.createTenant('portal other');
    app = (await api.call<{ id: string; uid: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Customer', uid: 'customer-1' } })).body;
    sibling = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Sibling', uid: 'customer-2' } })).body;
    await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name: 'invoice.paid', description: 'x' } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('issues a token (uid or id in the path) bound to the application, expiring after 7 days by default, audited', async () => {
    const t0 = Date.now();
    const access = await portal('customer-1');
    expect(access.url).toBe(`${api.url}/app-portal#token=${encodeURIComponent(access.token)}`);
    const row = await keyRow(access.token);
    expect(row).toMatchObject({ tenantId: tenant.tenantId, appId: app.id, scopes: ['all'] });
    expect(row!.expiresAt!.getTime()).toBeGreaterThanOrEqual(t0 + 7 * 86_400_000 - 5_000);
    expect(row!.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000 + 5_000);
    const entry = await prisma.auditLogEntry.findFirst({ where: { tenantId: tenant.tenantId, action: 'app_portal.token_created' } });
    expect(entry).toMatchObject({ targetType: 'application', targetId: app.id });

    const byId = await portal(app.id, { expiry: 3600 });
    const short = await keyRow(byId.token);
    expect(short!.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 5_000);
  });

  it('reaches its own application and its endpoints only', async () => {
    const { token } = await portal('customer-1');
    expect((await api.call('GET', `/api/v1/app/${app.id}`, { token })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/app/customer-1', { token })).status).toBe(200);
    const ep = await api.call<{ id: string }>('POST', `/api/v1/app/customer-1/endpoint`, { token, body: { url: 'https://example.com/portal', filterTypes: ['invoice.paid'] } });
    expect(ep.status).toBe(201);
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint`, { token })).status).toBe(200);
    expect((await api.call('PATCH', `/api/v1/app/${app.id}/endpoint/${ep.body.id}`, { token, body: { description: 'mine' } })).status).toBe(200);
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${ep.body.id}/secret`, { token })).status).toBe(200);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint/${ep.body.id}/secret/rotate`, { token, body: {} })).status).toBe(204);
    expect((await api.call('PUT', `/api/v1/app/${app.id}/endpoint/${ep.body.id}/headers`, { token, body: { headers: { 'x-a': '1' } } })).status).toBe(204);
    const revealed = await prisma.auditLogEntry.findFirst({ where: { tenantId: tenant.tenantId, action: 'endpoint.secret.revealed', targetId: ep.body.id } });
    expect(revealed).toMatchObject({ actorType: 'app_portal' });

    // Another application of the same tenant: as if it did not exist.
    for (const ref of [sibling.id, 'customer-2']) {
      expect((await api.call('GET', `/api/v1/app/${ref}`, { token })).status).toBe(404);
      expect((await api.call('GET', `/api/v1/app/${ref}/endpoint`, { token })).status).toBe(404);
      expect((await api.call('POST', `/api/v1/app/${ref}/endpoint`, { token, body: { url: 'https://example.com/x' } })).status).toBe(404);
      expect((await api.call('PUT', `/api/v1/app/${ref}`, { token, body: { name: 'x' } })).status).toBe(404);
    }
    expect((await api.call('PUT', '/api/v1/app/brand-new-uid', { token, body: { name: 'x' } })).status).toBe(404);
    expect(await prisma.endpoint.count({ where: { appId: sibling.id } })).toBe(0);
    expect(await prisma.application.count({ where: { tenantId: tenant.tenantId, uid: 'brand-new-uid' } })).toBe(0);

    // Routes without an application, and the application itself: refused.
    expect((await api.call('GET', '/api/v1/app', { token })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/app', { token, body: { name: 'x' } })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/event-type', { token, body: { name: 'x.y', description: 'x' } })).status).toBe(403);
    // Event types are readable (the portal lists what an endpoint may subscribe to), not writable.
    const types = await api.call<{ data: { name: string }[] }>('GET', '/api/v1/event-type', { token });
    expect(types.status).toBe(200);
    expect(types.body.data.map((t) => t.name)).toContain('invoice.paid');
    expect((await api.call('GET', '/api/v1/event-type/invoice.paid', { token })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/api-keys', { token })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/audit-log', { token })).status).toBe(403);
    expect((await api.call('PATCH', '/api/v1/event-type/invoice.paid', { token, body: { description: 'x' } })).status).toBe(403);
    expect((await api.call('PUT', `/api/v1/app/${app.id}`, { token, body: { name: 'renamed' } })).status).toBe(403);
    expect((await api.call('PATCH', '/api/v1/app/customer-1', { token, body: { name: 'renamed' } })).status).toBe(403);
    expect((await api.call('DELETE', '/api/v1/app/customer-1', { token })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/auth/app-portal-access/customer-1', { token, body: {} })).status).toBe(403);
    expect((await api.call<{ name: string }>('GET', `/api/v1/app/${app.id}`, { token: tenant.apiKey })).body.name).toBe('Customer');
  });

  it('read-only tokens read but change nothing and see no secrets', async () => {
    const { token } = await portal('customer-1', { readOnly: true });
    expect((await keyRow(token))!.scopes).toEqual(['read']);
    const capabilities = await portal('customer-1', { capabilities: ['ViewBase', 'ViewEndpointSecret'] });
    expect((await keyRow(capabilities.token))!.scopes).toEqual(['read']);

    const ep = (await api.call<{ id: string }>('POST', `/api/v1/app/${app.id}/endpoint`, { token: tenant.apiKey, body: { url: 'https://example.com/ro' } })).body;
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${ep.id}`, { token })).status).toBe(200);
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${ep.id}/secret`, { token })).status).toBe(403);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint`, { token, body: { url: 'https://example.com/no' } })).status).toBe(403);
    expect((await api.call('DELETE', `/api/v1/app/${app.id}/endpoint/${ep.id}`, { token })).status).toBe(403);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/secret/rotate`, { token, body: {} })).status).toBe(403);
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${ep.id}`, { token: tenant.apiKey })).status).toBe(200);
  });

  it('expired tokens are refused', async () => {
    const { token } = await portal('customer-1');
    await prisma.apiKey.update({ where: { keyHash: new Uint8Array(hashApiKey(token)) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await api.call('GET', `/api/v1/app/${app.id}`, { token })).status).toBe(401);
  });

  it("revokes an application's tokens when the application is deleted", async () => {
    const doomed = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Doomed' } })).body;
    const { token } = await portal(doomed.id);
    expect((await api.call('GET', `/api/v1/app/${doomed.id}`, { token })).status).toBe(200);
    expect((await api.call('DELETE', `/api/v1/app/${doomed.id}`, { token: tenant.apiKey })).status).toBe(204);
    expect((await keyRow(token))!.revokedAt).not.toBeNull();
    expect((await api.call('GET', `/api/v1/app/${doomed.id}`, { token })).status).toBe(401);
  });

  it('creates the application from `application` when the path names none', async () => {
    const res = await api.call<AccessOut>('POST', '/api/v1/auth/app-portal-access/portal-created', { token: tenant.apiKey, body: { application: { name: 'Made by portal' } } });
    expect(res.status).toBe(200);
    const created = await prisma.application.findFirst({ where: { tenantId: tenant.tenantId, uid: 'portal-created' } });
    expect(created).toMatchObject({ name: 'Made by portal' });
    expect((await keyRow(res.body.token))!.appId).toBe(created!.id);
    // Without `application`, a missing app is 404.
    expect((await api.call('POST', '/api/v1/auth/app-portal-access/nobody-here', { token: tenant.apiKey, body: {} })).status).toBe(404);
  });

  it('refuses invalid input (422), other tenants (404) and keys without write access (403), creating no key', async () => {
    const keysBefore = await prisma.apiKey.count({ where: { tenantId: tenant.tenantId } });
    for (const body of [{ expiry: 10 }, { expiry: 30 * 86_400 }, { featureFlags: ['bad flag'] }, { capabilities: ['Everything'] }, { application: { name: '' } }]) {
      expect((await api.call('POST', '/api/v1/auth/app-portal-access/customer-1', { token: tenant.apiKey, body })).status, JSON.stringify(body)).toBe(422);
    }
    for (const ref of [app.id, 'customer-1']) {
      expect((await api.call('POST', `/api/v1/auth/app-portal-access/${ref}`, { token: other.apiKey, body: {} })).status).toBe(404);
      expect((await api.call('POST', `/api/v1/auth/app-portal-access/${ref}`, { token: other.apiKey, body: { application: { name: 'x' } } })).status).toBe(ref === app.id ? 404 : 200);
    }
    // The other tenant's "customer-1" is its own new application, not ours.
    const theirs = await prisma.application.findFirst({ where: { tenantId: other.tenantId, uid: 'customer-1' } });
    expect(theirs?.id).not.toBe(app.id);

    const readKey = await createApiKey(prisma, tenant.tenantId, ['read']);
    const sendKey = await createApiKey(prisma, tenant.tenantId, ['send']);
    expect((await api.call('POST', '/api/v1/auth/app-portal-access/customer-1', { token: readKey, body: {} })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/auth/app-portal-access/customer-1', { token: sendKey, body: {} })).status).toBe(403);
    expect(await prisma.apiKey.count({ where: { tenantId: tenant.tenantId } })).toBe(keysBefore + 2);
  });
});
