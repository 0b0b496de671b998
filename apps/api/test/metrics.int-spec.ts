import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

/** A sample's value in a Prometheus text exposition whose labels include `label` (0 when absent). */
function counter(text: string, name: string, label = ''): number {
  const line = text.split('\n').find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(label));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('GET /metrics (API)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('is open, in Prometheus text format, at /metrics and /api/v1/metrics', async () => {
    for (const path of ['/metrics', '/api/v1/metrics']) {
      const res = await api.call('GET', path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('# TYPE herald_messages_ingested_total counter');
      expect(res.text).toContain('process_cpu_user_seconds_total');
    }
  });

  it('counts an ingested message and its deliveries', async () => {
    const tenant = await api.createTenant();
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'metrics' } });
    expect(app.status).toBe(201);
    const endpoint = await api.call('POST', `/api/v1/app/${app.body.id}/endpoint`, { token: tenant.apiKey, body: { url: 'https://example.com/hook' } });
    expect(endpoint.status).toBe(201);
    const before = (await api.call('GET', '/metrics')).text;

    const msg = await api.call('POST', `/api/v1/app/${app.body.id}/msg`, { token: tenant.apiKey, body: { eventType: 'metrics.test', payload: { a: 1 } } });
    expect(msg.status).toBe(202);

    const after = (await api.call('GET', '/metrics')).text;
    expect(counter(after, 'herald_messages_ingested_total') - counter(before, 'herald_messages_ingested_total')).toBe(1);
    const pending = (text: string): number => counter(text, 'herald_deliveries_created_total', 'status="pending"');
    expect(pending(after) - pending(before)).toBe(1);
  });
});
