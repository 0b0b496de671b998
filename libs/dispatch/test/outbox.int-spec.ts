import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication, createEndpoint, createTenant, startWebhookReceiver, type WebhookReceiver } from '@herald/testing';
import { startDispatchHarness, type DispatchHarness } from './harness';

/** Deliveries in PostgreSQL are the outbox: whatever nobody was told about, the lane sweep finds. */
describe('dispatcher: lanes and the outbox sweep', () => {
  let h: DispatchHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    h = await startDispatchHarness({ HERALD_OUTBOX_SWEEP_SECONDS: '1', HERALD_DISPATCHER_CONCURRENCY: '20', HERALD_DELIVERY_TIMEOUT_MS: '1000' });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  const setup = async (overrides: { disabled?: boolean } = {}) => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpoint = await createEndpoint(h.services, scope, app.id, { url: `${receiver.url}/${Math.random().toString(36).slice(2, 8)}`, disabled: overrides.disabled });
    return { scope, appId: app.id, endpointId: endpoint.id };
  };
  const arrived = (messageIds: string[]) => {
    const seen = new Set(receiver.requests.map((r) => r.headers['webhook-id'] as string));
    return messageIds.every((id) => seen.has(id));
  };

  it('delivers due deliveries that no wake-up announced (lost wake-up, Redis down at ingest)', async () => {
    const { scope, appId, endpointId } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await h.insertMessage(scope, appId, [endpointId], { i }, { wake: false, nextAttemptAt: new Date(Date.now() - 10_000) })).messageId);
    await receiver.waitFor(() => arrived(ids), 10_000);
    await h.waitFor(async () => (await h.prisma.delivery.count({ where: { messageId: { in: ids }, status: 'success' } })) === ids.length, 5_000, 'recorded');
  });

  it('finds a lane nobody announced within one sweep, behind 12,000 due deliveries of another lane', async () => {
    // A backlog the dispatcher cannot drain: its endpoint never answers.
    const hanging = await startWebhookReceiver({ handler: () => ({ hang: true }) });
    try {
      const busy = await setup();
      await h.prisma.endpoint.update({ where: { id: busy.endpointId }, data: { url: hanging.url } });
      await h.prisma.$executeRaw`
        WITH m AS (
          INSERT INTO messages (id, tenant_id, app_id, event_type, payload_enc, payload_size, payload_expires_at)
          SELECT 'msg_backlog' || lpad(g::text, 23, '0'), ${busy.scope.tenantId}, ${busy.appId}, 'test.event', NULL, 2, now() + interval '1 day'
          FROM generate_series(1, 12000) g
          RETURNING id
        )
        INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, next_attempt_at)
        SELECT 'dlv' || substr(m.id, 4), ${busy.scope.tenantId}, ${busy.appId}, m.id, ${busy.endpointId}, 'pending', now() - interval '1 minute' FROM m`;
      const quiet = await setup();
      const started = Date.now();
      const { messageId } = await h.insertMessage(quiet.scope, quiet.appId, [quiet.endpointId], { quiet: true }, { wake: false });
      await receiver.waitFor(() => arrived([messageId]), 5_000);
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      await hanging.close();
    }
  });

  it('sends a claimed delivery again when its dispatcher died (its lease ran out), never before', async () => {
    const { scope, appId, endpointId } = await setup();
    const { messageId, deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { orphan: true }, { wake: false });
    const leaseEnd = new Date(Date.now() + 2_000);
    await h.prisma.delivery.update({ where: { id: deliveryIds[0]! }, data: { leaseOwner: 'dsp_dead', leaseUntil: leaseEnd } });
    h.scheduler.wake([{ tenantId: scope.tenantId, endpointId }]);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(arrived([messageId])).toBe(false);
    await receiver.waitFor(() => arrived([messageId]), 6_000);
    const req = receiver.requests.find((r) => r.headers['webhook-id'] === messageId)!;
    expect(req.at).toBeGreaterThanOrEqual(leaseEnd.getTime() - 5);
    await h.waitFor(async () => (await h.prisma.delivery.findUniqueOrThrow({ where: { id: deliveryIds[0]! } })).status === 'success', 5_000, 'recorded');
    expect(await h.prisma.delivery.findUniqueOrThrow({ where: { id: deliveryIds[0]! } })).toMatchObject({ leaseOwner: null, leaseUntil: null });
  });

  it('never sends before next_attempt_at, however often the lane is woken', async () => {
    const { scope, appId, endpointId } = await setup();
    const due = new Date(Date.now() + 1_500);
    const { messageId } = await h.insertMessage(scope, appId, [endpointId], { later: true }, { nextAttemptAt: due });
    for (let i = 0; i < 5; i++) {
      h.scheduler.wake([{ tenantId: scope.tenantId, endpointId }]);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(arrived([messageId])).toBe(false);
    await receiver.waitFor(() => arrived([messageId]), 5_000);
    expect(receiver.requests.find((r) => r.headers['webhook-id'] === messageId)!.at).toBeGreaterThanOrEqual(due.getTime() - 5);
  });

  it('skips the due deliveries of a disabled endpoint in batches, and resumes when it is enabled again', async () => {
    const { scope, appId, endpointId } = await setup({ disabled: true });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(...(await h.insertMessage(scope, appId, [endpointId], { i })).deliveryIds);
    await h.waitFor(async () => (await h.prisma.delivery.count({ where: { id: { in: ids }, status: 'skipped' } })) === 5, 5_000, 'skipped');
    await h.prisma.endpoint.update({ where: { id: endpointId }, data: { disabled: false } });
    const after = await h.insertMessage(scope, appId, [endpointId], { enabled: true });
    await receiver.waitFor(() => arrived([after.messageId]), 5_000);
    expect(await h.prisma.delivery.count({ where: { id: { in: ids }, status: 'skipped' } })).toBe(5);
  });
});
