import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTracing, type Tracing } from '@herald/observability';
import { createApplication, createTenant, createTestDatabase, dropTestDatabase, startOtlpReceiver, testConfig, type OtlpReceiver } from '@herald/testing';
import { insertMessage, openRetentionContext, type RetentionContext } from '../test/retention-harness';

// A database of its own (a run covers every tenant) and the SDK registered in this test process,
// exporting over OTLP/HTTP JSON to a receiver on loopback.
describe('retention runs, traced', () => {
  let db: { url: string; name: string };
  let ctx: RetentionContext;
  let otlp: OtlpReceiver;
  let tracing: Tracing | null;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', otlp.url);
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    tracing = startTracing('herald-retention');
    db = await createTestDatabase();
    ctx = await openRetentionContext(testConfig({ DATABASE_URL: db.url, HERALD_DEFAULT_PAYLOAD_RETENTION_DAYS: '90' }));
  });
  afterAll(async () => {
    await ctx?.close();
    await tracing?.shutdown();
    vi.unstubAllEnvs();
    await otlp?.close();
    if (db) await dropTestDatabase(db.name);
  });

  it('exports one span per run and a child per tenant with what was removed', async () => {
    const { scope } = await createTenant(ctx.services);
    const app = await createApplication(ctx.services, scope);
    const marker = 'retention-payload-marker-7f3a';
    await insertMessage(ctx, scope, app.id, { ageDays: 40, expiresAfterDays: 30, payload: JSON.stringify({ marker }) });
    await insertMessage(ctx, scope, app.id, { ageDays: 40, expiresAfterDays: 30 });

    const result = await ctx.retention.run();
    expect(result.totals.payloadsErased).toBe(2);
    await tracing!.flush();

    const run = otlp.spans.find((s) => s.name === 'herald.retention.run');
    expect(run).toMatchObject({ service: 'herald-retention', parentSpanId: '' });
    expect(run!.attributes).toMatchObject({ 'herald.retention.complete': 'true', 'herald.retention.tenants_checked': String(result.tenantsChecked), 'herald.retention.payloads_erased': '2' });
    const tenant = otlp.spans.find((s) => s.name === 'herald.retention.tenant' && s.attributes['herald.tenant_id'] === scope.tenantId);
    expect(tenant).toMatchObject({ traceId: run!.traceId, parentSpanId: run!.spanId });
    expect(tenant!.attributes).toMatchObject({ 'herald.retention.payloads_erased': '2', 'herald.retention.messages_deleted': '0', 'herald.retention.tenant_deleted': 'false' });
    expect(JSON.stringify(otlp.spans)).not.toContain(marker);
  });
});
