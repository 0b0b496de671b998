import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_TIMEOUT_MS } from '@herald/api-core';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

const MAX_BYTES = 4096;

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('request body limits (on POST /api/v1/api-keys)', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };

  beforeAll(async () => {
    api = await startTestApi({ HERALD_MAX_PAYLOAD_BYTES: String(MAX_BYTES) });
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant();
  });
  afterAll(async () => {
    await api.close();
  });

  const send = (rawBody: string | Buffer, contentType?: string) =>
    api.call<{ code: string; detail: string }>('POST', '/api/v1/api-keys', {
      token: tenant.apiKey,
      rawBody,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });

  /** Runs `refuse` and checks that no key and no audit entry appeared. */
  async function expectNothingStored(refuse: () => Promise<void>): Promise<void> {
    const keys = await prisma.apiKey.count({ where: { tenantId: tenant.tenantId } });
    const audit = await prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId } });
    await refuse();
    expect(await prisma.apiKey.count({ where: { tenantId: tenant.tenantId } })).toBe(keys);
    expect(await prisma.auditLogEntry.count({ where: { tenantId: tenant.tenantId } })).toBe(audit);
  }

  it('accepts a normal JSON body (with a charset parameter too)', async () => {
    expect((await send('{"name":"plain"}', 'application/json')).status).toBe(201);
    expect((await send('{"name":"charset"}', 'application/json; charset=utf-8')).status).toBe(201);
  });

  it('answers 413 in the Svix error shape beyond HERALD_MAX_PAYLOAD_BYTES', async () => {
    await expectNothingStored(async () => {
      const res = await send(JSON.stringify({ name: 'big', pad: 'x'.repeat(MAX_BYTES) }), 'application/json');
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ code: 'payload_too_large', detail: expect.any(String) });
    });
    // Just under the limit is fine.
    const fits = JSON.stringify({ name: 'fits', pad: 'x'.repeat(MAX_BYTES - 40) });
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(MAX_BYTES);
    expect((await send(fits, 'application/json')).status).toBe(201);
  });

  /**
   * A raw client that sends an 8 MiB body in 64 KiB pieces, pausing now and then, and only then
   * reads the answer. A socket error (EPIPE, reset) rejects: that is what a client saw when the
   * API answered at the headers and closed.
   */
  async function sendSlowly(options: { chunked: boolean }): Promise<{ status: number; body: unknown; sentWholeBody: boolean; elapsedMs: number }> {
    const started = Date.now();
    const address = api.app.getHttpServer().address() as { port: number };
    const socket = connect(address.port, '127.0.0.1');
    const received: Buffer[] = [];
    let failure: Error | undefined;
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', (err) => {
      failure = err;
    });
    const ended = once(socket, 'close');
    await once(socket, 'connect');
    const piece = Buffer.alloc(64 * 1024, 0x61);
    const pieces = (8 * 1024 * 1024) / piece.length;
    const framing = options.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${pieces * piece.length}`;
    socket.write(`POST /api/v1/api-keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tenant.apiKey}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`);
    let sent = 0;
    for (; sent < pieces && !failure && !socket.destroyed; sent += 1) {
      const data = options.chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
      if (!socket.write(data)) await Promise.race([once(socket, 'drain'), ended]);
      if (sent % 16 === 15) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (options.chunked && !failure && !socket.destroyed) socket.write('0\r\n\r\n');
    const timeout = setTimeout(() => socket.destroy(new Error('no answer within 20 s')), 20_000);
    // The API closes the connection after a refused body; the whole answer has arrived by then.
    await ended;
    clearTimeout(timeout);
    if (failure) throw failure;
    const text = Buffer.concat(received).toString('utf8');
    const [head = '', ...rest] = text.split('\r\n\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
    let body = rest.join('\r\n\r\n');
    if (/transfer-encoding: chunked/i.test(head)) body = body.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '');
    return { status, body: JSON.parse(body) as unknown, sentWholeBody: sent === pieces, elapsedMs: Date.now() - started };
  }

  it('lets a client that is still sending an 8 MiB body read the 413 (Content-Length), storing nothing', async () => {
    await expectNothingStored(async () => {
      const res = await sendSlowly({ chunked: false });
      // The connection stayed open until the client had sent everything, and then it read the answer.
      expect(res.sentWholeBody).toBe(true);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ code: 'payload_too_large', detail: expect.any(String) });
    });
    // The API still answers afterwards.
    expect((await send('{"name":"after-413"}', 'application/json')).status).toBe(201);
  });

  it('reads no more than a declared length within the limit, whatever follows it on the socket', async () => {
    // Such a body is not watched byte by byte (Node's parser takes exactly the declared bytes),
    // so a client cannot slip a larger body in under a small Content-Length.
    await expectNothingStored(async () => {
      const address = api.app.getHttpServer().address() as { port: number };
      const socket = connect(address.port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      socket.on('error', () => undefined);
      const closed = once(socket, 'close');
      await once(socket, 'connect');
      const body = JSON.stringify({ name: 'smuggled', pad: 'x'.repeat(2 * MAX_BYTES) });
      socket.write(`POST /api/v1/api-keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tenant.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n${body}`);
      const timeout = setTimeout(() => socket.destroy(), 5_000);
      await closed;
      clearTimeout(timeout);
      const text = Buffer.concat(received).toString('utf8');
      // The first 20 bytes are not a JSON document: 400. The rest is not a request: 400, closed.
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(text).not.toMatch(/HTTP\/1\.1 2\d\d /);
    });
  });

  it('lets a client that is still sending a chunked 8 MiB body read the 413', async () => {
    await expectNothingStored(async () => {
      const res = await sendSlowly({ chunked: true });
      expect(res.sentWholeBody).toBe(true);
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ code: 'payload_too_large', detail: expect.any(String) });
    });
  });

  it('stops draining a client that stalls mid-body: 413 after the drain time bound, connection closed', async () => {
    const address = api.app.getHttpServer().address() as { port: number };
    const socket = connect(address.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const started = Date.now();
    socket.write(`POST /api/v1/api-keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tenant.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n`);
    socket.write(Buffer.alloc(64 * 1024, 0x61));
    // …and then nothing more.
    const timeout = setTimeout(() => socket.destroy(), DRAIN_TIMEOUT_MS + 5_000);
    await once(socket, 'close');
    clearTimeout(timeout);
    const waited = Date.now() - started;
    expect(Buffer.concat(received).toString('utf8')).toMatch(/^HTTP\/1\.1 413 [^]*"code":"payload_too_large"/);
    expect(waited).toBeGreaterThanOrEqual(DRAIN_TIMEOUT_MS - 500);
    expect(waited).toBeLessThan(DRAIN_TIMEOUT_MS + 3_000);
  }, 30_000);

  it('answers a body declared beyond what it drains (16 MiB here) with 413 at once', async () => {
    const address = api.app.getHttpServer().address() as { port: number };
    const socket = connect(address.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    socket.write(`POST /api/v1/api-keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tenant.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`);
    const timeout = setTimeout(() => socket.destroy(), 10_000);
    await once(socket, 'close');
    clearTimeout(timeout);
    const text = Buffer.concat(received).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text).toContain('"code":"payload_too_large"');
  });

  it('refuses JSON nested deeper than 64 levels with 400 (64 is fine)', async () => {
    // The outer object is level 1.
    expect((await send(`{"name":"deep-ok","x":${nested(63)}}`, 'application/json')).status).toBe(201);
    await expectNothingStored(async () => {
      const res = await send(`{"name":"too-deep","x":${nested(64)}}`, 'application/json');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'json_too_deep', detail: expect.stringContaining('64') });
    });
    // Brackets inside strings (escaped quotes too) do not count.
    const tricky = '{"name":"' + '['.repeat(100) + '\\"{{","x":{"name":1}}';
    expect((await send(tricky, 'application/json')).status).toBe(201);
  });

  it('refuses invalid UTF-8 with 400', async () => {
    await expectNothingStored(async () => {
      const bad = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
      const res = await send(bad, 'application/json');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 'invalid_utf8', detail: expect.any(String) });
    });
  });

  it('refuses malformed JSON with 400', async () => {
    await expectNothingStored(async () => {
      for (const body of ['{"name":', '{name: "x"}', '[1,]', '{"name":"x"} trailing']) {
        const res = await send(body, 'application/json');
        expect(res.status, body).toBe(400);
        expect(res.body).toEqual({ code: 'bad_request', detail: expect.any(String) });
      }
    });
  });

  it('refuses prototype-poisoning keys with 400', async () => {
    await expectNothingStored(async () => {
      expect((await send('{"name":"p","__proto__":{"admin":true}}', 'application/json')).status).toBe(400);
    });
  });

  it('refuses non-JSON content types with 415', async () => {
    await expectNothingStored(async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
        const res = await send('{"name":"typed"}', type);
        expect(res.status, type).toBe(415);
        expect(res.body).toEqual({ code: 'unsupported_media_type', detail: expect.any(String) });
      }
      // A body without any content type.
      expect((await send('{"name":"untyped"}')).status).toBe(415);
    });
  });

  it('reads an empty JSON body as no body (then validation answers)', async () => {
    await expectNothingStored(async () => {
      expect((await send('', 'application/json')).status).toBe(422);
    });
  });
});
