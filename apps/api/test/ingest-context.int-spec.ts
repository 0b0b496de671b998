import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { TenantKeysService, TenantProvisioningService, tenantScope, type TenantScope } from '@herald/tenancy';
import { ApiMetrics } from '@herald/api-core';
import { PrismaService } from '@herald/db';
import { createApplication, createEndpoint, type Services } from '@herald/testing';
import { startTestApi, type TestApi } from './harness';

/**
 * Ingest routes a message with the app's context kept from an earlier message when this process
 * has one, and the insert checks it in the same statement (docs/decisions/0018). These tests
 * change what the context holds behind the API's back (directly in the database, as another API
 * process would) or through other routes, and check that the very next message sees the change.
 */
describe('ingest contexts kept between messages', () => {
  let api: TestApi;
  let s: Services;
  let tenant: { tenantId: string; apiKey: string; scope: TenantScope };
  const url = 'https://receiver.example.com/hook';

  beforeAll(async () => {
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-ingest-context` });
    s = { prisma: api.app.get(PrismaService), keys: api.app.get(TenantKeysService), provisioning: api.app.get(TenantProvisioningService) };
    const created = await api.createTenant('ingest context');
    tenant = { ...created, scope: tenantScope(created.tenantId) };
  });

  afterAll(async () => {
    await api.close();
  });

  const post = (appId: string, body: unknown) => api.call<{ id: string }>('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, body });
  const routedTo = async (messageId: string) =>
    Object.fromEntries((await s.prisma.delivery.findMany({ where: { messageId } })).map((d) => [d.endpointId, d.status]));

  /** The ingest statements and context reads run while `fn` runs, and the contexts counter's moves. */
  async function observe<T>(fn: () => Promise<T>): Promise<{ result: T; contextReads: number; counts: Record<'kept' | 'read' | 'stale', number> }> {
    const before = await contextCounts();
    let contextReads = 0;
    const hot = s.prisma.hot.bind(s.prisma);
    const spy = vi.spyOn(s.prisma, 'hot').mockImplementation((statement) => {
      if (statement.label === 'ingest_context') contextReads += 1;
      return hot(statement);
    });
    try {
      const result = await fn();
      const after = await contextCounts();
      return { result, contextReads, counts: { kept: after.kept - before.kept, read: after.read - before.read, stale: after.stale - before.stale } };
    } finally {
      spy.mockRestore();
    }
  }

  async function contextCounts(): Promise<Record<'kept' | 'read' | 'stale', number>> {
    const { values } = await api.app.get(ApiMetrics).ingestContexts.get();
    const value = (source: string): number => values.find((v) => v.labels['source'] === source)?.value ?? 0;
    return { kept: value('kept'), read: value('read'), stale: value('stale') };
  }

  it('routes a later message with the context kept from the first, without reading it again', async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'kept-app' });
    const endpoint = await createEndpoint(s, tenant.scope, app.id, { url });

    const first = await observe(() => post('kept-app', { eventType: 'user.created', payload: { n: 1 } }));
    expect(first.result.status).toBe(202);
    expect(first.contextReads).toBe(1);
    expect(first.counts).toEqual({ kept: 0, read: 1, stale: 0 });

    const second = await observe(() => post('kept-app', { eventType: 'user.created', payload: { n: 2 } }));
    expect(second.result.status).toBe(202);
    expect(second.contextReads).toBe(0);
    expect(second.counts).toEqual({ kept: 1, read: 0, stale: 0 });
    expect(await routedTo(second.result.body.id)).toEqual({ [endpoint.id]: 'pending' });
  });

  it('routes to an endpoint created, disabled or deleted by another process from the next message on', async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'changing-app' });
    const first = await createEndpoint(s, tenant.scope, app.id, { url });
    expect((await post(app.id, { eventType: 'order.paid', payload: {} })).status).toBe(202);

    // Written straight to the database: this process's kept context knows nothing of it.
    const added = await createEndpoint(s, tenant.scope, app.id, { url, filterTypes: ['order.paid'] });
    const afterAdd = await observe(() => post(app.id, { eventType: 'order.paid', payload: {} }));
    expect(afterAdd.result.status).toBe(202);
    expect(await routedTo(afterAdd.result.body.id)).toEqual({ [first.id]: 'pending', [added.id]: 'pending' });
    expect(afterAdd.counts).toEqual({ kept: 1, read: 1, stale: 1 });

    await s.prisma.endpoint.update({ where: { id: added.id }, data: { disabled: true } });
    const afterDisable = await post(app.id, { eventType: 'order.paid', payload: {} });
    expect(await routedTo(afterDisable.body.id)).toEqual({ [first.id]: 'pending', [added.id]: 'skipped' });

    await s.prisma.endpoint.update({ where: { id: first.id }, data: { filterTypes: ['order.refunded'] } });
    const afterFilter = await post(app.id, { eventType: 'order.paid', payload: {} });
    expect(await routedTo(afterFilter.body.id)).toEqual({ [added.id]: 'skipped' });

    await s.prisma.endpoint.delete({ where: { id: added.id } });
    const afterDelete = await post(app.id, { eventType: 'order.paid', payload: {} });
    expect(await routedTo(afterDelete.body.id)).toEqual({});

    // Settled again: the context read after the last change is kept and holds.
    const settled = await observe(() => post(app.id, { eventType: 'order.paid', payload: {} }));
    expect(settled.counts).toEqual({ kept: 1, read: 0, stale: 0 });
  });

  it("checks a payload against the event type's schema as it is now, whichever way it changed", async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'schema-app' });
    await createEndpoint(s, tenant.scope, app.id, { url });
    const requires = (field: string) => ({ type: 'object', required: [field], properties: { [field]: { type: 'integer' } } });
    const created = await api.call('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name: 'shape.changed', description: 'd', schemas: { '1': requires('a') } } });
    expect(created.status).toBe(201);
    expect((await post(app.id, { eventType: 'shape.changed', payload: { a: 1 } })).status).toBe(202);

    const put = await api.call('PUT', '/api/v1/event-type/shape.changed', { token: tenant.apiKey, body: { description: 'd', schemas: { '1': requires('b') } } });
    expect(put.status).toBe(200);
    // Valid for the kept (old) schema, not for the new one: refused.
    const refused = await observe(() => post(app.id, { eventType: 'shape.changed', payload: { a: 1 } }));
    expect(refused.result.status).toBe(422);
    expect(refused.counts.stale).toBe(1);
    expect((await post(app.id, { eventType: 'shape.changed', payload: { b: 1 } })).status).toBe(202);

    // Invalid for the kept schema (which now requires b), valid for the new one: accepted.
    await s.prisma.eventType.updateMany({ where: { tenantId: tenant.tenantId, name: 'shape.changed' }, data: { schemas: { '1': requires('c') }, updatedAt: new Date() } });
    const accepted = await post(app.id, { eventType: 'shape.changed', payload: { c: 1 } });
    expect(accepted.status).toBe(202);
  });

  it("stores the payload for the tenant's retention as it is now", async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'retention-app' });
    await createEndpoint(s, tenant.scope, app.id, { url });
    const expiresInDays = async (messageId: string): Promise<number> => {
      const row = await s.prisma.message.findUniqueOrThrow({ where: { id: messageId }, select: { payloadExpiresAt: true, createdAt: true } });
      return Math.round(((row.payloadExpiresAt?.getTime() ?? 0) - row.createdAt.getTime()) / 86_400_000);
    };
    const patch = (days: number) => api.call('PATCH', '/api/v1/tenant/settings', { token: tenant.apiKey, body: { payloadRetentionDays: days } });
    expect((await patch(30)).status).toBe(200);
    const first = await post(app.id, { eventType: 'kept.retention', payload: {} });
    expect(await expiresInDays(first.body.id)).toBe(30);

    expect((await patch(7)).status).toBe(200);
    const shorter = await post(app.id, { eventType: 'kept.retention', payload: {} });
    expect(await expiresInDays(shorter.body.id)).toBe(7);

    // A deliverAt beyond the kept retention (7 days) but within the new one (20) is accepted.
    await s.prisma.tenantSettings.update({ where: { tenantId: tenant.tenantId }, data: { payloadRetentionDays: 20 } });
    const later = await post(app.id, { eventType: 'kept.retention', payload: {}, deliverAt: new Date(Date.now() + 10 * 86_400_000).toISOString() });
    expect(later.status).toBe(202);
    expect(await expiresInDays(later.body.id)).toBe(20);
  });

  it('answers 404 for an app deleted after its context was kept, and keeps no context of another tenant', async () => {
    const app = await createApplication(s, tenant.scope, { uid: 'doomed-app' });
    await createEndpoint(s, tenant.scope, app.id, { url });
    expect((await post('doomed-app', { eventType: 'e.v', payload: {} })).status).toBe(202);

    // Another tenant naming the same uid reads its own context: it has no such app.
    const other = await api.createTenant('ingest context other');
    const foreign = await api.call('POST', '/api/v1/app/doomed-app/msg', { token: other.apiKey, body: { eventType: 'e.v', payload: {} } });
    expect(foreign.status).toBe(404);

    const deleted = await api.call('DELETE', `/api/v1/app/${app.id}`, { token: tenant.apiKey });
    expect(deleted.status).toBe(204);
    const gone = await post('doomed-app', { eventType: 'e.v', payload: {} });
    expect(gone.status).toBe(404);
    expect(await s.prisma.message.count({ where: { appId: app.id } })).toBe(0);
  });
});
