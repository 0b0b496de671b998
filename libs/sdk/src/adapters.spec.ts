import Fastify from 'fastify';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawBodyError, addRawJsonBodyParser, getRawBody, readRawBody, webhookMiddleware, type WebhookRequest } from './adapters.js';
import { WebhookVerificationError } from './errors.js';
import { generateWebhookSecret, signWebhookHeaders, verifyWebhook } from './verify.js';

const secret = generateWebhookSecret();
// Multi-byte characters: the signature covers bytes, so a decode/re-encode would break it.
const body = JSON.stringify({ type: 'invoice.paid', note: 'café — ✓', amountCents: 500 });

function stream(chunks: (Buffer | string)[], headers: Record<string, string> = {}): Readable & { headers: Record<string, string> } {
  return Object.assign(Readable.from(chunks), { headers });
}

describe('readRawBody', () => {
  it('returns the exact bytes, even when a character is split across chunks', async () => {
    const bytes = Buffer.from(body);
    const split = bytes.indexOf(Buffer.from('é')) + 1;
    const raw = await readRawBody(stream([bytes.subarray(0, split), bytes.subarray(split)]));
    expect(raw.equals(bytes)).toBe(true);
  });

  it('refuses a body over the limit while streaming', async () => {
    const error = await readRawBody(stream([Buffer.alloc(60), Buffer.alloc(60)]), { limitBytes: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RawBodyError);
    expect(error).toMatchObject({ reason: 'too_large', statusCode: 413 });
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    await expect(readRawBody(stream([], { 'content-length': '101' }), { limitBytes: 100 })).rejects.toMatchObject({ reason: 'too_large' });
  });

  it('uses a Buffer left by a raw body parser, and refuses an already-parsed object', async () => {
    const consumed = { headers: {}, readableEnded: true, on: () => undefined, removeListener: () => undefined };
    await expect(readRawBody({ ...consumed, body: Buffer.from('{}') })).resolves.toEqual(Buffer.from('{}'));
    await expect(readRawBody({ ...consumed, body: { parsed: true } })).rejects.toMatchObject({ reason: 'already_parsed' });
  });
});

describe('webhookMiddleware on a node:http server', () => {
  let server: http.Server;
  let url: string;
  const middleware = webhookMiddleware({ secret, limitBytes: 1_000 });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      middleware(req as WebhookRequest, res, (err) => {
        if (err) {
          res.statusCode = 500;
          res.end(String(err));
          return;
        }
        const r = req as WebhookRequest;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: r.webhook?.id, body: r.body, rawLength: r.rawBody?.length }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('passes a correctly signed webhook on with its payload', async () => {
    const headers = signWebhookHeaders({ secret, id: 'msg_mw', rawBody: body });
    const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'msg_mw', body: JSON.parse(body), rawLength: Buffer.byteLength(body) });
  });

  it('answers 400 with the reason when the signature does not match', async () => {
    const headers = signWebhookHeaders({ secret: generateWebhookSecret(), id: 'msg_mw', rawBody: body });
    const res = await fetch(url, { method: 'POST', headers, body });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'no_matching_signature' });
  });

  it('answers 413 for a body over the limit', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(2_000) });
    const headers = signWebhookHeaders({ secret, id: 'msg_big', rawBody: big });
    const res = await fetch(url, { method: 'POST', headers, body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'too_large' });
  });
});

describe('addRawJsonBodyParser with Fastify', () => {
  const app = Fastify();

  beforeAll(async () => {
    addRawJsonBodyParser(app);
    app.post('/hook', async (request, reply) => {
      const rawBody = getRawBody(request);
      if (!rawBody) return reply.code(500).send({ code: 'no_raw_body' });
      try {
        const payload = verifyWebhook({ secret, headers: request.headers, rawBody });
        return { payload, parsed: request.body };
      } catch (err) {
        if (err instanceof WebhookVerificationError) return reply.code(400).send({ code: err.reason });
        throw err;
      }
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('keeps the raw bytes for verification and still parses JSON', async () => {
    const headers = signWebhookHeaders({ secret, id: 'msg_fastify', rawBody: body });
    const res = await app.inject({ method: 'POST', url: '/hook', headers: { ...headers, 'content-type': 'application/json' }, payload: body });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ payload: JSON.parse(body), parsed: JSON.parse(body) });
  });

  it('lets the route refuse a tampered body', async () => {
    const headers = signWebhookHeaders({ secret, id: 'msg_fastify', rawBody: body });
    const res = await app.inject({ method: 'POST', url: '/hook', headers: { ...headers, 'content-type': 'application/json' }, payload: body.replace('500', '5000') });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'no_matching_signature' });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/hook', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    expect(res.statusCode).toBe(400);
  });
});
