import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { OPERATIONAL_WEBHOOK_QUEUE, type OperationalWebhookJobData } from '@herald/queue';
import { startTestApi, type TestApi } from './harness';

// Endpoint changes emit Svix operational webhooks (endpoint.created/updated/deleted) for the
// dispatcher to send. This file uses its own queue prefix so no other test consumes them.
describe('operational webhooks for endpoint changes', () => {
  let api: TestApi;
  let queue: Queue;

  beforeAll(async () => {
    const prefix = `${inject('queuePrefix')}-opevents`;
    api = await startTestApi({ HERALD_QUEUE_PREFIX: prefix, HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    queue = new Queue(OPERATIONAL_WEBHOOK_QUEUE, { connection: { url: api.config.redis.url }, prefix });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await api.close();
  });

  async function jobsOf(tenantId: string, count: number): Promise<OperationalWebhookJobData[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const jobs = (await queue.getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => j.data as OperationalWebhookJobData).filter((d) => d.tenantId === tenantId);
      if (jobs.length >= count || Date.now() > deadline) return jobs.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('emits created, updated and deleted after each change, with ids only', async () => {
    const { tenantId, apiKey } = await api.createTenant();
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'ops', uid: 'ops-app' } });
    const ep = await api.call<{ id: string }>('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: apiKey, body: { url: 'http://127.0.0.1:9/hook', uid: 'ops-ep' } });
    expect(ep.status).toBe(201);
    expect((await api.call('PATCH', `/api/v1/app/ops-app/endpoint/ops-ep`, { token: apiKey, body: { description: 'changed' } })).status).toBe(200);
    expect((await api.call('DELETE', `/api/v1/app/ops-app/endpoint/ops-ep`, { token: apiKey })).status).toBe(204);

    const jobs = await jobsOf(tenantId, 3);
    expect(jobs.map((j) => j.type)).toEqual(['endpoint.created', 'endpoint.updated', 'endpoint.deleted']);
    for (const job of jobs) {
      expect(job.data).toEqual({ appId: app.body.id, appUid: 'ops-app', endpointId: ep.body.id, endpointUid: 'ops-ep' });
      expect(job.eventId).toMatch(/^msg_/);
    }
  });

  it('emits nothing for a refused change', async () => {
    const { tenantId, apiKey } = await api.createTenant();
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: apiKey, body: { name: 'ops2' } });
    expect((await api.call('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: apiKey, body: { url: 'http://10.0.0.1/hook' } })).status).toBe(422);
    expect(await jobsOf(tenantId, 1)).toEqual([]);
  });
});
