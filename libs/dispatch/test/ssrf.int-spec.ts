import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication, createEndpoint, createTenant, startWebhookReceiver, type WebhookReceiver } from '@herald/testing';
import { startDispatchHarness, type DispatchHarness } from './harness';

/** The connect-time guard with no allowlist: nothing private is ever contacted. */
describe('dispatcher: SSRF guard at connect time', () => {
  let h: DispatchHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    h = await startDispatchHarness({ HERALD_DELIVERY_ALLOWED_CIDRS: '', HERALD_RETRY_SCHEDULE: '60' });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('refuses private destinations, records the reason as a failed attempt, and never connects', async () => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const port = receiver.port;
    const cases: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/`, /127\.0\.0\.1 is a loopback address/],
      [`http://10.1.2.3:${port}/`, /10\.1\.2\.3 is a private address/],
      ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254 is a link-local or cloud metadata address/],
      [`http://[::1]:${port}/`, /::1 /],
      [`http://[::ffff:127.0.0.1]:${port}/`, /embeds 127\.0\.0\.1 is a loopback address/],
      [`http://localhost:${port}/`, /localhost resolves to .*loopback/],
    ];
    const endpoints = await Promise.all(cases.map(([url]) => createEndpoint(h.services, scope, app.id, { url })));
    const { deliveryIds } = await h.insertMessage(scope, app.id, endpoints.map((e) => e.id), { ssrf: true });

    const attempts = await h.waitFor(async () => {
      const rows = await h.prisma.attempt.findMany({ where: { deliveryId: { in: deliveryIds } } });
      return rows.length === cases.length ? rows : undefined;
    }, 10_000, 'one attempt per delivery');
    cases.forEach(([, reason], i) => {
      const attempt = attempts.find((a) => a.deliveryId === deliveryIds[i])!;
      expect(attempt).toMatchObject({ status: 2, responseStatus: 0, error: expect.stringMatching(/refused by the address policy/) });
      expect(attempt.error).toMatch(reason);
    });
    // Counted as failures with retries like any other (the schedule says 60 s).
    const deliveries = await h.prisma.delivery.findMany({ where: { id: { in: deliveryIds } } });
    for (const d of deliveries) {
      expect(d).toMatchObject({ status: 'pending', attemptCount: 1 });
      expect(d.nextAttemptAt!.getTime() - d.lastAttemptAt!.getTime()).toBeGreaterThan(40_000);
    }
    expect(receiver.connections()).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });
});
