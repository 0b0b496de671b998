import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyGuard, IdempotencyRepository, IdempotencySealer, IdempotentReplay } from '@herald/api-core';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

interface KeyCreated {
  id: string;
  key: string;
  name: string;
}

describe('Idempotency-Key on POST', () => {
  let api: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api.close();
  });

  const post = (token: string, body: unknown, key?: string, path = '/api/v1/api-keys') =>
    api.call<KeyCreated & { code?: string }>('POST', path, { token, body, headers: key === undefined ? {} : { 'idempotency-key': key } });
  const keysNamed = (tenantId: string, name: string) => prisma.apiKey.count({ where: { tenantId, name } });

  it('replays the first response for a retry with the same key and body, creating one resource', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const first = await post(apiKey, { name: 'once', scopes: ['read'] }, 'retry-1');
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same JSON with another key order is the same request.
    const again = await api.call<KeyCreated>('POST', '/api/v1/api-keys', { token: apiKey, rawBody: '{"scopes":["read"],"name":"once"}', headers: { 'content-type': 'application/json', 'idempotency-key': 'retry-1' } });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await keysNamed(tenantId, 'once')).toBe(1);
    // The kept response (it holds the new key's secret) is stored encrypted.
    const row = await prisma.$queryRaw<{ body: string }[]>`SELECT response_body::text AS body FROM idempotency_records WHERE tenant_id = ${tenantId}`;
    expect(row[0]!.body).not.toContain(first.body.key);
    expect(row[0]!.body).not.toContain('once');
  });

  it('replays the first response whatever the body (as Svix), and scopes a key to its path', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const first = await post(apiKey, { name: 'a' }, 'k');
    expect(first.status).toBe(201);
    // A producer that rebuilds its request on retry gets the first response, not a conflict.
    const rebuilt = await post(apiKey, { name: 'b', scopes: ['read'] }, 'k');
    expect(rebuilt.status).toBe(201);
    expect(rebuilt.headers['idempotent-replayed']).toBe('true');
    expect(rebuilt.body).toEqual(first.body);
    expect(await keysNamed(tenantId, 'b')).toBe(0);
    // The query string is not part of the key; the path is.
    const withQuery = await api.call<KeyCreated>('POST', '/api/v1/api-keys?x=1', { token: apiKey, body: { name: 'c' }, headers: { 'idempotency-key': 'k' } });
    expect(withQuery.headers['idempotent-replayed']).toBe('true');
    expect(withQuery.body.id).toBe(first.body.id);
    const otherPath = await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'app with a reused key' }, headers: { 'idempotency-key': 'k' } });
    expect(otherPath.status).toBe(201);
    expect(otherPath.headers['idempotent-replayed']).toBeUndefined();
    expect(await keysNamed(tenantId, 'a')).toBe(1);
    expect(await keysNamed(tenantId, 'c')).toBe(0);
  });

  it('keeps keys per tenant', async () => {
    const a = await api.createTenant();
    const b = await api.createTenant();
    const ra = await post(a.apiKey, { name: 'shared' }, 'same-key');
    const rb = await post(b.apiKey, { name: 'shared' }, 'same-key');
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    expect(rb.headers['idempotent-replayed']).toBeUndefined();
    expect(rb.body.id).not.toBe(ra.body.id);
  });

  it('replays 4xx responses too', async () => {
    const { apiKey } = await api.createTenant();
    const first = await post(apiKey, { name: '' }, 'bad-1');
    expect(first.status).toBe(422);
    const again = await post(apiKey, { name: '' }, 'bad-1');
    expect(again.status).toBe(422);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('without a key, every POST runs', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    expect((await post(apiKey, { name: 'twice' })).status).toBe(201);
    expect((await post(apiKey, { name: 'twice' })).status).toBe(201);
    expect(await keysNamed(tenantId, 'twice')).toBe(2);
  });

  it('refuses malformed keys with 422', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    for (const key of ['x'.repeat(257), 'tab\there', '']) {
      const res = await post(apiKey, { name: 'never' }, key);
      expect(res.status, JSON.stringify(key)).toBe(422);
    }
    expect(await keysNamed(tenantId, 'never')).toBe(0);
    expect((await post(apiKey, { name: 'long-ok' }, 'y'.repeat(256))).status).toBe(201);
  });

  it('lets concurrent duplicates through once: the others get 409 or the replay', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const results = await Promise.all(Array.from({ length: 6 }, () => post(apiKey, { name: 'raced' }, 'race-1')));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    expect(await keysNamed(tenantId, 'raced')).toBe(1);
  });

  it('answers 409 while a claim holds its lease, and runs the retry once the lease lapsed (the holder died)', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const body = { name: 'inflight' };
    // What a request leaves behind when its process dies mid-request: a claim with no response.
    await prisma.$executeRaw`INSERT INTO idempotency_records (tenant_id, key, request_hash, expires_at, lease_expires_at)
      VALUES (${tenantId}, ${'/api/v1/api-keys\nfly'}, 'h', now() + interval '1 day', now() + interval '1500 milliseconds')`;
    const busy = await post(apiKey, body, 'fly');
    expect(busy.status).toBe(409);
    // Its own code and a Retry-After, so clients (the SDK does) know to try again shortly.
    expect(busy.body.code).toBe('idempotency_in_progress');
    expect(busy.headers['retry-after']).toBe('1');
    expect(await keysNamed(tenantId, 'inflight')).toBe(0);
    // Nobody renews the dead request's lease: within seconds the key is free again.
    const deadline = Date.now() + 5_000;
    let retried = await post(apiKey, body, 'fly');
    while (retried.status === 409 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      retried = await post(apiKey, body, 'fly');
    }
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await keysNamed(tenantId, 'inflight')).toBe(1);
    expect((await post(apiKey, body, 'fly')).headers['idempotent-replayed']).toBe('true');
  });

  it('takes over at once a claim whose lease already expired', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    await prisma.$executeRaw`INSERT INTO idempotency_records (tenant_id, key, request_hash, expires_at, lease_expires_at)
      VALUES (${tenantId}, ${'/api/v1/api-keys\ndead'}, 'h', now() + interval '1 day', now() - interval '1 second')`;
    const res = await post(apiKey, { name: 'after-death' }, 'dead');
    expect(res.status).toBe(201);
    expect(await keysNamed(tenantId, 'after-death')).toBe(1);
  });

  it('renews the lease while the first request still runs, so a retry meanwhile gets 409, not a second run', async () => {
    const { tenantId } = await api.createTenant();
    const lease = { leaseMs: 300, renewEveryMs: 100 };
    const guard = new IdempotencyGuard(api.app.get(IdempotencyRepository), api.app.get(IdempotencySealer), lease);
    const key = '/api/v1/slow\nslow';
    const first = await guard.claim(tenantId, key, 'h');
    // Well past several lease lengths, the first request still holds the key.
    await new Promise((resolve) => setTimeout(resolve, 800));
    await expect(guard.claim(tenantId, key, 'h')).rejects.toMatchObject({ code: 'idempotency_in_progress' });
    await first.finish(201, { done: 1 });
    // Once it finished, a retry gets its response.
    const replay = await guard.claim(tenantId, key, 'h').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(replay).toBeInstanceOf(IdempotentReplay);
    expect(replay).toMatchObject({ status: 201, body: { done: 1 } });
  });

  it('ignores and overwrites an expired record', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    expect((await post(apiKey, { name: 'old' }, 'reuse')).status).toBe(201);
    await prisma.$executeRaw`UPDATE idempotency_records SET expires_at = now() - interval '1 second' WHERE tenant_id = ${tenantId}`;
    const fresh = await post(apiKey, { name: 'new' }, 'reuse');
    expect(fresh.status).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    expect(await keysNamed(tenantId, 'new')).toBe(1);
    const replay = await post(apiKey, { name: 'new' }, 'reuse');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(fresh.body.id);
  });

  it('does not keep 5xx responses, so the client can retry', async () => {
    const { tenantId } = await api.createTenant();
    const guard = new IdempotencyGuard(api.app.get(IdempotencyRepository), api.app.get(IdempotencySealer));
    const claim = await guard.claim(tenantId, '/api/v1/anything\nboom', 'h');
    expect(await prisma.idempotencyRecord.count({ where: { tenantId } })).toBe(1);
    await claim.finish(500, { code: 'internal_error', detail: 'Internal error' });
    expect(await prisma.idempotencyRecord.count({ where: { tenantId } })).toBe(0);
    // The retry runs.
    const retry = await guard.claim(tenantId, '/api/v1/anything\nboom', 'h');
    await retry.finish(201, { id: 'x' });
    expect(await prisma.idempotencyRecord.count({ where: { tenantId, responseStatus: 201 } })).toBe(1);
  });

  it('keeps the error of a keyed request that fails validation, and replays it', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const bad = await post(apiKey, { name: 42 }, 'invalid');
    expect(bad.status).toBe(422);
    const again = await post(apiKey, { name: 'fine now' }, 'invalid');
    expect(again.status).toBe(422);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(bad.body);
    expect(await keysNamed(tenantId, 'fine now')).toBe(0);
  });

  it('deletes the kept response of a message create when the message content is expunged (it holds the payload)', async () => {
    const { apiKey, tenantId } = await api.createTenant();
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'erasure' }, headers: { 'idempotency-key': 'app-key' } });
    const send = () => api.call<{ id: string }>('POST', `/api/v1/app/${app.body.id}/msg`, { token: apiKey, body: { eventType: 'user.erased', payload: { email: 'someone@example.com' } }, headers: { 'idempotency-key': 'msg-key' } });
    const msg = await send();
    expect(msg.status).toBe(202);
    const kept = () => prisma.idempotencyRecord.findMany({ where: { tenantId }, select: { key: true, resourceId: true }, orderBy: { key: 'asc' } });
    expect(await kept()).toEqual([
      { key: '/api/v1/app\napp-key', resourceId: app.body.id },
      { key: `/api/v1/app/${app.body.id}/msg\nmsg-key`, resourceId: msg.body.id },
    ]);
    expect((await api.call('DELETE', `/api/v1/app/${app.body.id}/msg/${msg.body.id}/content`, { token: apiKey })).status).toBe(204);
    // The message's kept response is gone; the application's stays.
    expect(await kept()).toEqual([{ key: '/api/v1/app\napp-key', resourceId: app.body.id }]);
    const afterwards = await send();
    expect(afterwards.headers['idempotent-replayed']).toBeUndefined();
    expect(JSON.stringify(afterwards.body)).toContain('someone@example.com');
    expect(afterwards.body.id).not.toBe(msg.body.id);
  });

  it('ignores the header on other methods', async () => {
    const { apiKey } = await api.createTenant();
    const res = await api.call('GET', '/api/v1/api-keys', { token: apiKey, headers: { 'idempotency-key': 'x'.repeat(300) } });
    expect(res.status).toBe(200);
  });
});
