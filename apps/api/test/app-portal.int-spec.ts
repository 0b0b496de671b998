import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Svix } from 'svix';
import { hashApiKey, TenantKeysService, tenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { createApiKey } from '@herald/testing';
import { routesOfTree, startTestApi, type TestApi } from './harness';

interface AccessOut {
  url: string;
  token: string;
}

const FULL = ['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'CreateAttempts', 'ManageEndpoint'];

describe('app-portal access', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let other: { tenantId: string; apiKey: string };
  let app: { id: string; uid: string };
  let sibling: { id: string };
  /** An endpoint, a message routed to it and a recorded attempt, in `app`. */
  let graph: { endpointId: string; msgId: string; attemptId: string };

  const keyRow = (token: string) => prisma.apiKey.findUnique({ where: { keyHash: new Uint8Array(hashApiKey(token)) } });
  const portal = async (appRef: string, body: unknown = {}): Promise<AccessOut> => {
    const res = await api.call<AccessOut>('POST', `/api/v1/auth/app-portal-access/${appRef}`, { token: tenant.apiKey, body });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  /** Everything a portal token could have changed, counted (the audit chain included). */
  const tenantState = async (): Promise<Record<string, unknown>> => {
    const where = { tenantId: tenant.tenantId };
    const [apps, endpoints, secrets, headers, messages, deliveries, attempts, eventTypes, audit, keys] = await Promise.all([
      prisma.application.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.endpoint.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.endpointSecret.count({ where }),
      prisma.endpointHeader.count({ where }),
      prisma.message.findMany({ where, orderBy: { id: 'asc' }, select: { id: true, payloadEnc: true } }),
      prisma.delivery.findMany({ where, orderBy: { id: 'asc' }, select: { id: true, status: true, nextAttemptAt: true } }),
      prisma.attempt.findMany({ where, orderBy: { id: 'asc' }, select: { id: true, responseEnc: true } }),
      prisma.eventType.findMany({ where, orderBy: { id: 'asc' } }),
      prisma.auditLogEntry.count({ where }),
      prisma.apiKey.findMany({ where, orderBy: { id: 'asc' }, select: { id: true, revokedAt: true, expiresAt: true } }),
    ]);
    return JSON.parse(JSON.stringify({ apps, endpoints, secrets, headers, messages, deliveries, attempts, eventTypes, audit, keys })) as Record<string, unknown>;
  };

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('portal');
    other = await api.createTenant('portal other');
    app = (await api.call<{ id: string; uid: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Customer', uid: 'customer-1' } })).body;
    sibling = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Sibling', uid: 'customer-2' } })).body;
    await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name: 'invoice.paid', description: 'x', schemas: { '1': { type: 'object', examples: [{ n: 1 }] } } } });
    const endpoint = (await api.call<{ id: string }>('POST', `/api/v1/app/${app.id}/endpoint`, { token: tenant.apiKey, body: { url: 'https://example.com/graph', uid: 'graph-ep' } })).body;
    const msg = (await api.call<{ id: string }>('POST', `/api/v1/app/${app.id}/msg`, { token: tenant.apiKey, body: { eventType: 'invoice.paid', eventId: 'graph-evt', payload: { n: 1 } } })).body;
    const delivery = await prisma.delivery.findFirstOrThrow({ where: { messageId: msg.id, endpointId: endpoint.id } });
    const attemptId = newId('atmpt');
    await prisma.attempt.create({
      data: {
        id: attemptId,
        tenantId: tenant.tenantId,
        appId: app.id,
        messageId: msg.id,
        endpointId: endpoint.id,
        deliveryId: delivery.id,
        url: 'https://example.com/graph',
        status: 2,
        responseStatus: 500,
        responseEnc: new Uint8Array(await api.app.get(TenantKeysService).encrypt(tenantScope(tenant.tenantId), 'boom')),
        durationMs: 5,
        triggerType: 0,
      },
    });
    graph = { endpointId: endpoint.id, msgId: msg.id, attemptId };
  });
  afterAll(async () => {
    await api.close();
  });

  it('issues a token (uid or id in the path) bound to the application, in the URL fragment, expiring after 7 days by default, audited', async () => {
    const t0 = Date.now();
    const access = await portal('customer-1');
    // The fragment never reaches a server (no access log, proxy or Referer sees the token).
    expect(access.url).toBe(`${api.url}/app-portal#token=${encodeURIComponent(access.token)}`);
    expect(new URL(access.url).search).toBe('');
    const row = await keyRow(access.token);
    expect(row).toMatchObject({ tenantId: tenant.tenantId, appId: app.id, capabilities: FULL });
    expect(row!.expiresAt!.getTime()).toBeGreaterThanOrEqual(t0 + 7 * 86_400_000 - 5_000);
    expect(row!.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000 + 5_000);
    const entry = await prisma.auditLogEntry.findFirst({ where: { tenantId: tenant.tenantId, action: 'app_portal.token_created' } });
    expect(entry).toMatchObject({ targetType: 'application', targetId: app.id });

    const byId = await portal(app.id, { expiry: 3600 });
    const short = await keyRow(byId.token);
    expect(short!.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 5_000);
  });

  it('turns readOnly and capabilities into what the token may do, as Svix does', async () => {
    expect((await keyRow((await portal('customer-1', { readOnly: true })).token))!.capabilities).toEqual(['ViewBase']);
    expect((await keyRow((await portal('customer-1', { readOnly: false })).token))!.capabilities).toEqual(FULL);
    // Explicit capabilities win over readOnly; reading the app's own data always comes with them.
    expect((await keyRow((await portal('customer-1', { capabilities: ['CreateAttempts'], readOnly: true })).token))!.capabilities).toEqual(['ViewBase', 'CreateAttempts']);
  });

  it('a full token manages its application\'s endpoints, secrets, resends and recovers — nothing else', async () => {
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
    expect((await api.call('POST', `/api/v1/app/${app.id}/msg/${graph.msgId}/endpoint/${graph.endpointId}/resend`, { token })).status).toBe(202);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint/${graph.endpointId}/recover`, { token, body: { since: new Date(Date.now() - 60_000).toISOString() } })).status).toBe(202);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint/${ep.body.id}/send-example`, { token, body: { eventType: 'invoice.paid' } })).status).toBe(200);
    expect((await api.call('DELETE', `/api/v1/app/${app.id}/endpoint/${ep.body.id}`, { token })).status).toBe(204);

    // Never sends messages, erases content, changes the application or the event catalog, or mints tokens.
    const before = await tenantState();
    const refused: [string, string, unknown?][] = [
      ['POST', `/api/v1/app/${app.id}/msg`, { eventType: 'invoice.paid', payload: { forged: true } }],
      ['POST', `/api/v1/app/customer-1/msg`, { eventType: 'invoice.paid', payload: { forged: true }, application: { name: 'x' } }],
      ['DELETE', `/api/v1/app/${app.id}/msg/${graph.msgId}/content`],
      ['DELETE', `/api/v1/app/${app.id}/msg/${graph.msgId}/attempt/${graph.attemptId}/content`],
      ['PUT', `/api/v1/app/${app.id}`, { name: 'renamed' }],
      ['PATCH', '/api/v1/app/customer-1', { name: 'renamed' }],
      ['DELETE', '/api/v1/app/customer-1'],
      ['POST', '/api/v1/auth/app-portal-access/customer-1', {}],
      ['POST', `/api/v1/auth/app/${app.id}/expire-all`, {}],
      ['POST', '/api/v1/event-type', { name: 'x.y', description: 'x' }],
      ['PUT', '/api/v1/event-type/invoice.paid', { description: 'x' }],
      ['PATCH', '/api/v1/event-type/invoice.paid', { description: 'x' }],
      ['DELETE', '/api/v1/event-type/invoice.paid'],
      ['GET', '/api/v1/app'],
      ['POST', '/api/v1/app', { name: 'x' }],
      ['GET', '/api/v1/api-keys'],
      ['POST', '/api/v1/api-keys', { name: 'x' }],
      ['GET', '/api/v1/audit-log'],
      ['GET', '/api/v1/tenant/settings'],
      ['PATCH', '/api/v1/tenant/settings', { throttleRate: 1 }],
    ];
    for (const [method, path, body] of refused) {
      const res = await api.call<{ code: string }>(method, path, { token, body });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
      expect(res.body.code, `${method} ${path}`).toBe('insufficient_access');
    }
    expect(await tenantState()).toEqual(before);
    // Event types stay readable (the portal lists what an endpoint may subscribe to).
    const types = await api.call<{ data: { name: string }[] }>('GET', '/api/v1/event-type', { token });
    expect(types.status).toBe(200);
    expect(types.body.data.map((t) => t.name)).toContain('invoice.paid');
    expect((await api.call('GET', '/api/v1/event-type/invoice.paid', { token })).status).toBe(200);
  });

  it('reaches its own application only: another one answers 404, as if it did not exist', async () => {
    const { token } = await portal('customer-1');
    for (const ref of [sibling.id, 'customer-2']) {
      expect((await api.call('GET', `/api/v1/app/${ref}`, { token })).status).toBe(404);
      expect((await api.call('GET', `/api/v1/app/${ref}/endpoint`, { token })).status).toBe(404);
      expect((await api.call('POST', `/api/v1/app/${ref}/endpoint`, { token, body: { url: 'https://example.com/x' } })).status).toBe(404);
    }
    expect(await prisma.endpoint.count({ where: { appId: sibling.id } })).toBe(0);
  });

  it('a read-only token reads its application but every route that changes something answers 403 and changes nothing', async () => {
    const { token } = await portal('customer-1', { readOnly: true });
    const fastify = api.app.getHttpAdapter().getInstance();
    const mutating = routesOfTree(fastify.printRoutes({ commonPrefix: false })).filter((r) => !/^(GET|HEAD) /.test(r));
    expect(mutating.length).toBeGreaterThan(25);
    const values: Record<string, string> = { app_id: app.id, endpoint_id: graph.endpointId, msg_id: graph.msgId, attempt_id: graph.attemptId, event_type_name: 'invoice.paid', id: 'key_x' };
    const before = await tenantState();
    let checked = 0;
    for (const route of mutating) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(/:(\w+)/g, (_m, p: string) => values[p] ?? 'x');
      const body = path.endsWith('/recover') ? { since: new Date(Date.now() - 60_000).toISOString() } : { name: 'n', url: 'https://example.com/ro', eventType: 'invoice.paid', payload: {}, headers: { 'x-b': '1' } };
      // A read-only token may end its own session: tested below.
      if (path === '/api/v1/auth/logout') continue;
      const res = await api.call(method, path, { token, body });
      // Operator routes are 401 for every tenant credential; the rest refuse the read-only token.
      const expected = path.startsWith('/api/v1/admin/') ? 401 : 403;
      expect(res.status, `${route} → ${res.text}`).toBe(expected);
      checked++;
    }
    expect(checked).toBe(mutating.length - 1);
    expect(await tenantState()).toEqual(before);
    // Reads work; the secret does not (ViewEndpointSecret is not part of a read-only token).
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${graph.endpointId}`, { token })).status).toBe(200);
    expect((await api.call('GET', `/api/v1/app/${app.id}/msg/${graph.msgId}/attempt/${graph.attemptId}`, { token })).status).toBe(200);
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${graph.endpointId}/secret`, { token })).status).toBe(403);
  });

  it('a token with some capabilities gets exactly those', async () => {
    const { token } = await portal('customer-1', { capabilities: ['ViewBase', 'CreateAttempts'] });
    expect((await api.call('POST', `/api/v1/app/${app.id}/msg/${graph.msgId}/endpoint/${graph.endpointId}/resend`, { token })).status).toBe(202);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint`, { token, body: { url: 'https://example.com/no' } })).status).toBe(403);
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${graph.endpointId}/secret`, { token })).status).toBe(403);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint/${graph.endpointId}/secret/rotate`, { token, body: {} })).status).toBe(403);
    const secrets = await portal('customer-1', { capabilities: ['ViewEndpointSecret'] });
    expect((await api.call('GET', `/api/v1/app/${app.id}/endpoint/${graph.endpointId}/secret`, { token: secrets.token })).status).toBe(200);
    expect((await api.call('POST', `/api/v1/app/${app.id}/endpoint/${graph.endpointId}/secret/rotate`, { token: secrets.token, body: {} })).status).toBe(403);
  });

  it('GET /auth/session says what the bearer is and may do', async () => {
    const full = await portal('customer-1');
    const ro = await portal('customer-1', { readOnly: true });
    const readKey = await createApiKey(prisma, tenant.tenantId, ['read']);
    const session = async (token: string) => api.call<Record<string, unknown>>('GET', '/api/v1/auth/session', { token });
    expect((await session(full.token)).body).toMatchObject({ kind: 'app_portal', tenantId: tenant.tenantId, appId: app.id, capabilities: FULL, scopes: [] });
    expect((await session(ro.token)).body).toMatchObject({ kind: 'app_portal', appId: app.id, capabilities: ['ViewBase'] });
    expect((await session(readKey)).body).toMatchObject({ kind: 'api_key', tenantId: tenant.tenantId, appId: null, scopes: ['read'], capabilities: [] });
    expect((await session(api.adminToken)).body).toMatchObject({ kind: 'operator', tenantId: null });
    expect((await session('hrld_nonsense')).status).toBe(401);
  });

  it('logout revokes the calling token at once (official client); API keys cannot log out', async () => {
    const { token } = await portal('customer-1');
    const svix = new Svix(token, { serverUrl: api.url });
    expect((await svix.application.get(app.id)).id).toBe(app.id);
    await svix.authentication.logout();
    expect((await api.call('GET', `/api/v1/app/${app.id}`, { token })).status).toBe(401);
    expect((await keyRow(token))!.revokedAt).not.toBeNull();
    expect(await prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId, action: 'app_portal.token_revoked' } })).toBe(1);
    // A read-only token may end its own session too.
    const ro = await portal('customer-1', { readOnly: true });
    expect((await api.call('POST', '/api/v1/auth/logout', { token: ro.token })).status).toBe(204);
    expect((await api.call('GET', `/api/v1/app/${app.id}`, { token: ro.token })).status).toBe(401);

    const res = await api.call<{ code: string }>('POST', '/api/v1/auth/logout', { token: tenant.apiKey });
    expect(res.status).toBe(403);
    expect((await api.call('GET', `/api/v1/app/${app.id}`, { token: tenant.apiKey })).status).toBe(200);
  });

  it('expire-all ends every portal token of the application, after an optional grace period, by session if asked (official client)', async () => {
    const svix = new Svix(tenant.apiKey, { serverUrl: api.url });
    const a = await portal('customer-2', { sessionId: 'sess-a' });
    const b = await portal('customer-2', { sessionId: 'sess-b' });
    const mine = await portal('customer-1');

    await svix.authentication.expireAll('customer-2', { sessionIds: ['sess-a'] });
    expect((await api.call('GET', `/api/v1/app/${sibling.id}`, { token: a.token })).status).toBe(401);
    expect((await api.call('GET', `/api/v1/app/${sibling.id}`, { token: b.token })).status).toBe(200);

    // A grace period: the token keeps working for now, and stops within the hour.
    await svix.authentication.expireAll(sibling.id, { expiry: 3600 });
    expect((await api.call('GET', `/api/v1/app/${sibling.id}`, { token: b.token })).status).toBe(200);
    expect((await keyRow(b.token))!.expiresAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000 + 5_000);

    await svix.authentication.expireAll(sibling.id);
    expect((await api.call('GET', `/api/v1/app/${sibling.id}`, { token: b.token })).status).toBe(401);
    // Another application's tokens are untouched.
    expect((await api.call('GET', `/api/v1/app/${app.id}`, { token: mine.token })).status).toBe(200);
    expect(await prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId, action: 'app_portal.tokens_expired' } })).toBe(3);

    // Bad input and other tenants change nothing.
    for (const body of [{ expiry: -1 }, { expiry: 'soon' }, { sessionIds: [''] }]) {
      expect((await api.call('POST', `/api/v1/auth/app/${app.id}/expire-all`, { token: tenant.apiKey, body })).status, JSON.stringify(body)).toBe(422);
    }
    expect((await api.call('POST', `/api/v1/auth/app/${app.id}/expire-all`, { token: other.apiKey, body: {} })).status).toBe(404);
    expect((await api.call('GET', `/api/v1/app/${app.id}`, { token: mine.token })).status).toBe(200);
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
    const res = await api.call<AccessOut>('POST', '/api/v1/auth/app-portal-access/portal-created', { token: tenant.apiKey, body: { application: { name: 'Made by portal', uid: 'portal-created' } } });
    expect(res.status).toBe(200);
    const created = await prisma.application.findFirst({ where: { tenantId: tenant.tenantId, uid: 'portal-created' } });
    expect(created).toMatchObject({ name: 'Made by portal' });
    expect((await keyRow(res.body.token))!.appId).toBe(created!.id);
    // Without `application`, a missing app is 404.
    expect((await api.call('POST', '/api/v1/auth/app-portal-access/nobody-here', { token: tenant.apiKey, body: {} })).status).toBe(404);
  });

  it('refuses invalid input (422), other tenants (404) and keys without write access (403), creating no key', async () => {
    const keysBefore = await prisma.apiKey.count({ where: { tenantId: tenant.tenantId } });
    for (const body of [{ expiry: 10 }, { expiry: 30 * 86_400 }, { featureFlags: ['bad flag'] }, { capabilities: ['Everything'] }, { application: { name: '' } }, { sessionId: '' }]) {
      expect((await api.call('POST', '/api/v1/auth/app-portal-access/customer-1', { token: tenant.apiKey, body })).status, JSON.stringify(body)).toBe(422);
    }
    for (const ref of [app.id, 'customer-1']) {
      expect((await api.call('POST', `/api/v1/auth/app-portal-access/${ref}`, { token: other.apiKey, body: {} })).status).toBe(404);
      expect((await api.call('POST', `/api/v1/auth/app-portal-access/${ref}`, { token: other.apiKey, body: { application: { name: 'x', uid: ref } } })).status).toBe(ref === app.id ? 404 : 200);
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
