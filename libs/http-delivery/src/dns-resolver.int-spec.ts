import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, startWebhookReceiver, type TestDnsServer, type WebhookReceiver } from '@herald/testing';
import { createDnsResolver } from './dns-resolver';
import { HttpDeliveryClient } from './http-delivery.client';

describe('DNS for deliveries: c-ares with a deadline, off the libuv thread pool', () => {
  let dns: TestDnsServer;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    dns = await startDnsServer({ 'fast.herald.test': '127.0.0.1', 'private.herald.test': '10.1.2.3' }, ['slow.herald.test']);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await dns.close();
    await receiver.close();
  });

  it('resolves through the configured server, caches the answer, and gives up on a silent one within its deadline', async () => {
    const resolve = createDnsResolver({ servers: [`127.0.0.1:${dns.port}`], timeoutMs: 800 });
    expect(await resolve('fast.herald.test')).toEqual(['127.0.0.1']);
    const asked = dns.queries.filter((q) => q === 'fast.herald.test').length;
    expect(await resolve('FAST.herald.test.')).toEqual(['127.0.0.1']);
    expect(dns.queries.filter((q) => q === 'fast.herald.test').length).toBe(asked);
    await expect(resolve('nowhere.herald.test')).rejects.toThrow(/did not resolve/);
    const started = Date.now();
    await expect(resolve('slow.herald.test')).rejects.toThrow(/within 800 ms/);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await resolve('localhost')).toEqual(['127.0.0.1', '::1']);
  });

  it('a slow DNS server for one domain does not delay deliveries to others', async () => {
    const client = new HttpDeliveryClient({ timeoutMs: 1_000, allowedCidrs: ['127.0.0.0/8'], httpsOnly: false, dnsServers: [`127.0.0.1:${dns.port}`] });
    const body = Buffer.from('{}');
    try {
      // Many more stuck lookups than libuv has pool threads (4): getaddrinfo would queue the rest behind them.
      const stuck = Array.from({ length: 16 }, (_, i) => client.send({ url: `http://slow.herald.test:${receiver.port}/stuck-${i}`, headers: {}, body }));
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      const fast = await Promise.all(Array.from({ length: 8 }, (_, i) => client.send({ url: `http://fast.herald.test:${receiver.port}/fast-${i}`, headers: {}, body })));
      expect(fast.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(Date.now() - started).toBeLessThan(500);
      const stuckResults = await Promise.all(stuck);
      for (const r of stuckResults) {
        expect(r.ok).toBe(false);
        expect(r.durationMs).toBeLessThan(1_600);
      }
      expect(receiver.requests.filter((r) => r.path.startsWith('/stuck'))).toHaveLength(0);
      // A name that resolves to a private address is refused after resolution.
      expect(await client.send({ url: `http://private.herald.test:${receiver.port}/`, headers: {}, body })).toMatchObject({ error: { kind: 'refused' } });
    } finally {
      await client.close();
    }
  });
});
