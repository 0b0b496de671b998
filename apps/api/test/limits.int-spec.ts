import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
