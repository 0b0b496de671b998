import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantKeysService, tenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { createApiKey } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface EndpointOut {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  version: number;
  throttleRate: number | null;
  rateLimit: number | null;
  disabled: boolean;
  eventTypes: string[] | null;
  filterTypes: string[] | null;
  channels: string[] | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}
interface ListOut<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}
interface ValidationOut {
  detail: { loc: (string | number)[]; msg: string; type: string }[];
}

describe('endpoint API', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let other: { tenantId: string; apiKey: string };
  let appId: string;
  const APP_UID = 'endpoints-app';

  const epPath = (endpoint = ''): string => `/api/v1/app/${appId}/endpoint${endpoint ? `/${endpoint}` : ''}`;
  const endpointCount = (): Promise<number> => prisma.endpoint.count({ where: { tenantId: tenant.tenantId } });
  const create = async (body: Record<string, unknown>): Promise<EndpointOut> => {
    const res = await api.call<EndpointOut>('POST', epPath(), { token: tenant.apiKey, body });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  const auditCount = (action: string, targetId: string): Promise<number> => prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId, action, targetId } });

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('endpoints');
    other = await api.createTenant('endpoints other');
    appId = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'Endpoints', uid: APP_UID } })).body.id;
    for (const name of ['invoice.paid', 'invoice.void', 'old.type']) {
      await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name, description: name } });
    }
    await api.call('DELETE', '/api/v1/event-type/old.type', { token: tenant.apiKey });
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates an endpoint with a normalised URL, a generated secret, both filter spellings and audit', async () => {
    const ep = await create({ url: 'HTTPS://Example.COM:443/a/../hook', uid: 'ep-one', filterTypes: ['invoice.paid'], channels: ['eu'], rateLimit: 7, metadata: { team: 'billing' } });
    expect(ep).toMatchObject({
      uid: 'ep-one',
      url: 'https://example.com/hook',
      description: '',
      version: 1,
      disabled: false,
      filterTypes: ['invoice.paid'],
      eventTypes: ['invoice.paid'],
      channels: ['eu'],
      rateLimit: 7,
      throttleRate: 7,
      metadata: { team: 'billing' },
    });
    expect(ep.id).toMatch(/^ep_/);

    const byUid = await api.call<EndpointOut>('GET', `/api/v1/app/${APP_UID}/endpoint/ep-one`, { token: tenant.apiKey });
    expect(byUid.body).toEqual(ep);

    const secret = await api.call<{ key: string }>('GET', epPath(`${ep.id}/secret`), { token: tenant.apiKey });
    expect(secret.status).toBe(200);
    expect(secret.body.key).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.body.key.slice(6), 'base64')).toHaveLength(24);

    expect(await auditCount('endpoint.created', ep.id)).toBe(1);
    expect(await auditCount('endpoint.secret.revealed', ep.id)).toBe(1);

    // The spec's spelling works on input too.
    const spec = await create({ url: 'https://example.com/spec', eventTypes: ['invoice.void'], throttleRate: 3 });
    expect(spec).toMatchObject({ filterTypes: ['invoice.void'], eventTypes: ['invoice.void'], rateLimit: 3, channels: null });
  });

  it('accepts a custom whsec_ secret and an ed25519 whsk_ secret (revealed with its public key)', async () => {
    const custom = `whsec_${randomBytes(32).toString('base64')}`;
    const hmac = await create({ url: 'https://example.com/custom', secret: custom });
    expect((await api.call<{ key: string }>('GET', epPath(`${hmac.id}/secret`), { token: tenant.apiKey })).body).toEqual({ key: custom });

    const seed = `whsk_${randomBytes(32).toString('base64')}`;
    const asym = await create({ url: 'https://example.com/asym', secret: seed });
    const revealed = await api.call<{ key: string; publicKey: string }>('GET', epPath(`${asym.id}/secret`), { token: tenant.apiKey });
    expect(revealed.body.key).toBe(seed);
    expect(revealed.body.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const row = await prisma.endpointSecret.findFirst({ where: { endpointId: asym.id } });
    expect(row).toMatchObject({ kind: 'ed25519', publicKey: revealed.body.publicKey, expiresAt: null });
  });

  it('refuses literal private and metadata addresses in every spelling with 422 and the reason', async () => {
    const before = await endpointCount();
    for (const url of ['http://127.0.0.1/x', 'http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::1]/', 'http://169.254.169.254/latest', 'http://10.1.2.3/', 'http://localhost:8080/']) {
      const res = await api.call<ValidationOut>('POST', epPath(), { token: tenant.apiKey, body: { url } });
      expect(res.status, url).toBe(422);
      expect(res.body.detail[0]).toMatchObject({ loc: ['body', 'url'] });
      expect(res.body.detail[0]!.msg, url).toMatch(/not allowed/);
    }
    for (const url of ['ftp://example.com/', 'not a url', 'https://user:pw@example.com/']) {
      expect((await api.call('POST', epPath(), { token: tenant.apiKey, body: { url } })).status, url).toBe(422);
    }
    const ep = await create({ url: 'https://example.com/patch-target' });
    const patch = await api.call<ValidationOut>('PATCH', epPath(ep.id), { token: tenant.apiKey, body: { url: 'http://[::ffff:127.0.0.1]:9000/' } });
    expect(patch.status).toBe(422);
    expect((await api.call<EndpointOut>('GET', epPath(ep.id), { token: tenant.apiKey })).body.url).toBe('https://example.com/patch-target');
    expect(await endpointCount()).toBe(before + 1);
  });

  it('refuses invalid endpoint bodies with 422 and creates nothing', async () => {
    const before = await endpointCount();
    const bodies: Record<string, unknown>[] = [
      {},
      { url: '' },
      { url: 'https://example.com/', filterTypes: ['no.such.type'] },
      { url: 'https://example.com/', filterTypes: ['old.type'] },
      { url: 'https://example.com/', filterTypes: ['invoice.paid', 'invoice.paid'] },
      { url: 'https://example.com/', filterTypes: ['invoice.paid'], eventTypes: ['invoice.void'] },
      { url: 'https://example.com/', channels: Array.from({ length: 11 }, (_, i) => `c${i}`) },
      { url: 'https://example.com/', channels: ['bad channel'] },
      { url: 'https://example.com/', uid: 'bad uid' },
      { url: 'https://example.com/', secret: 'whsec_short' },
      { url: 'https://example.com/', secret: `whsk_${randomBytes(16).toString('base64')}` },
      { url: 'https://example.com/', rateLimit: 0 },
      { url: 'https://example.com/', metadata: { n: 1 } },
      { url: 'https://example.com/', headers: { 'x-ok': 'fine', 'bad\r\nname': 'x' } },
    ];
    for (const body of bodies) {
      const res = await api.call<ValidationOut>('POST', epPath(), { token: tenant.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail[0]!.loc[0]).toBe('body');
    }
    expect(await endpointCount()).toBe(before);
  });

  it('lists, replaces (PUT), patches and deletes endpoints', async () => {
    const app = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'List' } })).body.id;
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      ids.push((await api.call<EndpointOut>('POST', `/api/v1/app/${app}/endpoint`, { token: tenant.apiKey, body: { url: `https://example.com/${i}` } })).body.id);
    }
    const full = await api.call<ListOut<EndpointOut>>('GET', `/api/v1/app/${app}/endpoint`, { token: tenant.apiKey });
    const order = full.body.data.map((e) => e.id);
    expect([...order].sort()).toEqual([...ids].sort());
    const page1 = await api.call<ListOut<EndpointOut>>('GET', `/api/v1/app/${app}/endpoint?limit=2`, { token: tenant.apiKey });
    expect(page1.body.data.map((e) => e.id)).toEqual(order.slice(0, 2));
    expect(page1.body.done).toBe(false);
    const page2 = await api.call<ListOut<EndpointOut>>('GET', `/api/v1/app/${app}/endpoint?limit=2&iterator=${page1.body.iterator}`, { token: tenant.apiKey });
    expect(page2.body.data.map((e) => e.id)).toEqual(order.slice(2));
    expect(page2.body.done).toBe(true);

    const put = await api.call<EndpointOut>('PUT', `/api/v1/app/${app}/endpoint/${ids[0]}`, {
      token: tenant.apiKey,
      body: { url: 'https://example.org/replaced', description: 'replaced', eventTypes: ['invoice.paid'], disabled: true },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: ids[0], url: 'https://example.org/replaced', description: 'replaced', filterTypes: ['invoice.paid'], disabled: true, metadata: {} });
    expect(await prisma.endpoint.findUnique({ where: { id: ids[0]! }, select: { disabledReason: true } })).toEqual({ disabledReason: 'manual' });

    const putNew = await api.call<EndpointOut>('PUT', `/api/v1/app/${app}/endpoint/new-by-put`, { token: tenant.apiKey, body: { url: 'https://example.org/new' } });
    expect(putNew.status).toBe(201);
    expect(putNew.body.uid).toBe('new-by-put');

    const patched = await api.call<EndpointOut>('PATCH', `/api/v1/app/${app}/endpoint/${ids[0]}`, { token: tenant.apiKey, body: { disabled: false, filterTypes: null, version: 2 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ disabled: false, filterTypes: null, eventTypes: null, description: 'replaced', version: 2 });
    expect(await prisma.endpoint.findUnique({ where: { id: ids[0]! }, select: { disabledReason: true, failingSince: true } })).toEqual({ disabledReason: null, failingSince: null });

    expect((await api.call('DELETE', `/api/v1/app/${app}/endpoint/new-by-put`, { token: tenant.apiKey })).status).toBe(204);
    expect((await api.call('GET', `/api/v1/app/${app}/endpoint/new-by-put`, { token: tenant.apiKey })).status).toBe(404);
    expect(await auditCount('endpoint.deleted', putNew.body.id)).toBe(1);
    expect(await auditCount('endpoint.updated', ids[0]!)).toBe(2);

    // Duplicate uid inside one application: 409.
    expect((await api.call('POST', `/api/v1/app/${app}/endpoint`, { token: tenant.apiKey, body: { url: 'https://example.org/a', uid: 'same' } })).status).toBe(201);
    expect((await api.call('POST', `/api/v1/app/${app}/endpoint`, { token: tenant.apiKey, body: { url: 'https://example.org/b', uid: 'same' } })).status).toBe(409);
  });

  it('sets, merges and redacts custom headers; invalid headers are 422 each and change nothing', async () => {
    const ep = await create({ url: 'https://example.com/headers' });
    const put = await api.call('PUT', epPath(`${ep.id}/headers`), {
      token: tenant.apiKey,
      body: { headers: { 'X-Tenant': 'acme', Authorization: 'Bearer sensitive-auth-value', 'X-Api-Key': 'sensitive-api-key-value' } },
    });
    expect(put.status).toBe(204);
    const got = await api.call<{ headers: Record<string, string>; sensitive: string[] }>('GET', epPath(`${ep.id}/headers`), { token: tenant.apiKey });
    // Names keep the capitalization they were given (as Svix).
    expect(got.body.headers).toEqual({ 'X-Tenant': 'acme' });
    expect([...got.body.sensitive].sort()).toEqual(['Authorization', 'X-Api-Key']);
    expect(got.text).not.toContain('sensitive-auth-value');

    const patch = await api.call('PATCH', epPath(`${ep.id}/headers`), { token: tenant.apiKey, body: { headers: { 'x-tenant': null, 'X-Region': 'eu' } } });
    expect(patch.status).toBe(204);
    const merged = await api.call<{ headers: Record<string, string>; sensitive: string[] }>('GET', epPath(`${ep.id}/headers`), { token: tenant.apiKey });
    // `x-tenant: null` removed `X-Tenant`: names compare case-insensitively.
    expect(merged.body.headers).toEqual({ 'X-Region': 'eu' });
    expect(merged.body.sensitive).toHaveLength(2);

    const invalid: Record<string, string>[] = [
      { 'x-a': 'line\r\nInjected: yes' },
      { 'x-a': 'nul\u0000byte' },
      { 'bad name': 'x' },
      { 'bad:name': 'x' },
      { Connection: 'close' },
      { 'Keep-Alive': '5' },
      { 'Transfer-Encoding': 'chunked' },
      { Upgrade: 'websocket' },
      { TE: 'trailers' },
      { Trailer: 'x' },
      { 'Proxy-Authorization': 'x' },
      { 'webhook-signature': 'v1,forged' },
      { 'svix-id': 'msg_x' },
      { 'Content-Type': 'text/plain' },
      { Host: 'evil.example' },
      { 'User-Agent': 'x' },
    ];
    for (const headers of invalid) {
      const res = await api.call<ValidationOut>('PUT', epPath(`${ep.id}/headers`), { token: tenant.apiKey, body: { headers } });
      expect(res.status, JSON.stringify(headers)).toBe(422);
      const res2 = await api.call('PATCH', epPath(`${ep.id}/headers`), { token: tenant.apiKey, body: { headers } });
      expect(res2.status, JSON.stringify(headers)).toBe(422);
    }
    const after = await api.call<{ headers: Record<string, string>; sensitive: string[] }>('GET', epPath(`${ep.id}/headers`), { token: tenant.apiKey });
    expect(after.body).toEqual(merged.body);
    expect(await auditCount('endpoint.headers.updated', ep.id)).toBe(2);
  });

  it('stores secrets and header values only encrypted', async () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const ep = await create({ url: 'https://example.com/at-rest', secret, headers: { 'X-Auth-Token': 'at-rest-token-3c9e1f' } });
    await api.call('POST', epPath(`${ep.id}/secret/rotate`), { token: tenant.apiKey, body: {} });
    const secrets = await prisma.$queryRaw<{ secret_enc: Buffer }[]>`SELECT secret_enc FROM endpoint_secrets WHERE tenant_id = ${tenant.tenantId}`;
    const headers = await prisma.$queryRaw<{ value_enc: Buffer; sensitive: boolean }[]>`SELECT value_enc, sensitive FROM endpoint_headers WHERE endpoint_id = ${ep.id}`;
    expect(secrets.length).toBeGreaterThan(2);
    expect(headers).toHaveLength(1);
    expect(headers[0]!.sensitive).toBe(true);
    const secretBody = secret.slice('whsec_'.length);
    for (const row of secrets) {
      const bytes = Buffer.from(row.secret_enc);
      expect(bytes.includes(secret)).toBe(false);
      expect(bytes.includes(secretBody)).toBe(false);
      expect(bytes.includes(Buffer.from(secretBody, 'base64'))).toBe(false);
      expect(bytes.includes('whsec_')).toBe(false);
    }
    expect(Buffer.from(headers[0]!.value_enc).includes('at-rest-token-3c9e1f')).toBe(false);
    // …and they decrypt with the tenant's key, which is what the dispatcher does.
    const keys = api.app.get(TenantKeysService);
    expect(await keys.decryptString(tenantScope(tenant.tenantId), headers[0]!.value_enc)).toBe('at-rest-token-3c9e1f');
  });

  it('rotates: the old secret keeps signing until its expiry, at most 10 old ones are kept, and both steps are audited', async () => {
    const first = `whsec_${randomBytes(24).toString('base64')}`;
    const ep = await create({ url: 'https://example.com/rotate', secret: first });
    const t0 = Date.now();
    expect((await api.call('POST', epPath(`${ep.id}/secret/rotate`), { token: tenant.apiKey, body: {} })).status).toBe(204);
    const revealed = await api.call<{ key: string }>('GET', epPath(`${ep.id}/secret`), { token: tenant.apiKey });
    expect(revealed.body.key).not.toBe(first);
    expect(revealed.body.key).toMatch(/^whsec_/);

    const rows = await prisma.endpointSecret.findMany({ where: { endpointId: ep.id }, orderBy: { createdAt: 'asc' } });
    expect(rows).toHaveLength(2);
    const keys = api.app.get(TenantKeysService);
    const scope = tenantScope(tenant.tenantId);
    expect(await keys.decryptString(scope, rows[0]!.secretEnc)).toBe(first);
    const graceEnd = rows[0]!.expiresAt!.getTime();
    expect(graceEnd).toBeGreaterThanOrEqual(t0 + 86_400_000 - 5_000);
    expect(graceEnd).toBeLessThanOrEqual(Date.now() + 86_400_000 + 5_000);
    expect(rows[1]!.expiresAt).toBeNull();

    // A custom key and a custom grace period.
    const chosen = `whsec_${randomBytes(24).toString('base64')}`;
    expect((await api.call('POST', epPath(`${ep.id}/secret/rotate`), { token: tenant.apiKey, body: { key: chosen, gracePeriodSeconds: 60 } })).status).toBe(204);
    expect((await api.call<{ key: string }>('GET', epPath(`${ep.id}/secret`), { token: tenant.apiKey })).body.key).toBe(chosen);

    for (let i = 0; i < 11; i += 1) await api.call('POST', epPath(`${ep.id}/secret/rotate`), { token: tenant.apiKey, body: {} });
    const after = await prisma.endpointSecret.findMany({ where: { endpointId: ep.id } });
    expect(after.filter((s) => s.expiresAt === null)).toHaveLength(1);
    expect(after.filter((s) => s.expiresAt !== null)).toHaveLength(10);

    // Grace 0: the previous secret stops signing at once (and is dropped).
    const current = after.find((s) => s.expiresAt === null)!;
    await api.call('POST', epPath(`${ep.id}/secret/rotate`), { token: tenant.apiKey, body: { gracePeriodSeconds: 0 } });
    expect(await prisma.endpointSecret.findUnique({ where: { id: current.id } })).toBeNull();
    expect(await prisma.endpointSecret.count({ where: { endpointId: ep.id, expiresAt: null } })).toBe(1);

    expect(await auditCount('endpoint.secret.rotated', ep.id)).toBe(14);
    expect(await auditCount('endpoint.secret.revealed', ep.id)).toBe(2);

    const bad = await api.call<ValidationOut>('POST', epPath(`${ep.id}/secret/rotate`), { token: tenant.apiKey, body: { key: 'whsec_tooshort' } });
    expect(bad.status).toBe(422);
    expect((await api.call('POST', epPath(`${ep.id}/secret/rotate`), { token: tenant.apiKey, body: { gracePeriodSeconds: 999_999_999 } })).status).toBe(422);
    expect(await auditCount('endpoint.secret.rotated', ep.id)).toBe(14);
  });

  it('counts deliveries per status in stats, within since/until', async () => {
    const ep = await create({ url: 'https://example.com/stats' });
    const message = await prisma.message.create({
      data: { id: newId('msg'), tenantId: tenant.tenantId, appId, eventType: 'invoice.paid', payloadSize: 2, payloadExpiresAt: new Date(Date.now() + 86_400_000) },
    });
    const statuses = ['success', 'success', 'pending', 'sending', 'failed', 'skipped'];
    const old = new Date(Date.now() - 10 * 86_400_000);
    for (const [i, status] of statuses.entries()) {
      const msgId = i === 0 ? message.id : (await prisma.message.create({ data: { id: newId('msg'), tenantId: tenant.tenantId, appId, eventType: 'invoice.paid', payloadSize: 2, payloadExpiresAt: new Date(Date.now() + 86_400_000) } })).id;
      await prisma.delivery.create({ data: { id: newId('dlv'), tenantId: tenant.tenantId, appId, messageId: msgId, endpointId: ep.id, status, createdAt: i === 1 ? old : new Date() } });
    }
    const stats = await api.call('GET', epPath(`${ep.id}/stats`), { token: tenant.apiKey });
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual({ success: 2, pending: 1, sending: 1, fail: 1, canceled: 1 });
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const recent = await api.call('GET', epPath(`${ep.id}/stats?since=${encodeURIComponent(since)}`), { token: tenant.apiKey });
    expect(recent.body).toEqual({ success: 1, pending: 1, sending: 1, fail: 1, canceled: 1 });
    const until = await api.call('GET', epPath(`${ep.id}/stats?until=${encodeURIComponent(since)}`), { token: tenant.apiKey });
    expect(until.body).toEqual({ success: 1, pending: 0, sending: 0, fail: 0, canceled: 0 });
    expect((await api.call('GET', epPath(`${ep.id}/stats?since=yesterday`), { token: tenant.apiKey })).status).toBe(422);
  });

  it("answers 404 for another tenant's application and endpoint ids or uids, and changes nothing", async () => {
    const ep = await create({ url: 'https://example.com/private', uid: 'private-ep', headers: { 'x-a': '1' } });
    const otherApp = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: other.apiKey, body: { name: 'theirs' } })).body.id;
    const refs: [string, string][] = [
      [appId, ep.id],
      [APP_UID, 'private-ep'],
      [otherApp, ep.id],
      [otherApp, 'private-ep'],
    ];
    for (const [a, e] of refs) {
      const base = `/api/v1/app/${a}/endpoint/${e}`;
      const calls: [string, string, unknown][] = [
        ['GET', base, undefined],
        ['PATCH', base, { description: 'hijacked' }],
        ['PUT', base, { url: 'https://evil.example/' }],
        ['DELETE', base, undefined],
        ['GET', `${base}/secret`, undefined],
        ['POST', `${base}/secret/rotate`, {}],
        ['GET', `${base}/headers`, undefined],
        ['PUT', `${base}/headers`, { headers: { 'x-b': '2' } }],
        ['PATCH', `${base}/headers`, { headers: { 'x-a': null } }],
        ['GET', `${base}/stats`, undefined],
      ];
      for (const [method, path, body] of calls) {
        // PUT with a uid on the caller's own application creates the caller's own endpoint: below.
        if (method === 'PUT' && a === otherApp && e === 'private-ep' && path === base) continue;
        const res = await api.call(method, path, { token: other.apiKey, body });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
    }
    const own = await api.call<EndpointOut>('PUT', `/api/v1/app/${otherApp}/endpoint/private-ep`, { token: other.apiKey, body: { url: 'https://example.net/' } });
    expect(own.status).toBe(201);
    expect(own.body.id).not.toBe(ep.id);
    expect((await api.call('GET', `/api/v1/app/${appId}/endpoint`, { token: other.apiKey })).status).toBe(404);
    expect((await api.call('POST', `/api/v1/app/${APP_UID}/endpoint`, { token: other.apiKey, body: { url: 'https://evil.example/' } })).status).toBe(404);

    const after = await api.call<EndpointOut>('GET', epPath(ep.id), { token: tenant.apiKey });
    expect(after.body).toEqual(ep);
    expect(await prisma.endpointSecret.count({ where: { endpointId: ep.id } })).toBe(1);
    expect(await prisma.endpointHeader.count({ where: { endpointId: ep.id } })).toBe(1);
    expect(await prisma.auditLogEntry.count({ where: { tenantId: other.tenantId, targetId: ep.id } })).toBe(0);
  });

  it('lets a read key read (not secrets) but not write, and a send key do neither', async () => {
    const readKey = await createApiKey(prisma, tenant.tenantId, ['read']);
    const sendKey = await createApiKey(prisma, tenant.tenantId, ['send']);
    const ep = await create({ url: 'https://example.com/scoped' });
    const before = await endpointCount();
    const secretsBefore = await prisma.endpointSecret.count({ where: { endpointId: ep.id } });

    expect((await api.call('GET', epPath(), { token: readKey })).status).toBe(200);
    expect((await api.call('GET', epPath(ep.id), { token: readKey })).status).toBe(200);
    expect((await api.call('GET', epPath(`${ep.id}/headers`), { token: readKey })).status).toBe(200);
    expect((await api.call('GET', epPath(`${ep.id}/stats`), { token: readKey })).status).toBe(200);
    expect((await api.call('GET', epPath(`${ep.id}/secret`), { token: readKey })).status).toBe(403);
    expect((await api.call('POST', epPath(), { token: readKey, body: { url: 'https://example.com/no' } })).status).toBe(403);
    expect((await api.call('PATCH', epPath(ep.id), { token: readKey, body: { description: 'no' } })).status).toBe(403);
    expect((await api.call('DELETE', epPath(ep.id), { token: readKey })).status).toBe(403);
    expect((await api.call('POST', epPath(`${ep.id}/secret/rotate`), { token: readKey, body: {} })).status).toBe(403);
    expect((await api.call('PUT', epPath(`${ep.id}/headers`), { token: readKey, body: { headers: {} } })).status).toBe(403);

    for (const path of [epPath(), epPath(ep.id), epPath(`${ep.id}/headers`), epPath(`${ep.id}/stats`), epPath(`${ep.id}/secret`)]) {
      expect((await api.call('GET', path, { token: sendKey })).status, path).toBe(403);
    }
    expect((await api.call('POST', epPath(), { token: sendKey, body: { url: 'https://example.com/no' } })).status).toBe(403);

    expect(await endpointCount()).toBe(before);
    expect(await prisma.endpointSecret.count({ where: { endpointId: ep.id } })).toBe(secretsBefore);
    expect(await auditCount('endpoint.secret.revealed', ep.id)).toBe(0);
  });
});

