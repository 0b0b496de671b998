import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, testConfig, type WebhookReceiver } from '@herald/testing';
import { HttpDeliveryClient, parseRetryAfter, type HttpDeliveryClientOptions } from './http-delivery.client';

const FIXTURES = join(__dirname, '..', 'test-fixtures');
const tls = { key: readFileSync(join(FIXTURES, 'server.key'), 'utf8'), cert: readFileSync(join(FIXTURES, 'server.crt'), 'utf8') };
const LOOPBACK = ['127.0.0.0/8'];
const body = Buffer.from('{"hello":"world"}');

describe('HttpDeliveryClient', () => {
  const clients: HttpDeliveryClient[] = [];
  const client = (options: Partial<HttpDeliveryClientOptions> = {}): HttpDeliveryClient => {
    const c = new HttpDeliveryClient({ timeoutMs: 2_000, allowedCidrs: LOOPBACK, httpsOnly: false, ...options });
    clients.push(c);
    return c;
  };
  let receiver: WebhookReceiver;
  let other: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    other = await startWebhookReceiver();
  });
  afterEach(() => {
    receiver.setHandler(() => ({ status: 200, body: 'ok' }));
    receiver.requests.length = 0;
    other.requests.length = 0;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await receiver.close();
    await other.close();
  });

  it('POSTs the exact bytes with Herald headers and reads the answer', async () => {
    receiver.setHandler(() => ({ status: 202, body: 'accepted' }));
    const result = await client().send({ url: `${receiver.url}/hook?x=1`, headers: { 'webhook-id': 'msg_1', 'x-custom': 'yes', Host: 'evil.example', Connection: 'close', 'User-Agent': 'spoof' }, body });
    expect(result).toMatchObject({ status: 202, ok: true, truncated: false });
    expect(result.body.toString()).toBe('accepted');
    const [req] = receiver.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/hook?x=1', body: body.toString() });
    expect(req!.headers['user-agent']).toMatch(/^Herald\/\d+\.\d+\.\d+/);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['x-custom']).toBe('yes');
    expect(req!.headers.host).toBe(`127.0.0.1:${receiver.port}`);
    expect(req!.headers['webhook-id']).toBe('msg_1');
  });

  it('treats a 3xx as a failure and never follows it', async () => {
    receiver.setHandler(() => ({ status: 302, headers: { location: `${other.url}/stolen` } }));
    const result = await client().send({ url: receiver.url, headers: {}, body });
    expect(result).toMatchObject({ status: 302, ok: false });
    receiver.setHandler(() => ({ status: 307, headers: { location: 'http://169.254.169.254/latest/meta-data' } }));
    expect(await client().send({ url: receiver.url, headers: {}, body })).toMatchObject({ status: 307, ok: false });
    await new Promise((r) => setTimeout(r, 100));
    expect(other.requests).toHaveLength(0);
    expect(other.connections()).toBe(0);
  });

  it('cuts a receiver that hangs at the timeout', async () => {
    receiver.setHandler(() => ({ hang: true }));
    const started = Date.now();
    const result = await client({ timeoutMs: 500 }).send({ url: receiver.url, headers: {}, body });
    expect(result).toMatchObject({ status: 0, ok: false, error: { kind: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.durationMs).toBeGreaterThanOrEqual(450);
  });

  it('keeps at most the stored cap of a large response', async () => {
    receiver.setHandler(() => ({ status: 500, body: 'x'.repeat(200 * 1024) }));
    const result = await client().send({ url: receiver.url, headers: {}, body });
    expect(result).toMatchObject({ status: 500, ok: false, truncated: true });
    expect(result.body.length).toBe(64 * 1024);
  });

  it('stops reading past the read cap: the connection is dropped, the stored part kept, the status stands', async () => {
    receiver.setHandler(() => ({ status: 200, body: 'y'.repeat(512 * 1024) }));
    const capped = client({ maxStoredBytes: 1024, maxReadBytes: 64 * 1024 });
    const result = await capped.send({ url: receiver.url, headers: {}, body });
    expect(result).toMatchObject({ status: 200, ok: true, truncated: true });
    expect(result.body.toString()).toBe('y'.repeat(1024));
    // The client is usable afterwards (a new connection replaces the dropped one).
    receiver.setHandler(() => ({ status: 200, body: 'ok' }));
    expect(await capped.send({ url: receiver.url, headers: {}, body })).toMatchObject({ status: 200, ok: true });
  });

  it('reports Retry-After and connection errors', async () => {
    receiver.setHandler(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    expect(await client().send({ url: receiver.url, headers: {}, body })).toMatchObject({ status: 429, retryAfterMs: 7000 });
    const closed = await startWebhookReceiver();
    await closed.close();
    expect(await client().send({ url: closed.url, headers: {}, body })).toMatchObject({ status: 0, error: { kind: 'network', message: expect.stringMatching(/ECONNREFUSED/) } });
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('refuses bad URLs and http when https-only, without a request', async () => {
    expect(await client().send({ url: 'ftp://127.0.0.1/', headers: {}, body })).toMatchObject({ error: { kind: 'invalid-url' } });
    const before = receiver.connections();
    expect(await client({ httpsOnly: true }).send({ url: receiver.url, headers: {}, body })).toMatchObject({ error: { kind: 'invalid-url', message: 'URL must use https' } });
    expect(receiver.connections()).toBe(before);
  });

  describe('address policy (no allowlist)', () => {
    it.each([
      ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/`, /loopback/],
      ['10.x', () => 'http://10.11.12.13/', /private address/],
      ['metadata', () => 'http://169.254.169.254/latest/meta-data', /link-local or cloud metadata/],
      ['[::1]', (port: number) => `http://[::1]:${port}/`, /^destination refused by the address policy: ::1 /],
      ['::ffff:127.0.0.1', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`, /embeds .*loopback/],
      ['decimal 2130706433', (port: number) => `http://2130706433:${port}/`, /loopback/],
      ['localhost (system DNS)', (port: number) => `http://localhost:${port}/`, /localhost resolves to .*loopback/],
    ])('refuses %s before connecting', async (_name, url, reason) => {
      const before = receiver.connections();
      const result = await client({ allowedCidrs: [] }).send({ url: url(receiver.port), headers: {}, body });
      expect(result).toMatchObject({ status: 0, ok: false, error: { kind: 'refused', message: expect.stringMatching(reason) } });
      expect(receiver.connections()).toBe(before);
    });

    it('refuses a name when any of its addresses is private', async () => {
      const resolve = async (host: string): Promise<string[]> => (host === 'mixed.example.test' ? ['93.184.216.34', '127.0.0.1'] : ['10.0.0.7']);
      const c = client({ allowedCidrs: [], resolve });
      const before = receiver.connections();
      expect(await c.send({ url: `http://mixed.example.test:${receiver.port}/`, headers: {}, body })).toMatchObject({ error: { kind: 'refused', message: expect.stringMatching(/mixed\.example\.test resolves to 127\.0\.0\.1 is a loopback/) } });
      expect(await c.send({ url: `http://internal.example.test/`, headers: {}, body })).toMatchObject({ error: { kind: 'refused', message: expect.stringMatching(/10\.0\.0\.7/) } });
      expect(receiver.connections()).toBe(before);
    });
  });

  it('connects to the vetted address, keeps the name in the Host header, and vets every new connection', async () => {
    let calls = 0;
    // A rebinding resolver: the first answer is public-looking (allowed here), later ones private.
    const resolve = async (): Promise<string[]> => (calls++ === 0 ? ['127.0.0.1'] : ['10.0.0.1']);
    const first = await client({ resolve }).send({ url: `http://hooks.example.test:${receiver.port}/a`, headers: {}, body });
    expect(first).toMatchObject({ status: 200, ok: true });
    expect(receiver.requests[0]!.headers.host).toBe(`hooks.example.test:${receiver.port}`);
    const rebound = await client({ resolve }).send({ url: `http://hooks.example.test:${receiver.port}/b`, headers: {}, body });
    expect(rebound).toMatchObject({ status: 0, error: { kind: 'refused', message: expect.stringMatching(/resolves to 10\.0\.0\.1/) } });
    expect(receiver.requests).toHaveLength(1);
  });

  describe('TLS', () => {
    let secure: WebhookReceiver;
    beforeAll(async () => {
      secure = await startWebhookReceiver({ tls });
    });
    afterAll(async () => {
      await secure.close();
    });

    it('refuses a certificate from an unknown CA', async () => {
      const result = await client().send({ url: secure.url, headers: {}, body });
      expect(result).toMatchObject({ status: 0, ok: false, error: { kind: 'tls' } });
      expect(secure.requests).toHaveLength(0);
    });

    it('trusts the CA of HERALD_DELIVERY_CA_FILE, by IP and by name (SNI kept on the pinned address)', async () => {
      const config = testConfig({ HERALD_DELIVERY_CA_FILE: join(FIXTURES, 'ca.crt'), HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
      const c = HttpDeliveryClient.fromConfig(config, { resolve: async () => ['127.0.0.1'] });
      clients.push(c);
      expect(await c.send({ url: secure.url, headers: {}, body })).toMatchObject({ status: 200, ok: true });
      expect(await c.send({ url: `https://localhost:${secure.port}/`, headers: {}, body })).toMatchObject({ status: 200, ok: true });
      // The certificate does not name this host: verification uses the name, not the address.
      const wrong = await c.send({ url: `https://wrong.example.test:${secure.port}/`, headers: {}, body });
      expect(wrong).toMatchObject({ status: 0, error: { kind: 'tls' } });
      expect(secure.requests).toHaveLength(2);
    });
  });
});
