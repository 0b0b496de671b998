import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryJob } from '@herald/queue';
import { createApplication, createEndpoint, createTenant, startWebhookReceiver, type WebhookReceiver } from '@herald/testing';
import { startDispatchHarness, type DispatchHarness } from './harness';

/** Deliveries are the outbox: jobs lost in Redis are found again by the sweep. */
describe('dispatcher: outbox sweep', () => {
  let h: DispatchHarness;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    h = await startDispatchHarness({ HERALD_OUTBOX_SWEEP_SECONDS: '1', HERALD_DISPATCHER_CONCURRENCY: '8' });
    // A slow receiver keeps jobs in flight while Redis loses its data.
    receiver = await startWebhookReceiver({ handler: () => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 15)) });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  const setup = async () => {
    const { scope } = await createTenant(h.services);
    const app = await createApplication(h.services, scope);
    const endpoint = await createEndpoint(h.services, scope, app.id, { url: receiver.url });
    return { scope, appId: app.id, endpointId: endpoint.id };
  };
  const delivered = (messageIds: string[]) => {
    const seen = new Set(receiver.requests.map((r) => r.headers['webhook-id'] as string));
    return messageIds.every((id) => seen.has(id));
  };

  it('enqueues and delivers due deliveries that never got a job', async () => {
    const { scope, appId, endpointId } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { messageId } = await h.insertMessage(scope, appId, [endpointId], { i }, { enqueue: false, nextAttemptAt: new Date(Date.now() - 10_000) });
      ids.push(messageId);
    }
    await receiver.waitFor(() => delivered(ids), 15_000);
    await h.waitFor(async () => (await h.prisma.delivery.count({ where: { messageId: { in: ids }, status: 'success' } })) === ids.length, 5_000, 'recorded');
  });

  it('leaves deliveries with a live (delayed) job alone', async () => {
    const { scope, appId, endpointId } = await setup();
    const { deliveryIds } = await h.insertMessage(scope, appId, [endpointId], { delayed: true }, { enqueue: false, nextAttemptAt: new Date(Date.now() - 60_000) });
    const job = deliveryJob(deliveryIds[0]!, scope.tenantId, { delayMs: 60_000 });
    await h.queue.add(job.name, job.data, job.opts);
    await h.sweep.sweep();
    expect(await h.queue.getJobState(deliveryIds[0]!)).toBe('delayed');
    expect(await h.queue.getJobCounts('wait', 'delayed')).toMatchObject({ delayed: 1 });
    await h.queue.remove(deliveryIds[0]!);
    await h.prisma.delivery.update({ where: { id: deliveryIds[0]! }, data: { status: 'skipped' } });
  });

  it('delivers everything when Redis loses its data mid-run', async () => {
    const { scope, appId, endpointId } = await setup();
    const ids: string[] = [];
    const deliveryIds: string[] = [];
    for (let i = 0; i < 200; i++) {
      const inserted = await h.insertMessage(scope, appId, [endpointId], { i }, { enqueue: false });
      ids.push(inserted.messageId);
      deliveryIds.push(...inserted.deliveryIds);
    }
    const before = receiver.requests.length;
    // Enqueued at once, as ingest does; then Redis loses everything while jobs are in flight.
    await h.queue.addBulk(deliveryIds.map((id) => deliveryJob(id, scope.tenantId)));
    await receiver.waitFor((reqs) => reqs.length - before >= 40, 15_000);
    const deleted = await h.wipeRedis();
    expect(deleted).toBeGreaterThan(0);
    expect(receiver.requests.length - before).toBeLessThan(200);
    await receiver.waitFor(() => delivered(ids), 30_000);
    await h.waitFor(async () => (await h.prisma.delivery.count({ where: { messageId: { in: ids }, status: 'success' } })) === ids.length, 10_000, 'recorded');
    const got = receiver.requests.slice(before).map((r) => r.headers['webhook-id'] as string);
    console.log(`redis wiped mid-run: ${ids.length} messages, ${got.length} requests, ${got.length - new Set(got).size} duplicates`);
  });
});
