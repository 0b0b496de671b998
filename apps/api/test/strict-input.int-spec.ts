import { Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type ApiResponse, type TestApi } from './harness';

interface Issue {
  loc: (string | number)[];
  msg: string;
  type: string;
}
interface ValidationOut {
  detail: Issue[];
}

/**
 * Input exactly as the Svix spec says: every refusal is a 422 in Svix's shape (or, for what
 * the HTTP layer refuses, `{code, detail}`), and nothing is stored.
 */
describe('strict input (Svix spec), nothing stored when refused', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let svix: Svix;
  let appId: string;
  let endpointId: string;

  const call = <T = unknown>(method: string, path: string, body?: unknown, extra: { rawBody?: string; headers?: Record<string, string> } = {}) =>
    api.call<T>(method, path, { token: tenant.apiKey, body, ...extra });
  /** Everything of the tenant that a refused request could have written. */
  const footprint = async () => ({
    apps: await prisma.application.count({ where: { tenantId: tenant.tenantId } }),
    endpoints: await prisma.endpoint.count({ where: { tenantId: tenant.tenantId } }),
    messages: await prisma.message.count({ where: { tenantId: tenant.tenantId } }),
    deliveries: await prisma.delivery.count({ where: { tenantId: tenant.tenantId } }),
    secrets: await prisma.endpointSecret.findMany({ where: { tenantId: tenant.tenantId }, select: { id: true, expiresAt: true }, orderBy: { id: 'asc' } }),
    headers: await prisma.endpointHeader.count({ where: { tenantId: tenant.tenantId } }),
    keys: await prisma.apiKey.count({ where: { tenantId: tenant.tenantId } }),
    eventTypes: await prisma.eventType.count({ where: { tenantId: tenant.tenantId } }),
    audit: await prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId } }),
  });
  /** `res` is a Svix 422 naming `loc`, and the tenant's data is as it was. */
  async function expectRefused(res: ApiResponse<unknown>, loc: (string | number)[], before: Awaited<ReturnType<typeof footprint>>, type?: string): Promise<void> {
    expect(res.status, res.text).toBe(422);
    const issues = (res.body as ValidationOut).detail;
    expect(issues.map((i) => i.loc), res.text).toContainEqual(loc);
    for (const i of issues) expect(Object.keys(i).sort()).toEqual(['loc', 'msg', 'type']);
    if (type) expect(issues.find((i) => JSON.stringify(i.loc) === JSON.stringify(loc))?.type).toBe(type);
    expect(await footprint()).toEqual(before);
  }

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('strict input');
    svix = new Svix(tenant.apiKey, { serverUrl: api.url });
    appId = (await svix.application.create({ name: 'strict', uid: 'strict-app' })).id;
    for (const name of ['order.paid', 'order.shipped']) await svix.eventType.create({ name, description: name });
    endpointId = (await svix.endpoint.create(appId, { url: 'https://receiver.example.com/strict', filterTypes: ['order.paid'], channels: ['eu'] })).id;
  });

  afterAll(async () => {
    await api.close();
  });

  it('message channels: 1 to 5', async () => {
    const before = await footprint();
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, { eventType: 'order.paid', payload: {}, channels: [] }), ['body', 'channels'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, { eventType: 'order.paid', payload: {}, channels: ['a', 'b', 'c', 'd', 'e', 'f'] }), ['body', 'channels'], before);
    const five = await svix.message.create(appId, { eventType: 'order.paid', payload: {}, channels: ['a', 'b', 'c', 'd', 'e'] });
    expect(five.channels).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('endpoint channels 1 to 10; filterTypes/eventTypes non-empty and naming existing types', async () => {
    const before = await footprint();
    const url = 'https://receiver.example.com/x';
    await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint`, { url, channels: [] }), ['body', 'channels'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint`, { url, channels: Array.from({ length: 11 }, (_, i) => `c${i}`) }), ['body', 'channels'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint`, { url, filterTypes: [] }), ['body', 'filterTypes'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint`, { url, eventTypes: [] }), ['body', 'eventTypes'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint`, { url, filterTypes: ['order.paid', 'no.such'] }), ['body', 'filterTypes', 1], before);
    await expectRefused(await call('PATCH', `/api/v1/app/${appId}/endpoint/${endpointId}`, { filterTypes: [] }), ['body', 'filterTypes'], before);
    await expectRefused(await call('PUT', `/api/v1/app/${appId}/endpoint/${endpointId}`, { url, channels: [] }), ['body', 'channels'], before);
    const ten = await svix.endpoint.create(appId, { url, channels: Array.from({ length: 10 }, (_, i) => `c${i}`) });
    expect(ten.channels).toHaveLength(10);
  });

  it('PUT of an endpoint without filterTypes/eventTypes (or channels) clears them', async () => {
    const ep = await svix.endpoint.create(appId, { url: 'https://receiver.example.com/put', filterTypes: ['order.paid', 'order.shipped'], channels: ['eu'] });
    expect(ep.filterTypes).toEqual(['order.paid', 'order.shipped']);
    const replaced = await svix.endpoint.update(appId, ep.id, { url: 'https://receiver.example.com/put' });
    expect(replaced.filterTypes ?? null).toBeNull();
    expect(replaced.channels ?? null).toBeNull();
    const stored = await prisma.endpoint.findUniqueOrThrow({ where: { id: ep.id } });
    expect(stored.filterTypes).toEqual([]);
    expect(stored.channels).toEqual([]);
  });

  it('PUT of an application without uid removes its uid', async () => {
    const app = await svix.application.create({ name: 'with uid', uid: 'put-drops-uid' });
    const replaced = await svix.application.update(app.id, { name: 'with uid' });
    expect(replaced.uid ?? null).toBeNull();
    expect((await call('GET', '/api/v1/app/put-drops-uid')).status).toBe(404);
  });

  it('an application created by message create or app-portal access must carry the path uid', async () => {
    const before = await footprint();
    const msg = { eventType: 'order.paid', payload: {} };
    await expectRefused(await call('POST', '/api/v1/app/new-by-msg/msg', { ...msg, application: { name: 'x' } }), ['body', 'application', 'uid'], before, 'application_uid_missing');
    await expectRefused(await call('POST', '/api/v1/app/new-by-msg/msg', { ...msg, application: { name: 'x', uid: 'other' } }), ['body', 'application', 'uid'], before, 'application_uid_mismatch');
    await expectRefused(await call('POST', '/api/v1/auth/app-portal-access/new-by-portal', { application: { name: 'x' } }), ['body', 'application', 'uid'], before, 'application_uid_missing');
    await expectRefused(await call('POST', '/api/v1/auth/app-portal-access/new-by-portal', { application: { name: 'x', uid: 'other' } }), ['body', 'application', 'uid'], before, 'application_uid_mismatch');

    const created = await svix.message.create('new-by-msg', { ...msg, application: { name: 'by message', uid: 'new-by-msg' } });
    expect(created.eventType).toBe('order.paid');
    expect((await svix.application.get('new-by-msg')).name).toBe('by message');
    const access = await svix.authentication.appPortalAccess('new-by-portal', { application: { name: 'by portal', uid: 'new-by-portal' } });
    expect(access.token).toMatch(/^hrld_/);
    expect((await svix.application.get('new-by-portal')).name).toBe('by portal');
    // An existing application: the body's application is ignored, whatever its uid.
    expect((await call('POST', '/api/v1/app/new-by-msg/msg', { ...msg, application: { name: 'x', uid: 'other' } })).status).toBe(202);
  });

  it('secret rotation needs a JSON object body', async () => {
    const before = await footprint();
    const path = `/api/v1/app/${appId}/endpoint/${endpointId}/secret/rotate`;
    await expectRefused(await call('POST', path), ['body'], before);
    await expectRefused(await call('POST', path, undefined, { rawBody: '[]', headers: { 'content-type': 'application/json' } }), ['body'], before);
    await expectRefused(await call('POST', path, undefined, { rawBody: '"rotate"', headers: { 'content-type': 'application/json' } }), ['body'], before);
    expect((await call('POST', path, {})).status).toBe(204);
  });

  it('header values: tab, 0x20–0x7E and 0x80–0xFF only', async () => {
    const before = await footprint();
    const path = `/api/v1/app/${appId}/endpoint/${endpointId}/headers`;
    for (const value of ['price \u20ac', 'x\u007fy', 'a\u0001b', 'line\nbreak', 'emoji \u{1F600}']) {
      await expectRefused(await call('PUT', path, { headers: { 'x-value': value } }), ['body', 'headers', 'x-value'], before);
    }
    await expectRefused(
      await call('POST', `/api/v1/app/${appId}/endpoint`, { url: 'https://receiver.example.com/h', headers: { 'x-value': 'caf\u00e9 \u20ac' } }),
      ['body', 'headers', 'x-value'],
      before,
    );
    expect((await call('PUT', path, { headers: { 'x-value': 'caf\u00e9\tok \u00ff' } })).status).toBe(204);
  });

  it('refuses NUL and unpaired surrogates in every string: names, keys, payloads, queries', async () => {
    const before = await footprint();
    const raw = (body: string) => ({ rawBody: body, headers: { 'content-type': 'application/json' } });
    await expectRefused(await call('POST', '/api/v1/app', { name: 'nul\u0000name' }), ['body', 'name'], before);
    await expectRefused(await call('POST', '/api/v1/app', undefined, raw('{"name":"lone \\ud800 high"}')), ['body', 'name'], before);
    await expectRefused(await call('POST', '/api/v1/app', undefined, raw('{"name":"lone \\udc00 low"}')), ['body', 'name'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, undefined, raw('{"eventType":"order.paid","payload":{"a":["ok","\\ud83d"]}}')), ['body', 'payload', 'a', 1], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, undefined, raw('{"eventType":"order.paid","payload":{"k\\u0000":1}}')), ['body', 'payload'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint`, { url: 'https://receiver.example.com/d', description: 'a\u0000b' }), ['body', 'description'], before);
    await expectRefused(await call('POST', '/api/v1/event-type', { name: 'nul.type', description: 'x\u0000' }), ['body', 'description'], before);
    const q = await call<ValidationOut>('GET', `/api/v1/app/${appId}/msg?channel=a%00b`);
    expect(q.status).toBe(422);
    expect(q.body.detail[0]!.loc).toEqual(['query', 'channel']);
    // A surrogate pair (an emoji) is fine.
    expect((await call('POST', `/api/v1/app/${appId}/msg`, undefined, raw('{"eventType":"order.paid","payload":{"e":"\\ud83d\\ude00"}}'))).status).toBe(202);
  });

  it('dates must be RFC 3339 with years 1–9999', async () => {
    const before = await footprint();
    for (const bad of ['tomorrow', '2030-01-01', '2030-02-30T00:00:00Z', '10000-01-01T00:00:00Z', '0000-12-31T00:00:00Z', '2030-01-01T00:00:00']) {
      await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, { eventType: 'order.paid', payload: {}, deliverAt: bad }), ['body', 'deliverAt'], before);
      await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint/${endpointId}/recover`, { since: bad }), ['body', 'since'], before);
      await expectRefused(await call('POST', '/api/v1/api-keys', { name: 'k', expiresAt: bad }), ['body', 'expiresAt'], before);
      const stats = await call('GET', `/api/v1/app/${appId}/endpoint/${endpointId}/stats?since=${encodeURIComponent(bad)}`);
      expect(stats.status, bad).toBe(422);
    }
    expect((await call('POST', '/api/v1/api-keys', { name: 'k', expiresAt: '9999-12-31T23:59:59+01:00' })).status).toBe(201);
  });

  it('refuses payload numbers beyond ±(2^53 − 1) instead of changing them', async () => {
    const before = await footprint();
    const raw = (body: string) => ({ rawBody: body, headers: { 'content-type': 'application/json' } });
    await expectRefused(
      await call('POST', `/api/v1/app/${appId}/msg`, undefined, raw('{"eventType":"order.paid","payload":{"order":{"id":9007199254740993}}}')),
      ['body', 'payload', 'order', 'id'],
      before,
    );
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, undefined, raw('{"eventType":"order.paid","payload":{"n":[1,-9007199254740992]}}')), ['body', 'payload', 'n', 1], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, undefined, raw('{"eventType":"order.paid","payload":{"big":1e300}}')), ['body', 'payload', 'big'], before);
    const ok = await call<{ id: string; payload: unknown }>('POST', `/api/v1/app/${appId}/msg`, undefined, raw('{"eventType":"order.paid","payload":{"max":9007199254740991,"min":-9007199254740991,"f":0.1}}'));
    expect(ok.status).toBe(202);
    expect(ok.body.payload).toEqual({ max: 9007199254740991, min: -9007199254740991, f: 0.1 });
  });

  it('refuses a deliverAt later than the payload retention (message or tenant)', async () => {
    const before = await footprint();
    const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, { eventType: 'order.paid', payload: {}, payloadRetentionHours: 1, deliverAt: inHours(2) }), ['body', 'deliverAt'], before);
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, { eventType: 'order.paid', payload: {}, payloadRetentionPeriod: 5, deliverAt: inHours(24 * 6) }), ['body', 'deliverAt'], before);
    // Refused before an application is created from the body.
    await expectRefused(
      await call('POST', '/api/v1/app/late-app/msg', { eventType: 'order.paid', payload: {}, payloadRetentionHours: 1, deliverAt: inHours(2), application: { name: 'late', uid: 'late-app' } }),
      ['body', 'deliverAt'],
      before,
    );
    expect((await call('PATCH', '/api/v1/tenant/settings', { payloadRetentionDays: 1 })).status).toBe(200);
    const afterSettings = await footprint();
    await expectRefused(await call('POST', `/api/v1/app/${appId}/msg`, { eventType: 'order.paid', payload: {}, deliverAt: inHours(30) }), ['body', 'deliverAt'], afterSettings);
    expect((await call('POST', `/api/v1/app/${appId}/msg`, { eventType: 'order.paid', payload: {}, deliverAt: inHours(20) })).status).toBe(202);
  });

  it('refuses https://localhost./ like localhost, for endpoints and the operational webhook', async () => {
    const before = await footprint();
    for (const url of ['https://localhost./', 'https://LocalHost../x', 'https://a.localhost./']) {
      await expectRefused(await call('POST', `/api/v1/app/${appId}/endpoint`, { url }), ['body', 'url'], before);
      await expectRefused(await call('PATCH', `/api/v1/app/${appId}/endpoint/${endpointId}`, { url }), ['body', 'url'], before);
      await expectRefused(await call('PATCH', '/api/v1/tenant/settings', { operationalWebhookUrl: url }), ['body', 'operationalWebhookUrl'], before);
    }
  });

  it('answers what the HTTP layer refuses in the same error shape, never repeating the query string', async () => {
    const secret = 'hrld_pasted_by_mistake';
    const cases: [string, string, number, string][] = [
      ['GET', `/api/v1/no-such-route?token=${secret}`, 404, 'not_found'],
      ['DELETE', `/api/v1/health?token=${secret}`, 404, 'not_found'],
      ['GET', `/api/v1/app/%E0%A4%A?token=${secret}`, 400, 'bad_request'],
      ['GET', `/api/v1/app/%ZZ?token=${secret}`, 400, 'bad_request'],
      ['GET', `/api/v1/app/${'a'.repeat(2000)}?token=${secret}`, 414, 'uri_too_long'],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await call<{ code: string; detail: string }>(method, path);
      expect(res.status, path.slice(0, 60)).toBe(status);
      expect(Object.keys(res.body).sort()).toEqual(['code', 'detail']);
      expect(res.body.code).toBe(code);
      expect(res.text).not.toContain(secret);
      expect(String(res.headers['content-type'])).toContain('application/json');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    // A long (but not over-long) path parameter is an ordinary 422, as any too-long uid.
    const long = await call<ValidationOut>('GET', `/api/v1/app/${'a'.repeat(300)}`);
    expect(long.status).toBe(422);
    expect(long.body.detail[0]!.loc).toEqual(['path', 'app_id']);
    const badJson = await call<{ code: string; detail: string }>('POST', `/api/v1/app?token=${secret}`, undefined, { rawBody: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect(Object.keys(badJson.body).sort()).toEqual(['code', 'detail']);
    expect(badJson.text).not.toContain(secret);
  });
});
