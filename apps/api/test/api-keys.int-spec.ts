import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

interface KeyCreated {
  id: string;
  name: string;
  key: string;
  scopes: string[];
  expiresAt: string | null;
  allowedCidrs: string[];
  createdAt: string;
}
interface KeyListed extends Omit<KeyCreated, 'key'> {
  prefix: string;
}
interface List<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

describe('/api/v1/api-keys and the access rules of keys', () => {
  let api: TestApi;
  let proxied: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    [api, proxied] = await Promise.all([startTestApi(), startTestApi({ HERALD_TRUST_PROXY: '127.0.0.1/32' })]);
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await Promise.all([api.close(), proxied.close()]);
  });

  const createKey = (token: string, body: Record<string, unknown>, on: TestApi = api) => on.call<KeyCreated>('POST', '/api/v1/api-keys', { token, body });

  it('creates a key (defaults: scope all, no expiry, any address) that works at once; the secret is shown only here', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const res = await createKey(apiKey, { name: 'ci' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^key_/),
      name: 'ci',
      key: expect.stringMatching(/^hrld_/),
      scopes: ['all'],
      expiresAt: null,
      allowedCidrs: [],
      createdAt: expect.any(String),
    });
    const list = await api.call<List<KeyListed>>('GET', '/api/v1/api-keys', { token: res.body.key });
    expect(list.status).toBe(200);
    const listed = list.body.data.find((k) => k.id === res.body.id)!;
    expect(listed).toEqual({ id: res.body.id, name: 'ci', prefix: res.body.key.slice(0, 12), scopes: ['all'], expiresAt: null, allowedCidrs: [], createdAt: res.body.createdAt });
    expect(list.text).not.toContain(res.body.key);
    const stored = await prisma.apiKey.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(Buffer.from(stored.keyHash).equals(hashApiKey(res.body.key))).toBe(true);
    const audit = await prisma.auditLogEntry.findFirstOrThrow({ where: { tenantId, action: 'api_key.created', targetId: res.body.id } });
    expect(audit.details).toMatchObject({ name: 'ci', scopes: ['all'] });
  });

  it('accepts scopes, a future expiry and CIDRs', async () => {
    const { apiKey } = await api.createTenant();
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const res = await createKey(apiKey, { name: 'reader', scopes: ['read', 'read'], expiresAt, allowedCidrs: ['127.0.0.1/32', '::1/128'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ scopes: ['read'], expiresAt, allowedCidrs: ['127.0.0.1/32', '::1/128'] });
    expect((await api.call('GET', '/api/v1/api-keys', { token: res.body.key })).status).toBe(200);
  });

  it('refuses invalid keys with 422 and creates nothing', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const before = await prisma.apiKey.count({ where: { tenantId } });
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', expiresAt: new Date(Date.now() - 1000).toISOString() }, 'expiresAt'],
      [{ name: 'x', expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', allowedCidrs: ['10.0.0.0/33'] }, 'allowedCidrs'],
      [{ name: 'x', allowedCidrs: ['not-a-cidr'] }, 'allowedCidrs'],
      [{ name: 'x', allowedCidrs: ['10.0.0.1'] }, 'allowedCidrs'],
      [{ name: 'x', scopes: ['admin'] }, 'scopes'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: '' }, 'name'],
      [{ name: 'nul\u0000byte' }, 'name'],
      [{}, 'name'],
    ];
    for (const [body, field] of cases) {
      const res = await createKey(apiKey, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((res.body as unknown as { detail: { loc: string[] }[] }).detail[0]!.loc.slice(0, 2)).toEqual(['body', field]);
    }
    expect(await prisma.apiKey.count({ where: { tenantId } })).toBe(before);
  });

  it('revokes a key: 204, refused at once, audited, gone from the list; a second revoke is 404', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const doomed = (await createKey(apiKey, { name: 'doomed' })).body;
    expect((await api.call('GET', '/api/v1/api-keys', { token: doomed.key })).status).toBe(200);
    const res = await api.call('DELETE', `/api/v1/api-keys/${doomed.id}`, { token: apiKey });
    expect(res.status).toBe(204);
    const refused = await api.call<{ code: string }>('GET', '/api/v1/api-keys', { token: doomed.key });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('authentication_failed');
    const list = await api.call<List<KeyListed>>('GET', '/api/v1/api-keys', { token: apiKey });
    expect(list.body.data.map((k) => k.id)).not.toContain(doomed.id);
    expect(await prisma.auditLogEntry.count({ where: { tenantId, action: 'api_key.revoked', targetId: doomed.id } })).toBe(1);
    expect((await api.call('DELETE', `/api/v1/api-keys/${doomed.id}`, { token: apiKey })).status).toBe(404);
  });

  it("cannot see or revoke another tenant's key (404, nothing changed)", async () => {
    const a = await api.createTenant();
    const b = await api.createTenant();
    const bKey = (await createKey(b.apiKey, { name: 'b-key' })).body;
    const res = await api.call('DELETE', `/api/v1/api-keys/${bKey.id}`, { token: a.apiKey });
    expect(res.status).toBe(404);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: bKey.id } })).revokedAt).toBeNull();
    expect((await api.call('GET', '/api/v1/api-keys', { token: bKey.key })).status).toBe(200);
    const aList = await api.call<List<KeyListed>>('GET', '/api/v1/api-keys?limit=250', { token: a.apiKey });
    expect(aList.body.data.map((k) => k.id)).not.toContain(bKey.id);
  });

  it('does not list app-portal tokens, nor revoke them here', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const portalId = newId('key');
    await prisma.apiKey.create({
      data: { id: portalId, tenantId, name: 'portal', keyHash: new Uint8Array(hashApiKey(`portal-${portalId}`)), keyPrefix: 'hrld_portal', scopes: [], appId: 'app_x', allowedCidrs: [] },
    });
    const list = await api.call<List<KeyListed>>('GET', '/api/v1/api-keys', { token: apiKey });
    expect(list.body.data.map((k) => k.id)).not.toContain(portalId);
    expect((await api.call('DELETE', `/api/v1/api-keys/${portalId}`, { token: apiKey })).status).toBe(404);
    // And the portal token itself cannot manage keys.
    expect((await api.call('GET', '/api/v1/api-keys', { token: `portal-${portalId}` })).status).toBe(403);
  });

  it('pages the list with the iterator', async () => {
    const { apiKey } = await api.createTenant();
    for (let i = 0; i < 3; i += 1) await createKey(apiKey, { name: `k${i}` });
    const first = await api.call<List<KeyListed>>('GET', '/api/v1/api-keys?limit=2', { token: apiKey });
    expect(first.body.data).toHaveLength(2);
    expect(first.body.done).toBe(false);
    const second = await api.call<List<KeyListed>>('GET', `/api/v1/api-keys?limit=2&iterator=${first.body.iterator}`, { token: apiKey });
    expect(second.body.data).toHaveLength(2);
    expect(second.body.done).toBe(true);
    const all = [...first.body.data, ...second.body.data].map((k) => k.id);
    expect(new Set(all).size).toBe(4);
    const back = await api.call<List<KeyListed>>('GET', `/api/v1/api-keys?limit=2&iterator=${second.body.prevIterator}`, { token: apiKey });
    expect(back.body.data.map((k) => k.id)).toEqual(first.body.data.map((k) => k.id));
  });

  describe('scopes', () => {
    it('read keys may GET (secrets withheld) but not change anything', async () => {
      const { apiKey, tenantId } = await api.createTenant();
      const reader = (await createKey(apiKey, { name: 'reader', scopes: ['read'] })).body.key;
      expect((await api.call('GET', '/api/v1/api-keys', { token: reader })).status).toBe(200);
      expect((await api.call('GET', '/api/v1/audit-log', { token: reader })).status).toBe(200);
      const before = await prisma.apiKey.count({ where: { tenantId } });
      const create = await createKey(reader, { name: 'nope' });
      expect(create.status).toBe(403);
      expect((create.body as unknown as { code: string }).code).toBe('insufficient_access');
      expect((await api.call('DELETE', `/api/v1/api-keys/key_whatever`, { token: reader })).status).toBe(403);
      expect((await api.call('PATCH', '/api/v1/tenant/settings', { token: reader, body: { sendSvixHeaders: true } })).status).toBe(403);
      expect(await prisma.apiKey.count({ where: { tenantId } })).toBe(before);
    });

    it('send keys may only create messages', async () => {
      const { apiKey } = await api.createTenant();
      const sender = (await createKey(apiKey, { name: 'sender', scopes: ['send'] })).body.key;
      expect((await api.call('GET', '/api/v1/api-keys', { token: sender })).status).toBe(403);
      expect((await api.call('GET', '/api/v1/tenant/settings', { token: sender })).status).toBe(403);
      expect((await api.call('GET', '/api/v1/audit-log', { token: sender })).status).toBe(403);
      expect((await createKey(sender, { name: 'nope' })).status).toBe(403);
      // Reaches the message route (no such application here, so 404 — not 401/403).
      const msg = await api.call('POST', '/api/v1/app/app_missing/msg', { token: sender, body: { eventType: 'a.b', payload: {} } });
      expect([401, 403]).not.toContain(msg.status);
    });

    it('an expired key answers 401', async () => {
      const { apiKey } = await api.createTenant();
      const key = (await createKey(apiKey, { name: 'short', expiresAt: new Date(Date.now() + 60_000).toISOString() })).body;
      expect((await api.call('GET', '/api/v1/api-keys', { token: key.key })).status).toBe(200);
      await prisma.apiKey.update({ where: { id: key.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
      const res = await api.call<{ code: string }>('GET', '/api/v1/api-keys', { token: key.key });
      expect(res.status).toBe(401);
    });

    it('the operator token answers 401 on tenant routes, an unknown key too', async () => {
      for (const path of ['/api/v1/api-keys', '/api/v1/tenant/settings', '/api/v1/audit-log']) {
        expect((await api.call('GET', path, { token: api.adminToken })).status).toBe(401);
        expect((await api.call('GET', path, { token: 'hrld_unknown' })).status).toBe(401);
        expect((await api.call('GET', path)).status).toBe(401);
      }
    });
  });

  describe('allowedCidrs and the client address', () => {
    it('refuses a key from outside its networks with 403', async () => {
      const { apiKey } = await api.createTenant();
      const far = (await createKey(apiKey, { name: 'far', allowedCidrs: ['10.0.0.0/8'] })).body.key;
      const near = (await createKey(apiKey, { name: 'near', allowedCidrs: ['127.0.0.0/8'] })).body.key;
      const res = await api.call<{ code: string }>('GET', '/api/v1/api-keys', { token: far });
      expect(res.status).toBe(403);
      expect((await api.call('GET', '/api/v1/api-keys', { token: near })).status).toBe(200);
    });

    it('uses the socket address, believing X-Forwarded-For only from HERALD_TRUST_PROXY', async () => {
      const { apiKey } = await api.createTenant();
      const key = (await createKey(apiKey, { name: 'office', allowedCidrs: ['203.0.113.0/24'] })).body.key;
      const forwarded = { 'x-forwarded-for': '203.0.113.7' };
      // Not trusted: the socket (127.0.0.1) is outside 203.0.113.0/24, whatever the header says.
      expect((await api.call('GET', '/api/v1/api-keys', { token: key, headers: forwarded })).status).toBe(403);
      // 127.0.0.1 is a trusted proxy there: the forwarded address counts.
      expect((await proxied.call('GET', '/api/v1/api-keys', { token: key, headers: forwarded })).status).toBe(200);
      expect((await proxied.call('GET', '/api/v1/api-keys', { token: key })).status).toBe(403);
      expect((await proxied.call('GET', '/api/v1/api-keys', { token: key, headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(403);
    });
  });
});
