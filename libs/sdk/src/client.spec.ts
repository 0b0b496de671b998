import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Herald, type HeraldOptions } from './client.js';
import { HeraldApiError, HeraldNetworkError, HeraldTimeoutError, HeraldValidationError } from './errors.js';
import type { MessageOut } from './types.js';

/**
 * A scripted stand-in for the Herald API on 127.0.0.1: each test installs a handler and reads
 * back what arrived. Real sockets, so retries, dropped connections and timeouts are real too.
 */
interface Received {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}
type Handler = (req: Received, res: http.ServerResponse, index: number) => void | Promise<void>;

let server: http.Server;
let baseUrl: string;
let handler: Handler;
let received: Received[] = [];
let clients: Herald<never>[] = [];

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function client<C extends { [K in keyof C]: object } = Record<string, Record<string, unknown>>>(options: Partial<HeraldOptions<C>> = {}): Herald<C> {
  const h = new Herald<C>({ apiKey: 'test-key', baseUrl, retries: 3, backoff: { baseDelayMs: 1, maxDelayMs: 5 }, timeoutMs: 2_000, deadlineMs: 4_000, ...options });
  clients.push(h as unknown as Herald<never>);
  return h;
}

function message(eventType: string, payload: unknown, id = 'msg_1'): MessageOut {
  return { id, eventType, payload: payload as Record<string, unknown>, timestamp: '2026-01-01T00:00:00.000Z' };
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const entry: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const index = received.push(entry) - 1;
      Promise.resolve(handler(entry, res, index)).catch((err: unknown) => {
        json(res, 599, { code: 'test_handler_failed', detail: String(err) });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

beforeEach(() => {
  received = [];
  handler = (_req, res) => json(res, 500, { code: 'no_handler', detail: 'test did not set a handler' });
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});

type Catalog = { 'invoice.paid': { id: string; amountCents: number }; 'user.created': { userId: string } };

describe('messages.send', () => {
  it('POSTs the Svix message shape with bearer auth and an idempotency key', async () => {
    handler = (req, res) => json(res, 202, message('invoice.paid', JSON.parse(req.body).payload));
    const herald = client<Catalog>();
    const sent = await herald.messages.send('app_1', 'invoice.paid', { id: 'in_1', amountCents: 500 }, { eventId: 'evt-1', channels: ['eu'], payloadRetentionPeriod: 30 });
    expect(sent.payload).toEqual({ id: 'in_1', amountCents: 500 });
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/api/v1/app/app_1/msg');
    expect(req!.headers['authorization']).toBe('Bearer test-key');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['idempotency-key']).toMatch(/^auto_[0-9a-f-]{36}$/);
    expect(JSON.parse(req!.body)).toEqual({ eventType: 'invoice.paid', payload: { id: 'in_1', amountCents: 500 }, eventId: 'evt-1', channels: ['eu'], payloadRetentionPeriod: 30 });
  });

  it('retries a dropped connection with the same Idempotency-Key; the server keeps one message', async () => {
    const byKey = new Map<string, MessageOut>();
    handler = (req, res, index) => {
      const key = String(req.headers['idempotency-key']);
      const stored = byKey.get(key) ?? message('invoice.paid', JSON.parse(req.body).payload, `msg_${byKey.size + 1}`);
      byKey.set(key, stored);
      // The first attempt is processed, then the connection dies before the answer: the
      // case that makes a blind retry create a duplicate.
      if (index === 0) return void res.socket?.destroy();
      json(res, 202, stored);
    };
    const herald = client<Catalog>();
    const sent = await herald.messages.send('app_1', 'invoice.paid', { id: 'in_1', amountCents: 500 });
    expect(received).toHaveLength(2);
    expect(received[1]!.headers['idempotency-key']).toBe(received[0]!.headers['idempotency-key']);
    expect(byKey.size).toBe(1);
    expect(sent.id).toBe('msg_1');
  });

  it("retries a 503 with Retry-After: 0 and keeps the caller's idempotency key", async () => {
    handler = (req, res, index) =>
      index < 2 ? json(res, 503, { code: 'unavailable', detail: 'busy' }, { 'retry-after': '0' }) : json(res, 202, message('user.created', JSON.parse(req.body).payload));
    const herald = client<Catalog>();
    await herald.messages.send('app_1', 'user.created', { userId: 'u1' }, { idempotencyKey: 'my-key-1' });
    expect(received.map((r) => r.headers['idempotency-key'])).toEqual(['my-key-1', 'my-key-1', 'my-key-1']);
  });

  it('retries a 409 idempotency_in_progress (its own earlier try still running) but no other 409', async () => {
    handler = (req, res, index) =>
      index === 0
        ? json(res, 409, { code: 'idempotency_in_progress', detail: 'in flight' }, { 'retry-after': '0' })
        : json(res, 202, message('user.created', JSON.parse(req.body).payload));
    await client<Catalog>().messages.send('app_1', 'user.created', { userId: 'u1' }, { idempotencyKey: 'k-409' });
    expect(received).toHaveLength(2);

    received = [];
    handler = (_req, res) => json(res, 409, { code: 'conflict', detail: 'eventId already used' });
    await expect(client<Catalog>().messages.send('app_1', 'user.created', { userId: 'u1' })).rejects.toMatchObject({ status: 409, code: 'conflict' });
    expect(received).toHaveLength(1);
  });

  it('does not retry a 422 and reports its validation details', async () => {
    handler = (_req, res) =>
      json(res, 422, { detail: [{ loc: ['body', 'payload', 'amountCents'], msg: 'must be an integer', type: 'type_error' }] }, { 'x-request-id': 'req-422' });
    const herald = client<Catalog>();
    const error = await herald.messages.send('app_1', 'invoice.paid', { id: 'in_1', amountCents: 1.5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldApiError);
    const apiError = error as HeraldApiError;
    expect(apiError.status).toBe(422);
    expect(apiError.code).toBe('validation');
    expect(apiError.detail).toBe('body.payload.amountCents: must be an integer');
    expect(apiError.validationErrors).toEqual([{ loc: ['body', 'payload', 'amountCents'], msg: 'must be an integer', type: 'type_error' }]);
    expect(apiError.requestId).toBe('req-422');
    expect(apiError.attempts).toBe(1);
    expect(received).toHaveLength(1);
  });

  it.each([400, 401, 403, 404, 409])('does not retry a %i and exposes {code, detail}', async (status) => {
    handler = (_req, res) => json(res, status, { code: `code_${status}`, detail: `detail ${status}` });
    const error = (await client()
      .messages.send('app_1', 'x', {})
      .catch((e: unknown) => e)) as HeraldApiError;
    expect(error).toBeInstanceOf(HeraldApiError);
    expect([error.status, error.code, error.detail]).toEqual([status, `code_${status}`, `detail ${status}`]);
    expect(received).toHaveLength(1);
  });

  it('waits as long as a 429 Retry-After asks before retrying', async () => {
    handler = (req, res, index) =>
      index === 0 ? json(res, 429, { code: 'rate_limited', detail: 'slow down' }, { 'retry-after': '1' }) : json(res, 202, message('x', JSON.parse(req.body).payload));
    await client().messages.send('app_1', 'x', { n: 1 });
    expect(received).toHaveLength(2);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('stops after `retries` retries and throws the last error', async () => {
    handler = (_req, res) => json(res, 503, { code: 'unavailable', detail: 'down' }, { 'retry-after': '0' });
    const error = (await client({ retries: 2 })
      .messages.send('app_1', 'x', {})
      .catch((e: unknown) => e)) as HeraldApiError;
    expect(error).toBeInstanceOf(HeraldApiError);
    expect(error.status).toBe(503);
    expect(error.attempts).toBe(3);
    expect(received).toHaveLength(3);
  });

  it('does not retry at all with retries: 0', async () => {
    handler = (_req, res) => json(res, 500, { code: 'internal_error', detail: 'boom' });
    await expect(client({ retries: 0 }).messages.send('app_1', 'x', {})).rejects.toBeInstanceOf(HeraldApiError);
    expect(received).toHaveLength(1);
  });

  it('gives up at once when Retry-After reaches past the deadline', async () => {
    handler = (_req, res) => json(res, 503, { code: 'unavailable', detail: 'down' }, { 'retry-after': '30' });
    const started = Date.now();
    await expect(client({ deadlineMs: 500 }).messages.send('app_1', 'x', {})).rejects.toMatchObject({ name: 'HeraldApiError', status: 503 });
    expect(Date.now() - started).toBeLessThan(2_000); // honouring the 30 s Retry-After would take far longer
    expect(received).toHaveLength(1);
  });

  it('times out a stalled attempt, retries it, and reports a timeout', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const error = await client({ timeoutMs: 100, retries: 1 })
      .messages.send('app_1', 'x', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldTimeoutError);
    expect((error as HeraldTimeoutError).kind).toBe('attempt');
    expect(received).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2_000); // the 4 s deadline was not what stopped it
  });

  it('never runs past the overall deadline', async () => {
    handler = () => undefined;
    const started = Date.now();
    const error = await client({ timeoutMs: 1_000, deadlineMs: 150 })
      .messages.send('app_1', 'x', {})
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(HeraldTimeoutError);
    expect((error as HeraldTimeoutError).kind).toBe('deadline');
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(900); // below the 1 s attempt timeout: the deadline cut it short
    expect(received).toHaveLength(1);
  });

  it('reports a refused connection as a network error after retrying', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await client({ baseUrl: `http://127.0.0.1:${port}`, retries: 2 })
      .messages.send('app_1', 'x', {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldNetworkError);
    expect((error as HeraldNetworkError).attempts).toBe(3);
  });
});

describe('runtime validation with a zod schema', () => {
  const invoicePaid = z.object({ id: z.string().min(1), amountCents: z.number().int().nonnegative() });

  it('rejects a bad payload before any request', async () => {
    const herald = client({ schemas: { 'invoice.paid': invoicePaid } });
    // The compile-time check would stop this call; the cast simulates data from an untyped source.
    const bad = { id: 'in_1', amountCents: -5 } as unknown as { id: string; amountCents: number };
    const error = await herald.messages.send('app_1', 'invoice.paid', bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldValidationError);
    expect((error as HeraldValidationError).eventType).toBe('invoice.paid');
    expect((error as HeraldValidationError).issues).toEqual([{ path: 'amountCents', message: expect.any(String) }]);
    expect(received).toHaveLength(0);
  });

  it('sends the parsed output of a valid payload', async () => {
    handler = (req, res) => json(res, 202, message('invoice.paid', JSON.parse(req.body).payload));
    const herald = client({ schemas: { 'invoice.paid': invoicePaid } });
    const extra = { id: 'in_1', amountCents: 5, internalNote: 'not for customers' };
    await herald.messages.send('app_1', 'invoice.paid', extra);
    // zod's default object strips unknown keys; what was validated is what is sent.
    expect(JSON.parse(received[0]!.body).payload).toEqual({ id: 'in_1', amountCents: 5 });
  });

  it('accepts a parse-only schema', async () => {
    const schema = {
      parse(input: unknown): { userId: string } {
        if (typeof input === 'object' && input !== null && typeof (input as { userId?: unknown }).userId === 'string') return input as { userId: string };
        throw new Error('userId must be a string');
      },
    };
    const herald = client({ schemas: { 'user.created': schema } });
    await expect(herald.messages.send('app_1', 'user.created', { userId: 42 } as unknown as { userId: string })).rejects.toThrow(/userId must be a string/);
    expect(received).toHaveLength(0);
  });

  it('reports a payload that cannot be serialised as a validation error', async () => {
    const payload: Record<string, unknown> = {};
    payload['self'] = payload;
    await expect(client().messages.send('app_1', 'x', payload)).rejects.toBeInstanceOf(HeraldValidationError);
    expect(received).toHaveLength(0);
  });
});

describe('messages.sendMany', () => {
  it('never exceeds the concurrency limit and returns per-item results in input order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    handler = async (req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const body = JSON.parse(req.body) as { payload: { userId: string } };
      // Later items answer sooner, so completion order differs from input order.
      await delay(5 + (20 - Number(body.payload.userId.slice(1))));
      inFlight--;
      if (body.payload.userId === 'u7') return json(res, 409, { code: 'conflict', detail: 'duplicate eventId' });
      json(res, 202, message('user.created', body.payload, `msg_${body.payload.userId}`));
    };
    const herald = client<Catalog>({ schemas: { 'user.created': z.object({ userId: z.string().regex(/^u\d+$/) }) } });
    const items = Array.from({ length: 20 }, (_, i) => ({ eventType: 'user.created' as const, payload: { userId: i === 12 ? 'bad' : `u${i}` } }));
    const results = await herald.messages.sendMany('app_1', items, { concurrency: 3 });

    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThanOrEqual(2); // the limit was reached, not serialised
    expect(received).toHaveLength(19); // the invalid item never left the client
    expect(results).toHaveLength(20);
    results.forEach((result, i) => {
      if (i === 7) expect(result).toMatchObject({ ok: false, error: { name: 'HeraldApiError', status: 409 } });
      else if (i === 12) expect(result).toMatchObject({ ok: false, error: { name: 'HeraldValidationError' } });
      else expect(result).toEqual({ ok: true, message: expect.objectContaining({ id: `msg_u${i}` }) });
    });
    const keys = new Set(received.map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(19);
  });

  it('accepts mixed event types and per-item options', async () => {
    handler = (req, res) => json(res, 202, message(JSON.parse(req.body).eventType, JSON.parse(req.body).payload));
    const herald = client<Catalog>();
    const results = await herald.messages.sendMany('app_1', [
      { eventType: 'invoice.paid', payload: { id: 'in_1', amountCents: 1 }, idempotencyKey: 'k-1' },
      { eventType: 'user.created', payload: { userId: 'u1' }, eventId: 'e-2' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(received.find((r) => JSON.parse(r.body).eventType === 'invoice.paid')!.headers['idempotency-key']).toBe('k-1');
    expect(JSON.parse(received.find((r) => JSON.parse(r.body).eventType === 'user.created')!.body).eventId).toBe('e-2');
  });

  it('rejects a bad concurrency value', async () => {
    await expect(client().messages.sendMany('app_1', [], { concurrency: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('pagination', () => {
  it('walks every page with listAll', async () => {
    const pages: Record<string, { data: { id: string }[]; iterator: string | null; done: boolean }> = {
      '': { data: [{ id: 'app_1' }, { id: 'app_2' }], iterator: 'it_1', done: false },
      it_1: { data: [{ id: 'app_3' }, { id: 'app_4' }], iterator: 'it_2', done: false },
      it_2: { data: [{ id: 'app_5' }], iterator: 'it_3', done: true },
    };
    handler = (req, res) => {
      const page = pages[req.query.get('iterator') ?? ''];
      if (!page) return json(res, 404, { code: 'not_found', detail: 'no such page' });
      json(res, 200, { ...page, prevIterator: null });
    };
    const ids: string[] = [];
    for await (const app of client().applications.listAll({ limit: 2 })) ids.push(app.id);
    expect(ids).toEqual(['app_1', 'app_2', 'app_3', 'app_4', 'app_5']);
    expect(received.map((r) => r.url)).toEqual(['/api/v1/app?limit=2', '/api/v1/app?limit=2&iterator=it_1', '/api/v1/app?limit=2&iterator=it_2']);
  });

  it('stops instead of looping when the server repeats an iterator', async () => {
    handler = (_req, res) => json(res, 200, { data: [{ id: 'x' }], iterator: 'same', prevIterator: null, done: false });
    const iterate = async (): Promise<number> => {
      let n = 0;
      for await (const _ of client().applications.listAll()) if (++n > 10) break;
      return n;
    };
    await expect(iterate()).rejects.toBeInstanceOf(HeraldNetworkError);
    expect(received).toHaveLength(2);
  });

  it('refuses a limit above 250 without a request', async () => {
    await expect(client().messages.list('app_1', { limit: 251 })).rejects.toBeInstanceOf(RangeError);
    await expect(client().endpoints.listAll('app_1', { limit: 0 }).next()).rejects.toBeInstanceOf(RangeError);
    expect(received).toHaveLength(0);
  });
});

describe('resource paths and bodies', () => {
  it('match the Svix API for every call', async () => {
    handler = (req, res) => {
      if (req.method === 'DELETE' || req.path.endsWith('/secret/rotate')) return void res.writeHead(204).end();
      if (req.path.endsWith('/resend')) return json(res, 202, {});
      if (req.method === 'GET' && /\/(app|endpoint|msg|attempt\/msg\/[^/]+|attempt\/endpoint\/[^/]+)$/.test(req.path)) {
        return json(res, 200, { data: [], iterator: null, prevIterator: null, done: true });
      }
      json(res, 200, { ok: true });
    };
    const h = client();
    await h.applications.create({ name: 'A', uid: 'a' });
    await h.applications.getOrCreate({ name: 'A', uid: 'a' });
    await h.applications.get('a');
    await h.applications.list({ order: 'descending' });
    await h.applications.update('a', { name: 'B' });
    await h.applications.patch('a', { name: 'C' });
    await h.applications.delete('a');
    await h.endpoints.create('a', { url: 'https://example.com/hook', eventTypes: ['invoice.paid'] });
    await h.endpoints.get('a', 'ep');
    await h.endpoints.list('a', { limit: 10 });
    await h.endpoints.update('a', 'ep', { url: 'https://example.com/2' });
    await h.endpoints.patch('a', 'ep', { disabled: true });
    await h.endpoints.delete('a', 'ep');
    await h.endpoints.getSecret('a', 'ep');
    await h.endpoints.rotateSecret('a', 'ep', { key: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    await h.endpoints.recover('a', 'ep', { since: new Date('2026-01-01T00:00:00Z') });
    await h.messages.get('a', 'msg 1', { withContent: false });
    await h.messages.list('a', { eventTypes: ['x.y', 'z'], channel: 'eu', after: new Date('2026-01-02T00:00:00Z') });
    await h.attempts.listByMessage('a', 'm', { status: 2, endpointId: 'ep' });
    await h.attempts.listByEndpoint('a', 'ep', { statusCodeClass: 500 });
    await h.attempts.resend('a', 'm', 'ep');
    await h.authentication.appPortalAccess('a', { featureFlags: ['beta'] });
    await h.health();

    expect(received.map((r) => `${r.method} ${r.url}${r.body ? ` ${r.body}` : ''}`)).toEqual([
      'POST /api/v1/app {"name":"A","uid":"a"}',
      'POST /api/v1/app?get_if_exists=true {"name":"A","uid":"a"}',
      'GET /api/v1/app/a',
      'GET /api/v1/app?order=descending',
      'PUT /api/v1/app/a {"name":"B"}',
      'PATCH /api/v1/app/a {"name":"C"}',
      'DELETE /api/v1/app/a',
      'POST /api/v1/app/a/endpoint {"url":"https://example.com/hook","eventTypes":["invoice.paid"]}',
      'GET /api/v1/app/a/endpoint/ep',
      'GET /api/v1/app/a/endpoint?limit=10',
      'PUT /api/v1/app/a/endpoint/ep {"url":"https://example.com/2"}',
      'PATCH /api/v1/app/a/endpoint/ep {"disabled":true}',
      'DELETE /api/v1/app/a/endpoint/ep',
      'GET /api/v1/app/a/endpoint/ep/secret',
      'POST /api/v1/app/a/endpoint/ep/secret/rotate {"key":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}',
      'POST /api/v1/app/a/endpoint/ep/recover {"since":"2026-01-01T00:00:00.000Z"}',
      'GET /api/v1/app/a/msg/msg%201?with_content=false',
      'GET /api/v1/app/a/msg?channel=eu&after=2026-01-02T00%3A00%3A00.000Z&event_types=x.y&event_types=z',
      'GET /api/v1/app/a/attempt/msg/m?status=2&endpoint_id=ep',
      'GET /api/v1/app/a/attempt/endpoint/ep?status_code_class=500',
      'POST /api/v1/app/a/msg/m/endpoint/ep/resend',
      'POST /api/v1/auth/app-portal-access/a {"featureFlags":["beta"]}',
      'GET /api/v1/health',
    ]);
    // Every POST carries an idempotency key; no other method does.
    for (const r of received) expect(r.headers['idempotency-key'] !== undefined).toBe(r.method === 'POST');
  });

  it('keeps a path prefix in baseUrl', async () => {
    handler = (_req, res) => json(res, 200, { id: 'a' });
    await client({ baseUrl: `${baseUrl}/herald/` }).applications.get('a');
    expect(received[0]!.path).toBe('/herald/api/v1/app/a');
  });

  it('rejects bad options at construction', () => {
    expect(() => new Herald({ apiKey: '', baseUrl })).toThrow(TypeError);
    expect(() => new Herald({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(TypeError);
    expect(() => new Herald({ apiKey: 'k', baseUrl, retries: -1 })).toThrow(RangeError);
  });
});