describe('endpoint API with HERALD_DELIVERY_ALLOWED_CIDRS=127.0.0.0/8', () => {
  let api: TestApi;
  let token: string;
  let appId: string;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    token = (await api.createTenant('endpoints allowlist')).apiKey;
    appId = (await api.call<{ id: string }>('POST', '/api/v1/app', { token, body: { name: 'Local' } })).body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  it('accepts loopback URLs inside the allowlist and still refuses other private ranges', async () => {
    const local = await api.call<EndpointOut>('POST', `/api/v1/app/${appId}/endpoint`, { token, body: { url: 'http://127.0.0.1:9999/hook' } });
    expect(local.status).toBe(201);
    expect(local.body.url).toBe('http://127.0.0.1:9999/hook');
    const decimal = await api.call<EndpointOut>('POST', `/api/v1/app/${appId}/endpoint`, { token, body: { url: 'http://2130706433/' } });
    expect(decimal.status).toBe(201);
    expect(decimal.body.url).toBe('http://127.0.0.1/');
    for (const url of ['http://10.0.0.1/', 'http://169.254.169.254/', 'http://[::1]/']) {
      expect((await api.call('POST', `/api/v1/app/${appId}/endpoint`, { token, body: { url } })).status, url).toBe(422);
    }
  });
});
