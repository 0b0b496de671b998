import { ApiException, Svix } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

const IMPORT = '/api/v1/event-type/import/openapi';

/** A catalog as a tenant's own OpenAPI document describes it (OpenAPI 3.1 `webhooks`). */
const catalog = (description = 'An order was paid') => ({
  openapi: '3.1.0',
  info: { title: 'Shop webhooks', version: '1.0.0' },
  webhooks: {
    'order.paid': {
      post: {
        description,
        'x-svix-group-name': 'order',
        requestBody: {
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/OrderPaid' },
              examples: { small: { value: { orderId: 'o_1', amount: 12 } } },
            },
          },
        },
      },
    },
    'order.refunded': { post: { summary: 'Refunded', deprecated: true } },
  },
  components: {
    schemas: { OrderPaid: { type: 'object', required: ['orderId', 'amount'], properties: { orderId: { type: 'string' }, amount: { type: 'integer', minimum: 0 } } } },
  },
});

/** `POST /event-type/import/openapi` (svix client `eventType.importOpenapi`). */
describe('event type catalog import from OpenAPI', () => {
  let api: TestApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startTestApi();
    prisma = api.app.get(PrismaService);
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates event types with schemas and examples, reports a dry run, and leaves unchanged ones alone (official client)', async () => {
    const { apiKey, tenantId } = await api.createTenant('import client');
    const svix = new Svix(apiKey, { serverUrl: api.url });

    const dry = await svix.eventType.importOpenapi({ spec: catalog(), dryRun: true });
    expect(dry.data.modified).toEqual([]);
    expect(dry.data.toModify?.map((t) => t.name)).toEqual(['order.paid', 'order.refunded']);
    expect(await prisma.eventType.count({ where: { tenantId } })).toBe(0);

    const done = await svix.eventType.importOpenapi({ spec: catalog() });
    expect(done.data.modified).toEqual(['order.paid', 'order.refunded']);
    const paid = await svix.eventType.get('order.paid');
    expect(paid).toMatchObject({ description: 'An order was paid', groupName: 'order', deprecated: false, archived: false });
    expect(paid.schemas).toEqual({
      '1': {
        type: 'object',
        required: ['orderId', 'amount'],
        properties: { orderId: { type: 'string' }, amount: { type: 'integer', minimum: 0 } },
        examples: [{ orderId: 'o_1', amount: 12 }],
      },
    });
    expect(await svix.eventType.get('order.refunded')).toMatchObject({ description: 'Refunded', deprecated: true });

    // The imported schema is the one ingest validates against, and its example is what send-example sends.
    const app = await svix.application.create({ name: 'shop' });
    expect((await api.call('POST', `/api/v1/app/${app.id}/msg`, { token: apiKey, body: { eventType: 'order.paid', payload: { orderId: 'o_2' } } })).status).toBe(422);
    expect((await svix.message.create(app.id, { eventType: 'order.paid', payload: { orderId: 'o_2', amount: 3 } })).eventType).toBe('order.paid');

    // Again, unchanged: nothing modified; with one description changed (YAML this time): that one only.
    expect((await svix.eventType.importOpenapi({ spec: catalog() })).data.modified).toEqual([]);
    const yaml = `openapi: 3.1.0\nwebhooks:\n  order.refunded:\n    post:\n      summary: Refunded in full\n`;
    expect((await svix.eventType.importOpenapi({ specRaw: yaml })).data.modified).toEqual(['order.refunded']);
    expect((await svix.eventType.get('order.refunded')).description).toBe('Refunded in full');
    const audit = await prisma.auditLogEntry.findMany({ where: { tenantId, action: { startsWith: 'event_type.' } }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => [a.action, a.targetId])).toEqual([
      ['event_type.created', 'order.paid'],
      ['event_type.created', 'order.refunded'],
      ['event_type.updated', 'order.refunded'],
    ]);
  });

  it('with replaceAll archives the event types the document does not name, and brings back archived ones it names', async () => {
    const { apiKey } = await api.createTenant('import replace');
    const svix = new Svix(apiKey, { serverUrl: api.url });
    await svix.eventType.create({ name: 'legacy.event', description: 'old' });
    await svix.eventType.importOpenapi({ spec: catalog() });
    await svix.eventType.delete('order.refunded');
    expect((await svix.eventType.get('order.refunded')).archived).toBe(true);

    const res = await api.call<{ data: { modified: string[] } }>('POST', IMPORT, { token: apiKey, body: { spec: catalog(), replaceAll: true } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.modified).toEqual(['order.refunded', 'legacy.event']);
    expect((await svix.eventType.get('legacy.event')).archived).toBe(true);
    expect((await svix.eventType.get('order.refunded')).archived).toBe(false);
  });

  it('refuses a bad document or body with 422, writing nothing; needs a write key', async () => {
    const { apiKey, tenantId } = await api.createTenant('import bad');
    const svix = new Svix(apiKey, { serverUrl: api.url });
    await svix.eventType.create({ name: 'kept.event', description: 'kept' });
    const snapshot = async () => ({
      types: await prisma.eventType.findMany({ where: { tenantId }, orderBy: { name: 'asc' } }),
      audit: await prisma.auditLogEntry.count({ where: { tenantId } }),
    });
    const before = await snapshot();
    const good = catalog();
    const bodies: [unknown, (string | number)[]][] = [
      [{}, ['body', 'spec']],
      [{ spec: good, specRaw: JSON.stringify(good) }, ['body', 'spec']],
      [{ spec: [] }, ['body', 'spec']],
      [{ specRaw: 'webhooks: [unclosed' }, ['body', 'specRaw']],
      [{ spec: { openapi: '3.0.3', paths: {} } }, ['body', 'spec', 'webhooks']],
      [{ spec: { webhooks: { 'bad name!': { post: {} } } }, replaceAll: true }, ['body', 'spec', 'webhooks', 'bad name!']],
      // One bad schema refuses the whole document, the good entries included.
      [{ spec: { ...good, webhooks: { ...good.webhooks, 'bad.schema': { post: { requestBody: { content: { 'application/json': { schema: { type: 'no-such-type' } } } } } } } }, replaceAll: true }, ['body', 'spec', 'webhooks', 'bad.schema', 'schemas', '1']],
      [{ spec: good, dryRun: 'yes' }, ['body', 'dryRun']],
    ];
    for (const [body, loc] of bodies) {
      const res = await api.call<{ detail: { loc: (string | number)[] }[] }>('POST', IMPORT, { token: apiKey, body });
      expect(res.status, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`).toBe(422);
      expect(res.body.detail.map((d) => d.loc)).toContainEqual(loc);
    }
    const refused = await svix.eventType.importOpenapi({ spec: { webhooks: { 'x.y': { post: { requestBody: { $ref: '#/nowhere' } } } } } }).catch((err: unknown) => err);
    expect((refused as ApiException<unknown>).code).toBe(422);
    const reader = (await api.call<{ key: string }>('POST', '/api/v1/api-keys', { token: apiKey, body: { name: 'reader', scopes: ['read'] } })).body.key;
    expect((await api.call('POST', IMPORT, { token: reader, body: { spec: good } })).status).toBe(403);
    const before2 = { ...before, audit: before.audit + 1 }; // the reader key's creation
    expect(await snapshot()).toEqual(before2);
  });
});
