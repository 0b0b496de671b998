import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

const LIMIT = 10;

describe('failed authentications per client address (HERALD_AUTH_FAILURE_LIMIT)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_AUTH_FAILURE_LIMIT: String(LIMIT) });
  });
  afterAll(async () => {
    await api.close();
  });

  // 127.0.0.2 is loopback too: a second client address on this machine (node:http binds it as
  // the local address; undici's connect option does not).
  const fromOtherAddress = (token: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${api.url}/api/v1/app`, { localAddress: '127.0.0.2', headers: { authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', reject);
      req.end();
    });
  const randomToken = () => `hrld_${randomBytes(24).toString('base64url')}`;

  it('answers 429 with Retry-After to an address flooding bad tokens, before any key lookup; other addresses are unaffected', async () => {
    const { apiKey } = await api.createTenant();
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i += 1) statuses.push((await api.call('GET', '/api/v1/app', { token: randomToken() })).status);
    expect(statuses).toEqual(Array<number>(LIMIT).fill(401));

    const prisma = api.app.get(PrismaService);
    const lookups = vi.spyOn(prisma, '$queryRaw');
    try {
      for (let i = 0; i < 20; i += 1) {
        const res = await api.call<{ code: string; detail: string }>('GET', '/api/v1/app', { token: randomToken() });
        expect(res.status).toBe(429);
        expect(res.body).toEqual({ code: 'rate_limited', detail: expect.any(String) });
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      // Refused before the key was looked up: the flood reaches no query.
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      lookups.mockRestore();
    }

    // Another address: valid keys work, and bad tokens get their plain 401.
    expect(await fromOtherAddress(apiKey)).toBe(200);
    expect(await fromOtherAddress(randomToken())).toBe(401);
    // The flooding address itself is refused whatever it sends until failures come back.
    expect((await api.call('GET', '/api/v1/app', { token: apiKey })).status).toBe(429);
  });

  it('does not count successful authentications', async () => {
    const { apiKey } = await api.createTenant();
    for (let i = 0; i < LIMIT * 3; i += 1) expect(await fromOtherAddress(apiKey)).toBe(200);
  });
});
