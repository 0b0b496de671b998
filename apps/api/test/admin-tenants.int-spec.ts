import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { PrismaService } from '@herald/db';
import { TenantKeyRepository, TenantKeysService, tenantScope } from '@herald/tenancy';
import { TEST_ADMIN_TOKEN, TEST_MASTER_KEYS } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

interface TenantOut {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}
interface Provisioned {
  tenant: TenantOut;
  apiKey: { id: string; key: string; name: string; scopes: string[]; expiresAt: string | null; allowedCidrs: string[]; createdAt: string };
}
interface List<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

describe('operator API: /api/v1/admin/tenants', () => {
  let api: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api.close();
  });

  const admin = <T>(method: string, path: string, body?: unknown) => api.call<T>(method, `/api/v1/admin/tenants${path}`, { token: api.adminToken, body });

  it('creates a tenant with a working first API key, and audits it', async () => {
    const res = await admin<Provisioned>('POST', '', { name: 'acme' });
    expect(res.status).toBe(201);
    expect(res.body.tenant).toEqual({ id: expect.stringMatching(/^tnt_/), name: 'acme', createdAt: expect.any(String), updatedAt: expect.any(String) });
    expect(res.body.apiKey).toEqual({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^hrld_/),
      name: 'default',
      scopes: ['all'],
      expiresAt: null,
      allowedCidrs: [],
      createdAt: expect.any(String),
    });
    const keys = await api.call<List<{ id: string }>>('GET', '/api/v1/api-keys', { token: res.body.apiKey.key });
    expect(keys.status).toBe(200);
    expect(keys.body.data.map((k) => k.id)).toEqual([res.body.apiKey.id]);
    const audit = await api.call<List<{ action: string; actor: { type: string } }>>('GET', '/api/v1/audit-log', { token: res.body.apiKey.key });
    expect(audit.body.data.map((e) => e.action)).toEqual(['api_key.created', 'tenant.created']);
    expect(audit.body.data[1]!.actor.type).toBe('operator');
  });

  it('refuses an invalid name with 422 and creates nothing', async () => {
    const before = await prisma.tenant.count();
    for (const body of [{ name: '' }, { name: 'x'.repeat(257) }, {}, { name: 42 }]) {
      const res = await admin<{ detail: { loc: string[] }[] }>('POST', '', body);
      expect(res.status).toBe(422);
      expect(res.body.detail[0]!.loc).toEqual(['body', 'name']);
    }
    expect(await prisma.tenant.count()).toBe(before);
  });

  it('answers 401 to tenant keys and to callers without a token', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    for (const [method, path] of [
      ['POST', ''],
      ['GET', ''],
      ['GET', `/${tenantId}`],
      ['PATCH', `/${tenantId}`],
      ['DELETE', `/${tenantId}`],
    ] as const) {
      const withKey = await api.call<{ code: string }>(method, `/api/v1/admin/tenants${path}`, { token: apiKey, body: method === 'POST' || method === 'PATCH' ? { name: 'x' } : undefined });
      expect(withKey.status, `${method} ${path}`).toBe(401);
      expect(withKey.body.code).toBe('authentication_failed');
      const anonymous = await api.call(method, `/api/v1/admin/tenants${path}`);
      expect(anonymous.status).toBe(401);
    }
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).deletedAt).toBeNull();
  });

  it('lists tenants newest first in the Svix envelope, paging with the iterator', async () => {
    const created: string[] = [];
    for (let i = 0; i < 3; i += 1) created.push((await admin<Provisioned>('POST', '', { name: `page-${i}` })).body.tenant.id);
    const first = await admin<List<TenantOut>>('GET', '?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.done).toBe(false);
    expect(first.body.prevIterator).toBe(`-${first.body.data[0]!.id}`);
    const ids: string[] = [];
    let page = first.body;
    // Other test files create tenants too: walk until ours (among the newest) are all seen.
    for (let i = 0; i < 100; i += 1) {
      ids.push(...page.data.map((t) => t.id));
      if (page.done || created.every((id) => ids.includes(id))) break;
      page = (await admin<List<TenantOut>>('GET', `?limit=2&iterator=${page.iterator}`)).body;
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of created) expect(ids).toContain(id);
    const sorted = [...ids].sort().reverse();
    expect(ids).toEqual(sorted);
    // Svix clamps `limit` to 250 instead of refusing it.
    const big = await admin<List<TenantOut>>('GET', '?limit=100000');
    expect(big.status).toBe(200);
    expect(big.body.data.length).toBeLessThanOrEqual(250);
    expect((await admin('GET', '?limit=abc')).status).toBe(422);
  });

  it('gets and renames a tenant (audited), refusing bad names and unknown ids', async () => {
    const created = (await admin<Provisioned>('POST', '', { name: 'before' })).body;
    const id = created.tenant.id;
    const got = await admin<TenantOut>('GET', `/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.tenant);

    const bad = await admin('PATCH', `/${id}`, { name: '' });
    expect(bad.status).toBe(422);
    expect((await admin<TenantOut>('GET', `/${id}`)).body.name).toBe('before');

    const renamed = await admin<TenantOut>('PATCH', `/${id}`, { name: 'after' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'after', createdAt: created.tenant.createdAt });
    expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.tenant.updatedAt));
    const audit = await api.call<List<{ action: string; details: Record<string, unknown> }>>('GET', '/api/v1/audit-log?limit=1', { token: created.apiKey.key });
    expect(audit.body.data[0]).toMatchObject({ action: 'tenant.updated', details: { fields: ['name'] } });

    expect((await admin('GET', '/tnt_doesnotexist')).status).toBe(404);
    expect((await admin('PATCH', '/tnt_doesnotexist', { name: 'x' })).status).toBe(404);
    expect((await admin('DELETE', '/tnt_doesnotexist')).status).toBe(404);
  });

  it('deletes a tenant by crypto-shredding: key gone, keys refused, data unreadable, audited first', async () => {
    const created = (await admin<Provisioned>('POST', '', { name: 'doomed' })).body;
    const id = created.tenant.id;
    const keys = api.app.get(TenantKeysService);
    const sealed = await keys.encrypt(tenantScope(id), 'customer payload');
    // Some data under a retired data key too (a key that retires after one encryption).
    const rotating = new TenantKeysService(new TenantKeyRepository(prisma), api.config, undefined, { maxEncryptionsPerKey: 1, reserveBlock: 1 });
    const sealedEarlier = await rotating.encrypt(tenantScope(id), 'older payload');
    await rotating.encrypt(tenantScope(id), 'newer payload');
    expect((await prisma.tenant.findUniqueOrThrow({ where: { id } })).retiredDataKeysWrapped.length).toBeGreaterThan(0);
    const second = await api.call<{ key: string }>('POST', '/api/v1/api-keys', { token: created.apiKey.key, body: { name: 'second' } });
    expect(second.status).toBe(201);

    const res = await admin('DELETE', `/${id}`);
    expect(res.status).toBe(204);

    const row = await prisma.tenant.findUniqueOrThrow({ where: { id } });
    expect(row.deletedAt).not.toBeNull();
    expect(row.dataKeyWrapped).toBeNull();
    expect(row.retiredDataKeysWrapped).toEqual([]);
    const liveKeys = await prisma.apiKey.count({ where: { tenantId: id, revokedAt: null } });
    expect(liveKeys).toBe(0);
    await expect(keys.decrypt(tenantScope(id), sealed)).rejects.toThrow();
    rotating.evict(id);
    await expect(rotating.decrypt(tenantScope(id), sealedEarlier)).rejects.toThrow();

    expect((await admin('GET', `/${id}`)).status).toBe(404);
    expect((await admin('PATCH', `/${id}`, { name: 'zombie' })).status).toBe(404);
    expect((await admin('DELETE', `/${id}`)).status).toBe(404);
    const list = await admin<List<TenantOut>>('GET', '?limit=250');
    expect(list.body.data.map((t) => t.id)).not.toContain(id);
    for (const key of [created.apiKey.key, second.body.key]) {
      expect((await api.call('GET', '/api/v1/api-keys', { token: key })).status).toBe(401);
    }
    const entries = await prisma.auditLogEntry.findMany({ where: { tenantId: id }, orderBy: { seq: 'desc' }, take: 1 });
    expect(entries[0]).toMatchObject({ action: 'tenant.deleted', actorType: 'operator', targetId: id });
  });

  it('replays an operator POST with the same Idempotency-Key instead of creating a second tenant', async () => {
    const key = `op-${Date.now()}`;
    const headers = { 'idempotency-key': key };
    const first = await api.call<Provisioned>('POST', '/api/v1/admin/tenants', { token: api.adminToken, body: { name: 'once' }, headers });
    const again = await api.call<Provisioned>('POST', '/api/v1/admin/tenants', { token: api.adminToken, body: { name: 'once' }, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.tenant.id).toBe(first.body.tenant.id);
    expect(await prisma.idempotencyRecord.count({ where: { tenantId: 'operator', key: `/api/v1/admin/tenants\n${key}` } })).toBe(1);
  });
});

describe('herald tenant create (the built CLI)', () => {
  const ROOT = path.resolve(__dirname, '../../..');

  function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
      env: {
        PATH: process.env['PATH'],
        NODE_ENV: 'test',
        DATABASE_URL: inject('databaseUrl'),
        HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
        HERALD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`CLI timed out: ${stderr}`));
      }, 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('prints the tenant and its first API key as JSON, and the key works against the API', async () => {
    const out = await runCli(['tenant', 'create', '--name', 'cli-acme']);
    expect(out.code, out.stderr).toBe(0);
    const created = JSON.parse(out.stdout) as Provisioned;
    expect(created.tenant).toMatchObject({ id: expect.stringMatching(/^tnt_/), name: 'cli-acme' });
    expect(created.apiKey).toMatchObject({ key: expect.stringMatching(/^hrld_/), scopes: ['all'], expiresAt: null, allowedCidrs: [] });
    const got = await api.call<TenantOut>('GET', `/api/v1/admin/tenants/${created.tenant.id}`, { token: api.adminToken });
    expect(got.body.name).toBe('cli-acme');
    const settings = await api.call('GET', '/api/v1/tenant/settings', { token: created.apiKey.key });
    expect(settings.status).toBe(200);
  });

  it('exits 2 with the usage when --name is missing', async () => {
    const out = await runCli(['tenant', 'create']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('tenant create --name');
  });
});
