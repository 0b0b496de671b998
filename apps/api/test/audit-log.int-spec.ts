import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

interface Entry {
  id: string;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  ip: string | null;
  requestId: string | null;
  createdAt: string;
  prevHash: string;
  hash: string;
}
interface List<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}
type Verify = { ok: true; checked: number } | { ok: false; checked: number; brokenAt: string };

describe('/api/v1/audit-log', () => {
  let api: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api.close();
  });

  /** A tenant with `n` extra audited changes (API keys with multi-field details). */
  async function tenantWithEntries(n: number): Promise<{ tenantId: string; apiKey: string; keyIds: string[] }> {
    const { tenantId, apiKey } = await api.createTenant();
    const keyIds: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const res = await api.call<{ id: string }>('POST', '/api/v1/api-keys', {
        token: apiKey,
        body: { name: `k${i}`, scopes: ['read', 'send'], allowedCidrs: ['127.0.0.1/32'] },
        headers: { 'x-request-id': `req-${i}` },
      });
      expect(res.status).toBe(201);
      keyIds.push(res.body.id);
    }
    return { tenantId, apiKey, keyIds };
  }

  it('lists entries newest first with actor, target, ip, request id and the hash chain', async () => {
    const { apiKey, keyIds, tenantId } = await tenantWithEntries(2);
    const res = await api.call<List<Entry>>('GET', '/api/v1/audit-log', { token: apiKey });
    expect(res.status).toBe(200);
    expect(res.body.done).toBe(true);
    expect(res.body.data.map((e) => e.action)).toEqual(['api_key.created', 'api_key.created', 'api_key.created', 'tenant.created']);
    const newest = res.body.data[0]!;
    const firstKeyId = (await prisma.apiKey.findFirstOrThrow({ where: { tenantId, name: 'default' } })).id;
    expect(newest).toMatchObject({
      id: expect.stringMatching(/^aud_/),
      action: 'api_key.created',
      actor: { type: 'api_key', id: firstKeyId },
      target: { type: 'api_key', id: keyIds[1] },
      ip: '127.0.0.1',
      requestId: 'req-1',
      createdAt: expect.any(String),
      prevHash: res.body.data[1]!.hash,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(res.body.data[3]!.prevHash).toBe('0'.repeat(64));
  });

  it('pages by the chain order even within one second (iterator and prevIterator)', async () => {
    const { apiKey } = await tenantWithEntries(6); // 8 entries, written within about a second
    const all = (await api.call<List<Entry>>('GET', '/api/v1/audit-log?limit=250', { token: apiKey })).body.data;
    expect(all).toHaveLength(8);
    const seen: Entry[] = [];
    let url = '/api/v1/audit-log?limit=3';
    const pages: List<Entry>[] = [];
    for (let i = 0; i < 10; i += 1) {
      const page = (await api.call<List<Entry>>('GET', url, { token: apiKey })).body;
      pages.push(page);
      seen.push(...page.data);
      if (page.done) break;
      url = `/api/v1/audit-log?limit=3&iterator=${page.iterator}`;
    }
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
    // Going back from the second page gives the first page again.
    const back = (await api.call<List<Entry>>('GET', `/api/v1/audit-log?limit=3&iterator=${pages[1]!.prevIterator}`, { token: apiKey })).body;
    expect(back.data.map((e) => e.id)).toEqual(pages[0]!.data.map((e) => e.id));
  });

  it('verifies an intact chain (details stored as jsonb included)', async () => {
    const { apiKey, tenantId } = await tenantWithEntries(3);
    // jsonb stores {fields, name} as {name, fields}: the hash must not depend on key order.
    const renamed = await api.call('PATCH', `/api/v1/admin/tenants/${tenantId}`, { token: api.adminToken, body: { name: 'renamed' } });
    expect(renamed.status).toBe(200);
    const stored = await prisma.$queryRaw<{ details: string }[]>`SELECT details::text AS details FROM audit_log WHERE tenant_id = ${tenantId} AND action = 'tenant.updated'`;
    expect(stored[0]!.details).toBe('{"name": "renamed", "fields": ["name"]}');
    const res = await api.call<Verify>('GET', '/api/v1/audit-log/verify', { token: apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, checked: 6 });
  });

  it('names the entry whose action was changed in the database', async () => {
    const { apiKey, tenantId, keyIds } = await tenantWithEntries(3);
    const victim = await prisma.auditLogEntry.findFirstOrThrow({ where: { tenantId, targetId: keyIds[1] } });
    await prisma.$executeRaw`UPDATE audit_log SET action = 'api_key.revoked' WHERE id = ${victim.id}`;
    const res = await api.call<Verify>('GET', '/api/v1/audit-log/verify', { token: apiKey });
    expect(res.body).toEqual({ ok: false, checked: Number(victim.seq), brokenAt: victim.id });
  });

  it('names the entry whose details were changed', async () => {
    const { apiKey, tenantId, keyIds } = await tenantWithEntries(3);
    const victim = await prisma.auditLogEntry.findFirstOrThrow({ where: { tenantId, targetId: keyIds[0] } });
    await prisma.$executeRaw`UPDATE audit_log SET details = jsonb_set(details, '{scopes}', '["all"]') WHERE id = ${victim.id}`;
    const res = await api.call<Verify>('GET', '/api/v1/audit-log/verify', { token: apiKey });
    expect(res.body).toMatchObject({ ok: false, brokenAt: victim.id });
  });

  it('reports a deleted entry in the middle (at the entry after the gap)', async () => {
    const { apiKey, tenantId, keyIds } = await tenantWithEntries(3);
    const removed = await prisma.auditLogEntry.findFirstOrThrow({ where: { tenantId, targetId: keyIds[1] } });
    const next = await prisma.auditLogEntry.findFirstOrThrow({ where: { tenantId, targetId: keyIds[2] } });
    await prisma.$executeRaw`DELETE FROM audit_log WHERE id = ${removed.id}`;
    const res = await api.call<Verify>('GET', '/api/v1/audit-log/verify', { token: apiKey });
    expect(res.body).toMatchObject({ ok: false, brokenAt: next.id });
  });

  it("shows and verifies only the caller's tenant", async () => {
    const a = await tenantWithEntries(1);
    const b = await tenantWithEntries(1);
    await prisma.$executeRaw`UPDATE audit_log SET action = 'forged' WHERE tenant_id = ${b.tenantId}`;
    const list = await api.call<List<Entry>>('GET', '/api/v1/audit-log?limit=250', { token: a.apiKey });
    const ids = new Set(list.body.data.map((e) => e.id));
    const bIds = (await prisma.auditLogEntry.findMany({ where: { tenantId: b.tenantId }, select: { id: true } })).map((e) => e.id);
    for (const id of bIds) expect(ids.has(id)).toBe(false);
    expect((await api.call<Verify>('GET', '/api/v1/audit-log/verify', { token: a.apiKey })).body).toEqual({ ok: true, checked: 3 });
    // Another tenant's entry id as an iterator yields nothing of theirs.
    const foreign = await api.call<List<Entry>>('GET', `/api/v1/audit-log?iterator=${bIds[0]}`, { token: a.apiKey });
    expect(foreign.status).toBe(200);
    expect(foreign.body.data).toEqual([]);
  });

  it('is readable with a read key, not with a send key; bad list queries are 422', async () => {
    const { apiKey } = await api.createTenant();
    const make = async (scope: string) => (await api.call<{ key: string }>('POST', '/api/v1/api-keys', { token: apiKey, body: { name: scope, scopes: [scope] } })).body.key;
    const reader = await make('read');
    const sender = await make('send');
    expect((await api.call('GET', '/api/v1/audit-log/verify', { token: reader })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/audit-log/verify', { token: sender })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/audit-log?limit=-1', { token: reader })).status).toBe(422);
    expect((await api.call('GET', '/api/v1/audit-log?iterator=../../x', { token: reader })).status).toBe(422);
  });
});
