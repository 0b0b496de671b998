import { randomBytes } from 'node:crypto';
import { ApiException, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

/** The official Svix client (svix@1.99.1), unchanged, pointed at Herald. */
describe('svix client against the management API', () => {
  let api: TestApi;
  let svix: Svix;

  beforeAll(async () => {
    api = await startTestApi();
    const { apiKey } = await api.createTenant('svix client');
    svix = new Svix(apiKey, { serverUrl: api.url });
  });
  afterAll(async () => {
    await api.close();
  });

  it('manages applications', async () => {
    const created = await svix.application.create({ name: 'Client app', uid: 'client-app', rateLimit: 10, metadata: { k: 'v' } });
    expect(created).toMatchObject({ name: 'Client app', uid: 'client-app', rateLimit: 10, throttleRate: 10, metadata: { k: 'v' } });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await svix.application.getOrCreate({ name: 'ignored', uid: 'client-app' })).toMatchObject({ id: created.id });

    expect((await svix.application.get('client-app')).id).toBe(created.id);
    const list = await svix.application.list({ limit: 10 });
    expect(list.data.map((a) => a.id)).toContain(created.id);
    expect(list.done).toBe(true);

    // PUT replaces the application: the uid stays only when given again.
    const updated = await svix.application.update('client-app', { name: 'Renamed', throttleRate: 3, uid: 'client-app' });
    expect(updated).toMatchObject({ name: 'Renamed', rateLimit: 3, uid: 'client-app' });
    const patched = await svix.application.patch(created.id, { metadata: { a: 'b' } });
    expect(patched.metadata).toEqual({ a: 'b' });

    await svix.application.delete(created.id);
    const missing = await svix.application.get(created.id).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(ApiException);
    expect((missing as ApiException<unknown>).code).toBe(404);
  });

  it('manages event types', async () => {
    const created = await svix.eventType.create({ name: 'user.created', description: 'A user', schemas: { '1': { type: 'object' } }, featureFlags: ['beta'], groupName: 'user' });
    expect(created).toMatchObject({ name: 'user.created', featureFlag: 'beta', featureFlags: ['beta'], groupName: 'user', deprecated: false });
    await svix.eventType.create({ name: 'user.deleted', description: 'Gone' });
    const list = await svix.eventType.list({ withContent: true });
    expect(list.data.map((e) => e.name)).toEqual(['user.created', 'user.deleted']);
    expect(list.data[0]!.schemas).toEqual({ '1': { type: 'object' } });
    const bare = await svix.eventType.list({ limit: 1 });
    expect(bare.data).toHaveLength(1);
    expect(bare.done).toBe(false);
    expect((await svix.eventType.list({ iterator: bare.iterator })).data.map((e) => e.name)).toEqual(['user.deleted']);
  });

  it('manages endpoints, their headers and their secrets', async () => {
    const app = await svix.application.create({ name: 'Endpoints via client' });
    await svix.eventType.create({ name: 'order.paid', description: 'Paid' });
    const ep = await svix.endpoint.create(app.id, {
      url: 'https://example.com/webhook',
      uid: 'client-ep',
      description: 'via client',
      filterTypes: ['order.paid'],
      channels: ['eu'],
      version: 1,
      rateLimit: 5,
      headers: { 'X-Static': 'yes' },
      metadata: { m: '1' },
    });
    expect(ep).toMatchObject({ url: 'https://example.com/webhook', uid: 'client-ep', filterTypes: ['order.paid'], channels: ['eu'], version: 1, rateLimit: 5, disabled: false, metadata: { m: '1' } });

    expect((await svix.endpoint.get(app.id, 'client-ep')).id).toBe(ep.id);
    const list = await svix.endpoint.list(app.id);
    expect(list.data.map((e) => e.id)).toEqual([ep.id]);

    const updated = await svix.endpoint.update(app.id, ep.id, { url: 'https://example.com/v2', filterTypes: ['order.paid'], description: 'updated' });
    expect(updated).toMatchObject({ url: 'https://example.com/v2', description: 'updated', channels: null, uid: 'client-ep' });
    const patched = await svix.endpoint.patch(app.id, ep.id, { disabled: true, rateLimit: null });
    expect(patched).toMatchObject({ disabled: true, rateLimit: null });

    expect(await svix.endpoint.getHeaders(app.id, ep.id)).toEqual({ headers: { 'X-Static': 'yes' }, sensitive: [] });
    await svix.endpoint.updateHeaders(app.id, ep.id, { headers: { 'X-One': '1', 'X-Two': '2', Authorization: 'Bearer hidden' } });
    await svix.endpoint.patchHeaders(app.id, ep.id, { headers: { 'X-Three': '3' }, deleteHeaders: ['X-One'] });
    const headers = await svix.endpoint.getHeaders(app.id, ep.id);
    expect(headers.headers).toEqual({ 'X-Two': '2', 'X-Three': '3' });
    expect(headers.sensitive).toEqual(['Authorization']);

    const secret = await svix.endpoint.getSecret(app.id, ep.id);
    expect(secret.key).toMatch(/^whsec_/);
    await svix.endpoint.rotateSecret(app.id, ep.id, {});
    const rotated = await svix.endpoint.getSecret(app.id, ep.id);
    expect(rotated.key).not.toBe(secret.key);
    const chosen = `whsec_${randomBytes(24).toString('base64')}`;
    await svix.endpoint.rotateSecret(app.id, ep.id, { key: chosen });
    expect((await svix.endpoint.getSecret(app.id, ep.id)).key).toBe(chosen);

    const stats = await svix.endpoint.getStats(app.id, ep.id);
    expect(stats).toEqual({ success: 0, pending: 0, sending: 0, fail: 0, canceled: 0 });

    await svix.endpoint.delete(app.id, ep.id);
    const missing = await svix.endpoint.get(app.id, ep.id).catch((err: unknown) => err);
    expect((missing as ApiException<unknown>).code).toBe(404);
  });

  it('surfaces validation errors as 422 ApiExceptions', async () => {
    const app = await svix.application.create({ name: 'Validation' });
    const err = await svix.endpoint.create(app.id, { url: 'http://169.254.169.254/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<{ detail: { loc: string[] }[] }>).code).toBe(422);
    expect((err as ApiException<{ detail: { loc: string[] }[] }>).body.detail[0]!.loc).toEqual(['body', 'url']);
  });

  it('creates app-portal access', async () => {
    const app = await svix.application.create({ name: 'Portal', uid: 'portal-app' });
    const access = await svix.authentication.appPortalAccess('portal-app', { featureFlags: [], expiry: 3600 });
    expect(access.url).toContain('/app-portal#token=');
    const portal = new Svix(access.token, { serverUrl: api.url });
    expect((await portal.application.get(app.id)).name).toBe('Portal');
  });

  it('replays a message create retried with the same idempotency key and a rebuilt payload', async () => {
    const app = await svix.application.create({ name: 'Idempotent sends' });
    const key = `send-${randomBytes(6).toString('hex')}`;
    const first = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { sentAt: 1 } }, { idempotencyKey: key });
    // A producer rebuilding its message on retry (a new timestamp) gets the first message back.
    const retried = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { sentAt: 2 } }, { idempotencyKey: key });
    expect(retried.id).toBe(first.id);
    // (the client fills `payload` in from its own argument; the stored message is the first one)
    expect((await svix.message.get(app.id, first.id)).payload).toEqual({ sentAt: 1 });
    expect((await svix.message.list(app.id)).data.map((m) => m.id)).toEqual([first.id]);
    // Another key is another message.
    const other = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { sentAt: 2 } }, { idempotencyKey: `${key}-b` });
    expect(other.id).not.toBe(first.id);
  });

  it('gets an over-limit message as a 413 ApiException in the error shape', async () => {
    const app = await svix.application.create({ name: 'Too large' });
    const huge = 'x'.repeat(api.config.api.maxPayloadBytes + 1024);
    const err = await svix.message.create(app.id, { eventType: 'big.one', payload: { huge } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<{ code: string }>).code).toBe(413);
    expect((err as ApiException<{ code: string }>).body.code).toBe('payload_too_large');
    expect((await svix.message.list(app.id)).data).toEqual([]);
  });
});
