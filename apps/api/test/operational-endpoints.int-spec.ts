import { ApiException, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

const OPS = '/api/v1/operational-webhook/endpoint';

/**
 * The svix client's operational-webhook endpoint API: endpoints of the tenant's hidden
 * operational application, the tenant settings' URL among them (uid `tenant-settings`).
 */
describe('operational-webhook endpoints', () => {
  let api: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-opendpoints` });
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api.close();
  });

  const status = (p: Promise<unknown>): Promise<number | 'ok'> =>
    p.then(
      () => 'ok' as const,
      (err: unknown) => {
        if (err instanceof ApiException) return err.code;
        throw err;
      },
    );

  /** What a refused request must leave untouched. */
  const state = async (tenantId: string) => ({
    apps: await prisma.application.findMany({ where: { tenantId }, orderBy: { id: 'asc' } }),
    endpoints: await prisma.endpoint.findMany({ where: { tenantId }, orderBy: { id: 'asc' } }),
    secrets: await prisma.endpointSecret.findMany({ where: { tenantId }, orderBy: { id: 'asc' } }),
    headers: await prisma.endpointHeader.findMany({ where: { tenantId }, orderBy: [{ endpointId: 'asc' }, { name: 'asc' }] }),
    audit: await prisma.auditLogEntry.count({ where: { tenantId } }),
  });

  it('lists, creates, gets, replaces and deletes through the official client', async () => {
    const { apiKey, tenantId } = await api.createTenant('ops client');
    const svix = new Svix(apiKey, { serverUrl: api.url });
    expect(await svix.operationalWebhookEndpoint.list()).toMatchObject({ data: [], done: true });

    const created = await svix.operationalWebhookEndpoint.create({
      url: 'https://ops.example.com/a',
      uid: 'ops-a',
      description: 'failures only',
      filterTypes: ['message.attempt.exhausted', 'endpoint.disabled'],
      rateLimit: 5,
      metadata: { team: 'sre' },
    });
    expect(created).toMatchObject({
      uid: 'ops-a',
      url: 'https://ops.example.com/a',
      description: 'failures only',
      disabled: false,
      filterTypes: ['message.attempt.exhausted', 'endpoint.disabled'],
      rateLimit: 5,
      throttleRate: 5,
      metadata: { team: 'sre' },
    });
    expect(created.id).toMatch(/^ep_/);
    expect(created.createdAt).toBeInstanceOf(Date);
    const row = await prisma.endpoint.findUniqueOrThrow({ where: { id: created.id }, include: { application: true } });
    expect(row.application.kind).toBe('operational');
    expect(row.tenantId).toBe(tenantId);

    const second = await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/b' }, { idempotencyKey: 'ops-b' });
    // The same Idempotency-Key replays the first response: no second endpoint.
    expect((await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/b' }, { idempotencyKey: 'ops-b' })).id).toBe(second.id);
    expect(second.filterTypes ?? []).toEqual([]);
    expect((await svix.operationalWebhookEndpoint.get('ops-a')).id).toBe(created.id);
    expect((await svix.operationalWebhookEndpoint.get(created.id)).uid).toBe('ops-a');
    const page = await svix.operationalWebhookEndpoint.list({ limit: 1 });
    expect(page.data.map((e) => e.id)).toEqual([second.id]);
    expect(page.done).toBe(false);
    expect((await svix.operationalWebhookEndpoint.list({ iterator: page.iterator })).data.map((e) => e.id)).toEqual([created.id]);

    // PUT replaces: fields left out go back to their defaults; the uid stays when not given.
    const replaced = await svix.operationalWebhookEndpoint.update('ops-a', { url: 'https://ops.example.com/a2', disabled: true });
    expect(replaced).toMatchObject({ id: created.id, uid: 'ops-a', url: 'https://ops.example.com/a2', disabled: true, description: '', rateLimit: null });
    expect(replaced.filterTypes ?? []).toEqual([]);

    await svix.operationalWebhookEndpoint.delete('ops-a');
    expect(await status(svix.operationalWebhookEndpoint.get(created.id))).toBe(404);
    expect(await status(svix.operationalWebhookEndpoint.update(created.id, { url: 'https://ops.example.com/again' }))).toBe(404);
    // Operational endpoints are not application endpoints: the app API never shows them.
    expect((await api.call('GET', `/api/v1/app/${row.appId}/endpoint/${second.id}`, { token: apiKey })).status).toBe(404);
    const audit = await prisma.auditLogEntry.findMany({ where: { tenantId, targetId: created.id }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['endpoint.created', 'endpoint.updated', 'endpoint.deleted']);
  });

  it('documents every operational-webhook endpoint route in the OpenAPI document', async () => {
    const doc = await api.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json');
    const ops = Object.entries(doc.body.paths)
      .filter(([p]) => p.startsWith(OPS))
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p.slice(OPS.length) || '/'}`))
      .sort();
    expect(ops).toEqual(
      [
        'GET /', 'POST /', 'GET /{endpoint_id}', 'PUT /{endpoint_id}', 'DELETE /{endpoint_id}', 'GET /{endpoint_id}/secret', 'POST /{endpoint_id}/secret/rotate',
        'GET /{endpoint_id}/headers', 'PUT /{endpoint_id}/headers', 'PATCH /{endpoint_id}/headers',
      ].sort(),
    );
    expect(doc.body.paths['/api/v1/event-type/import/openapi']?.['post']).toBeDefined();
  });

  it('reveals and rotates secrets, and manages custom headers (client and raw HTTP)', async () => {
    const { apiKey, tenantId } = await api.createTenant('ops secrets');
    const svix = new Svix(apiKey, { serverUrl: api.url });
    const given = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    const ep = await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/s', secret: given });
    expect((await svix.operationalWebhookEndpoint.getSecret(ep.id)).key).toBe(given);

    await svix.operationalWebhookEndpoint.rotateSecret(ep.id, {});
    const rotated = (await svix.operationalWebhookEndpoint.getSecret(ep.id)).key;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(given);
    const next = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
    await svix.operationalWebhookEndpoint.rotateSecret(ep.id, { key: next });
    expect((await svix.operationalWebhookEndpoint.getSecret(ep.id)).key).toBe(next);
    const actions = (await prisma.auditLogEntry.findMany({ where: { tenantId, targetId: ep.id }, orderBy: { seq: 'asc' } })).map((a) => a.action);
    expect(actions.filter((a) => a === 'endpoint.secret.revealed')).toHaveLength(3);
    expect(actions.filter((a) => a === 'endpoint.secret.rotated')).toHaveLength(2);

    await svix.operationalWebhookEndpoint.updateHeaders(ep.id, { headers: { 'X-Team': 'sre', Authorization: 'Bearer hidden' } });
    expect(await svix.operationalWebhookEndpoint.getHeaders(ep.id)).toEqual({ headers: { 'X-Team': 'sre' }, sensitive: ['Authorization'] });
    const patched = await api.call('PATCH', `${OPS}/${ep.id}/headers`, { token: apiKey, body: { headers: { 'x-extra': '1', 'X-Team': null } } });
    expect(patched.status, patched.text).toBe(204);
    expect((await api.call<{ headers: Record<string, string> }>('GET', `${OPS}/${ep.id}/headers`, { token: apiKey })).body.headers).toEqual({ 'x-extra': '1' });

    // A read key sees the endpoint but not its secret.
    const reader = (await api.call<{ key: string }>('POST', '/api/v1/api-keys', { token: apiKey, body: { name: 'reader', scopes: ['read'] } })).body.key;
    expect((await api.call('GET', `${OPS}/${ep.id}`, { token: reader })).status).toBe(200);
    expect((await api.call('GET', `${OPS}/${ep.id}/secret`, { token: reader })).status).toBe(403);
    expect((await api.call('POST', OPS, { token: reader, body: { url: 'https://ops.example.com/r' } })).status).toBe(403);
    // App-portal tokens never reach the tenant's operational endpoints.
    const app = (await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'portal' } })).body.id;
    const portal = (await api.call<{ token: string }>('POST', `/api/v1/auth/app-portal-access/${app}`, { token: apiKey, body: {} })).body.token;
    for (const [method, path] of [
      ['GET', OPS],
      ['GET', `${OPS}/${ep.id}`],
      ['GET', `${OPS}/${ep.id}/secret`],
      ['DELETE', `${OPS}/${ep.id}`],
    ] as const) {
      expect((await api.call(method, path, { token: portal })).status, `${method} ${path}`).toBe(403);
    }
  });

  it('refuses bad input with a 4xx and changes nothing (not even the hidden application on a first endpoint)', async () => {
    const { apiKey, tenantId } = await api.createTenant('ops bad input');
    const svix = new Svix(apiKey, { serverUrl: api.url });
    const before = await state(tenantId);
    const bad: [unknown, string[]][] = [
      [{ url: 'https://10.0.0.1/hook' }, ['body', 'url']],
      [{ url: 'https://169.254.169.254/latest' }, ['body', 'url']],
      [{ url: 'ftp://ops.example.com/x' }, ['body', 'url']],
      [{ url: 'https://ops.example.com/x', filterTypes: ['user.created'] }, ['body', 'filterTypes', '0']],
      [{ url: 'https://ops.example.com/x', secret: 'not-a-secret' }, ['body', 'secret']],
      [{ url: 'https://ops.example.com/x', rateLimit: 2, throttleRate: 3 }, ['body']],
      [{ url: 'https://ops.example.com/x', uid: 'has spaces' }, ['body', 'uid']],
      [{ description: 'no url' }, ['body', 'url']],
    ];
    for (const [body, loc] of bad) {
      const res = await api.call<{ detail: { loc: (string | number)[] }[] }>('POST', OPS, { token: apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail.map((d) => d.loc.map(String).slice(0, loc.length))).toContainEqual(loc);
    }
    expect(await status(svix.operationalWebhookEndpoint.create({ url: 'http://[::ffff:127.0.0.1]/x' }))).toBe(422);
    expect(await state(tenantId)).toEqual(before);

    const ep = await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/ok', uid: 'ok' });
    const after = await state(tenantId);
    expect((await api.call('PUT', `${OPS}/ok`, { token: apiKey, body: { url: 'https://127.0.0.1/x' } })).status).toBe(422);
    expect((await api.call('PUT', `${OPS}/ok`, { token: apiKey, body: { url: 'https://ops.example.com/ok', filterTypes: ['nope'] } })).status).toBe(422);
    expect((await api.call('PUT', `${OPS}/ok/headers`, { token: apiKey, body: { headers: { 'webhook-id': 'forged' } } })).status).toBe(422);
    expect((await api.call('POST', `${OPS}/ok/secret/rotate`, { token: apiKey, body: { key: 'whsec_short' } })).status).toBe(422);
    expect((await api.call('POST', `${OPS}/ok/secret/rotate`, { token: apiKey, body: [] })).status).toBe(422);
    expect((await api.call('GET', `${OPS}/${'x'.repeat(300)}`, { token: apiKey })).status).toBe(422);
    expect((await api.call('GET', `${OPS}/missing`, { token: apiKey })).status).toBe(404);
    expect(await state(tenantId)).toEqual(after);
    expect(ep.uid).toBe('ok');
  });

  it('shows the tenant settings URL as the endpoint `tenant-settings`, and both views agree', async () => {
    const { apiKey } = await api.createTenant('ops settings');
    const svix = new Svix(apiKey, { serverUrl: api.url });
    const set = await api.call<{ operationalWebhookSecret: string }>('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: 'https://ops.example.com/settings' } });
    expect(set.status).toBe(200);
    const listed = (await svix.operationalWebhookEndpoint.list()).data;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ uid: 'tenant-settings', url: 'https://ops.example.com/settings', disabled: false });
    expect((await svix.operationalWebhookEndpoint.getSecret('tenant-settings')).key).toBe(set.body.operationalWebhookSecret);

    // A change through the endpoint API is what the settings show, and the other way round.
    await svix.operationalWebhookEndpoint.update('tenant-settings', { url: 'https://ops.example.com/moved' });
    await svix.operationalWebhookEndpoint.rotateSecret('tenant-settings', {});
    const settings = await api.call<{ operationalWebhookUrl: string; operationalWebhookSecret: string }>('GET', '/api/v1/tenant/settings', { token: apiKey });
    expect(settings.body.operationalWebhookUrl).toBe('https://ops.example.com/moved');
    expect(settings.body.operationalWebhookSecret).toBe((await svix.operationalWebhookEndpoint.getSecret('tenant-settings')).key);
    await api.call('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: 'https://ops.example.com/back' } });
    expect((await svix.operationalWebhookEndpoint.get('tenant-settings')).url).toBe('https://ops.example.com/back');

    // Clearing the settings URL disables the endpoint (its secret stays for the next URL).
    await api.call('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: null } });
    expect((await svix.operationalWebhookEndpoint.get('tenant-settings')).disabled).toBe(true);
    // Deleting the endpoint clears the settings URL; setting a URL again makes a new one.
    await svix.operationalWebhookEndpoint.delete('tenant-settings');
    expect((await api.call<{ operationalWebhookUrl: string | null }>('GET', '/api/v1/tenant/settings', { token: apiKey })).body.operationalWebhookUrl).toBeNull();
    await api.call('PATCH', '/api/v1/tenant/settings', { token: apiKey, body: { operationalWebhookUrl: 'https://ops.example.com/new' } });
    expect((await svix.operationalWebhookEndpoint.list()).data.map((e) => [e.uid, e.url])).toEqual([['tenant-settings', 'https://ops.example.com/new']]);
  });

  it('sends each operational event to every enabled operational endpoint whose filter takes it', async () => {
    const { apiKey, tenantId } = await api.createTenant('ops fan-out');
    const svix = new Svix(apiKey, { serverUrl: api.url });
    const all = await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/all' });
    const created = await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/created', filterTypes: ['endpoint.created'] });
    const deleted = await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/deleted', filterTypes: ['endpoint.deleted'] });
    const off = await svix.operationalWebhookEndpoint.create({ url: 'https://ops.example.com/off', disabled: true });

    const app = await svix.application.create({ name: 'watched' });
    const ep = await svix.endpoint.create(app.id, { url: 'https://example.com/hook' });
    await svix.endpoint.delete(app.id, ep.id);

    const messages = await prisma.message.findMany({
      where: { tenantId, application: { kind: 'operational' } },
      orderBy: { id: 'asc' },
      include: { deliveries: { select: { endpointId: true } } },
    });
    expect(messages.map((m) => m.eventType)).toEqual(['endpoint.created', 'endpoint.deleted']);
    expect(messages[0]!.deliveries.map((d) => d.endpointId).sort()).toEqual([all.id, created.id].sort());
    expect(messages[1]!.deliveries.map((d) => d.endpointId).sort()).toEqual([all.id, deleted.id].sort());
    expect(messages.flatMap((m) => m.deliveries.map((d) => d.endpointId))).not.toContain(off.id);
    // Managing operational endpoints announces nothing about them.
    expect(messages).toHaveLength(2);
  });
});
