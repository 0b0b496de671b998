import { createHmac } from 'node:crypto';
import { messageInRaw, Svix, Webhook } from 'svix';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { createTestDatabase, dropTestDatabase, startTestDispatcher, startWebhookReceiver, type HeraldProcess, type ReceivedRequest, type WebhookReceiver } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

/** The Standard Webhooks signature of `body` as sent, checked by hand (the body need not be JSON). */
function signatureValid(req: ReceivedRequest, secret: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${String(req.headers['webhook-id'])}.${String(req.headers['webhook-timestamp'])}.${req.body}`).digest('base64');
  return String(req.headers['webhook-signature'])
    .split(' ')
    .some((s) => s === `v1,${expected}`);
}

/**
 * Raw payloads (`messageInRaw`) and operational-webhook endpoints, delivered by the real
 * dispatcher process (built: `npm run build`) to a real receiver on 127.0.0.1.
 */
describe('raw payloads and operational endpoints, delivered', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let database: { url: string; name: string };
  let receiver: WebhookReceiver;
  let dispatcher: HeraldProcess | undefined;
  let tenant: { tenantId: string; apiKey: string };
  let svix: Svix;
  let appId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startTestApi({ DATABASE_URL: database.url, HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-${database.name}`, HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('raw payloads');
    svix = new Svix(tenant.apiKey, { serverUrl: api.url });
    receiver = await startWebhookReceiver();
    appId = (await svix.application.create({ name: 'raw', uid: 'raw' })).id;
    dispatcher = startTestDispatcher({ databaseUrl: database.url, queuePrefix: api.config.redis.queuePrefix });
  });
  afterAll(async () => {
    await dispatcher?.stop('SIGKILL');
    await receiver?.close();
    await api?.close();
    if (database) await dropTestDatabase(database.name);
  });

  /** Every endpoint of the app gets each message: the one at `path`. */
  const deliveredFor = async (msgId: string, path: string): Promise<ReceivedRequest> => {
    const match = (r: ReceivedRequest): boolean => r.headers['webhook-id'] === msgId && r.path === path;
    await receiver.waitFor((reqs) => reqs.some(match), 20_000);
    return receiver.requests.find(match)!;
  };

  it('delivers a raw JSON payload byte for byte (not re-serialised), signed over those bytes, and stores it encrypted', async () => {
    const endpoint = await svix.endpoint.create(appId, { url: `${receiver.url}/raw-json` });
    const { key: secret } = await svix.endpoint.getSecret(appId, endpoint.id);
    // Whitespace, key order, an escape and a number beyond 2^53 that JSON.parse would round.
    const raw = '{ "zeta" : 1,\n  "alpha":"caf\\u00e9 ☕", "big": 12345678901234567890 }';
    const sent = await svix.message.create(appId, messageInRaw('raw.json', raw));

    const req = await deliveredFor(sent.id, '/raw-json');
    expect(req.body).toBe(raw);
    expect(req.headers['content-type']).toBe('application/json');
    expect(signatureValid(req, secret)).toBe(true);
    expect(() => new Webhook(secret).verify(req.body, req.headers as Record<string, string>)).not.toThrow();

    // Stored only encrypted.
    const row = await prisma.message.findUniqueOrThrow({ where: { id: sent.id } });
    expect(row.rawContentType).toBe('application/json');
    expect(Buffer.from(row.payloadEnc!).includes(Buffer.from('zeta'))).toBe(false);
    expect(row.payloadSize).toBe(Buffer.byteLength(raw));
    // Read back as JSON (the API's own serialisation); the receiver got the bytes as given.
    expect((await svix.message.get(appId, sent.id)).payload).toMatchObject({ zeta: 1, alpha: 'café ☕' });
  });

  it('delivers a non-JSON raw payload with its content type; the API returns it as a string', async () => {
    const endpoint = await svix.endpoint.create(appId, { url: `${receiver.url}/raw-text` });
    const { key: secret } = await svix.endpoint.getSecret(appId, endpoint.id);
    const raw = '<event kind="paid">\r\n  <amount currency="EUR">12.50</amount>\n</event>  ';
    const sent = await svix.message.create(appId, messageInRaw('raw.xml', raw, 'application/xml; charset=utf-8'));

    const req = await deliveredFor(sent.id, '/raw-text');
    expect(req.body).toBe(raw);
    expect(req.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(signatureValid(req, secret)).toBe(true);
    // A signature over other bytes (say, the re-serialised payload) would not verify.
    expect(signatureValid({ ...req, body: JSON.stringify(raw) }, secret)).toBe(false);

    const got = await api.call<{ payload: unknown }>('GET', `/api/v1/app/${appId}/msg/${sent.id}`, { token: tenant.apiKey });
    expect(got.body.payload).toBe(raw);
    // Resent, it is the same bytes and type again.
    await svix.messageAttempt.resend(appId, sent.id, endpoint.id);
    const toText = (reqs: ReceivedRequest[]) => reqs.filter((r) => r.headers['webhook-id'] === sent.id && r.path === '/raw-text');
    await receiver.waitFor((reqs) => toText(reqs).length === 2, 20_000);
    const again = toText(receiver.requests)[1]!;
    expect(again.body).toBe(raw);
    expect(again.headers['content-type']).toBe('application/xml; charset=utf-8');
  });

  it('refuses malformed raw-payload requests with 422 and stores nothing', async () => {
    const before = await prisma.message.count({ where: { tenantId: tenant.tenantId } });
    const bodies: [unknown, (string | number)[]][] = [
      [{ eventType: 'raw.x', payload: { a: 1 }, transformationsParams: { rawPayload: 'x' } }, ['body', 'payload']],
      [{ eventType: 'raw.x', payload: {}, transformationsParams: { rawPayload: 'x', headers: { 'x-other': 'y' } } }, ['body', 'transformationsParams', 'headers', 'x-other']],
      [{ eventType: 'raw.x', payload: {}, transformationsParams: { rawPayload: 'x', headers: { 'content-type': 'text/plain\r\nx-injected: 1' } } }, ['body', 'transformationsParams', 'headers', 'content-type']],
      [{ eventType: 'raw.x', payload: {}, transformationsParams: { rawPayload: 'x', headers: { 'content-type': 'not a type' } } }, ['body', 'transformationsParams', 'headers', 'content-type']],
      [{ eventType: 'raw.x', payload: {}, transformationsParams: { headers: { 'content-type': 'text/plain' } } }, ['body', 'transformationsParams', 'headers', 'content-type']],
      [{ eventType: 'raw.x', payload: {}, transformationsParams: { rawPayload: 42 } }, ['body', 'transformationsParams', 'rawPayload']],
    ];
    for (const [body, loc] of bodies) {
      const res = await api.call<{ detail: { loc: (string | number)[] }[] }>('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail.map((d) => d.loc)).toContainEqual(loc);
    }
    // Beyond HERALD_MAX_PAYLOAD_BYTES: 413.
    const huge = 'x'.repeat(api.config.api.maxPayloadBytes + 1);
    const res = await api.call('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, body: { eventType: 'raw.x', payload: {}, transformationsParams: { rawPayload: huge } } });
    expect(res.status).toBe(413);
    expect(await prisma.message.count({ where: { tenantId: tenant.tenantId } })).toBe(before);
  });

  it('signs and delivers operational webhooks to each operational endpoint its filter admits', async () => {
    const all = await svix.operationalWebhookEndpoint.create({ url: `${receiver.url}/ops-all` });
    const onlyDeleted = await svix.operationalWebhookEndpoint.create({ url: `${receiver.url}/ops-deleted`, filterTypes: ['endpoint.deleted'] });
    const allSecret = (await svix.operationalWebhookEndpoint.getSecret(all.id)).key;
    const deletedSecret = (await svix.operationalWebhookEndpoint.getSecret(onlyDeleted.id)).key;

    const ep = await svix.endpoint.create(appId, { url: `${receiver.url}/watched`, uid: 'watched' });
    await svix.endpoint.delete(appId, ep.id);

    const ops = (p: string) => receiver.requests.filter((r) => r.path === p);
    await receiver.waitFor(() => ops('/ops-all').length >= 2 && ops('/ops-deleted').length >= 1, 20_000);
    const types = (p: string) => ops(p).map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(types('/ops-all').sort()).toEqual(['endpoint.created', 'endpoint.deleted']);
    expect(types('/ops-deleted')).toEqual(['endpoint.deleted']);
    for (const r of ops('/ops-all')) {
      expect(new Webhook(allSecret).verify(r.body, r.headers as Record<string, string>)).toMatchObject({ data: { appId, endpointId: ep.id, endpointUid: 'watched' } });
    }
    const deleted = ops('/ops-deleted')[0]!;
    expect(new Webhook(deletedSecret).verify(deleted.body, deleted.headers as Record<string, string>)).toMatchObject({ type: 'endpoint.deleted' });
    expect(signatureValid(deleted, allSecret)).toBe(false);
  });
});
