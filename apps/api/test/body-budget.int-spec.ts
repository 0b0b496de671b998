import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

// Room for one ~200 kB body at a time.
const BUDGET_BYTES = 256 * 1024;
const body = (n: number): string => JSON.stringify({ eventType: 'big.body', payload: { n, blob: 'x'.repeat(200_000) } });

async function startApi(waitMs: number, label: string): Promise<{ api: TestApi; tenant: { apiKey: string }; appId: string }> {
  const api = await startTestApi({
    HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-body-budget-${label}`,
    HERALD_API_MAX_INFLIGHT_BODY_BYTES: String(BUDGET_BYTES),
    HERALD_API_BODY_WAIT_MS: String(waitMs),
    HERALD_API_RATE_LIMIT: '100000',
  });
  const tenant = await api.createTenant(`body-budget-${label}`);
  const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'budget' } });
  return { api, tenant, appId: app.body.id };
}

/** Sends a body on a raw socket and closes it before any answer: the request is abandoned mid-flight. */
async function abandon(url: string, path: string, token: string, payload: string): Promise<void> {
  const { port } = new URL(url);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n`);
      socket.end(payload, () => setTimeout(() => socket.destroy(), 5));
    });
    socket.on('close', () => resolve()).on('error', reject);
  });
}

describe('request-body budget: the API parses a bounded number of body bytes at once', () => {
  describe('with a short wait', () => {
    let ctx: Awaited<ReturnType<typeof startApi>>;
    beforeAll(async () => (ctx = await startApi(1, 'short')));
    afterAll(async () => ctx.api.close());

    it('answers 503 overloaded with Retry-After to the bodies that find the budget spent, and stores only what it accepted', async () => {
      const { api, tenant, appId } = ctx;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, n) => api.call<{ code: string; detail: string }>('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, rawBody: body(n), headers: { 'content-type': 'application/json' } })),
      );
      const refused = results.filter((r) => r.status === 503);
      const accepted = results.filter((r) => r.status === 202);
      expect(accepted.length + refused.length).toBe(12);
      expect(accepted.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.body).toEqual({ code: 'overloaded', detail: expect.stringContaining('busy') });
        expect(r.headers['retry-after']).toBe('1');
      }
      expect(await api.app.get(PrismaService).message.count({ where: { appId } })).toBe(accepted.length);
    });

    it('frees what an abandoned request held: afterwards a body passes alone', async () => {
      const { api, tenant, appId } = ctx;
      for (let i = 0; i < 5; i++) await abandon(api.url, `/api/v1/app/${appId}/msg`, tenant.apiKey, body(100 + i));
      await new Promise((r) => setTimeout(r, 200));
      for (let i = 0; i < 3; i++) {
        const res = await api.call('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, rawBody: body(200 + i), headers: { 'content-type': 'application/json' } });
        expect(res.status).toBe(202);
      }
    });
  });

  describe('with the default wait', () => {
    let ctx: Awaited<ReturnType<typeof startApi>>;
    beforeAll(async () => (ctx = await startApi(20_000, 'long')));
    afterAll(async () => ctx.api.close());

    it('queues bodies beyond the budget instead of refusing them: all accepted, one after another', async () => {
      const { api, tenant, appId } = ctx;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, n) => api.call('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, rawBody: body(n), headers: { 'content-type': 'application/json' } })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(202));
      expect(await api.app.get(PrismaService).message.count({ where: { appId } })).toBe(12);
    });
  });
});
