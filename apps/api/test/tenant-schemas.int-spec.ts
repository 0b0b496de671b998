import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PrismaService } from '@herald/db';
import { startTestApi, type TestApi } from './harness';

interface ValidationOut {
  detail: { loc: (string | number)[]; msg: string; type: string }[];
}

// Issue 10 item 7, ADR 0014: no tenant's JSON Schema can stall the API for the others.
describe('tenant JSON Schemas cannot stall the API', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let tenant: { tenantId: string; apiKey: string };
  let other: { tenantId: string; apiKey: string };
  let appId: string;

  beforeAll(async () => {
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-tenant-schemas` });
    prisma = api.app.get(PrismaService);
    tenant = await api.createTenant('schemas');
    other = await api.createTenant('schemas bystander');
    const app = await api.call<{ id: string }>('POST', '/api/v1/app', { token: tenant.apiKey, body: { name: 'schemas app' } });
    expect(app.status).toBe(201);
    appId = app.body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  const createEventType = (name: string, schema: unknown) => api.call<ValidationOut>('POST', '/api/v1/event-type', { token: tenant.apiKey, body: { name, description: name, schemas: { '1': schema } } });
  const send = (eventType: string, payload: unknown) => api.call<ValidationOut>('POST', `/api/v1/app/${appId}/msg`, { token: tenant.apiKey, body: { eventType, payload } });
  const storedMessages = () => prisma.message.count({ where: { tenantId: tenant.tenantId } });

  it('runs "^(a+)+$" against a crafted payload in linear time while another tenant is answered', async () => {
    expect((await createEventType('evil.pattern', { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } })).status).toBe(201);
    // With the backtracking engine one of these would hold the event loop for longer than the universe is old.
    const crafted = { s: `${'a'.repeat(200_000)}!` };
    const before = await storedMessages();
    const started = performance.now();
    const evil = Promise.all(Array.from({ length: 4 }, () => send('evil.pattern', crafted)));
    const bystanderStarted = performance.now();
    const bystander = await api.call('GET', '/api/v1/app', { token: other.apiKey });
    const bystanderMs = performance.now() - bystanderStarted;
    const answers = await evil;
    const evilMs = performance.now() - started;
    expect(bystander.status).toBe(200);
    for (const answer of answers) {
      expect(answer.status).toBe(422);
      expect(answer.body.detail[0]).toMatchObject({ loc: ['body', 'payload', 's'], type: 'value_error.jsonschema.pattern' });
    }
    expect(await storedMessages()).toBe(before);
    expect(evilMs).toBeLessThan(5_000);
    expect(bystanderMs).toBeLessThan(5_000);
    console.log(`4 crafted 200 kB payloads against ^(a+)+$: ${evilMs.toFixed(0)} ms; another tenant's GET meanwhile: ${bystanderMs.toFixed(0)} ms`);
    expect((await send('evil.pattern', { s: 'aaaa' })).status).toBe(202);
  });

  it('refuses patterns RE2 cannot run with 422 on create, replace and patch, changing nothing', async () => {
    const backreference = { type: 'object', properties: { s: { type: 'string', pattern: '^(a)\\1$' } } };
    const created = await createEventType('re2.refused', backreference);
    expect(created.status).toBe(422);
    expect(created.body.detail[0]).toMatchObject({ loc: ['body', 'schemas', '1'], type: 'value_error.jsonschema' });
    expect(created.body.detail[0]!.msg).toMatch(/RE2/);
    expect(await prisma.eventType.count({ where: { tenantId: tenant.tenantId, name: 're2.refused' } })).toBe(0);

    expect((await createEventType('re2.kept', { type: 'object' })).status).toBe(201);
    const lookahead = { type: 'object', patternProperties: { '^(?!x)': { type: 'integer' } } };
    const put = await api.call<ValidationOut>('PUT', '/api/v1/event-type/re2.kept', { token: tenant.apiKey, body: { description: 'd', schemas: { '1': lookahead } } });
    expect(put.status).toBe(422);
    const patch = await api.call<ValidationOut>('PATCH', '/api/v1/event-type/re2.kept', { token: tenant.apiKey, body: { schemas: { '2': { propertyNames: { pattern: '(?<=a)b' } } } } });
    expect(patch.status).toBe(422);
    const kept = await api.call<{ schemas: unknown }>('GET', '/api/v1/event-type/re2.kept', { token: tenant.apiKey });
    expect(kept.body.schemas).toEqual({ '1': { type: 'object' } });

    // The catalog import checks its schemas in the same place.
    const imported = await api.call<ValidationOut>('POST', '/api/v1/event-type/import/openapi', {
      token: tenant.apiKey,
      body: { spec: { openapi: '3.1.0', info: { title: 't', version: '1' }, webhooks: { 're2.imported': { post: { requestBody: { content: { 'application/json': { schema: backreference } } } } } } } },
    });
    expect(imported.status).toBe(422);
    expect(imported.body.detail[0]).toMatchObject({ loc: ['body', 'spec', 'webhooks', 're2.imported', 'schemas', '1'] });
    expect(imported.body.detail[0]!.msg).toMatch(/RE2/);
    expect(await prisma.eventType.count({ where: { tenantId: tenant.tenantId, name: 're2.imported' } })).toBe(0);
  });

  it('checks uniqueItems on a large array of objects in linear time', async () => {
    expect((await createEventType('unique.bomb', { type: 'object', properties: { list: { type: 'array', uniqueItems: true } } })).status).toBe(201);
    // ~20,000 distinct objects: 2 × 10^8 deep comparisons pairwise.
    const list = Array.from({ length: 20_000 }, (_, i) => ({ k: i, v: [i] }));
    const started = performance.now();
    const distinct = await send('unique.bomb', { list });
    const duplicated = await send('unique.bomb', { list: [...list, { v: [7], k: 7 }] });
    const ms = performance.now() - started;
    expect(distinct.status).toBe(202);
    expect(duplicated.status).toBe(422);
    expect(duplicated.body.detail[0]).toMatchObject({ loc: ['body', 'payload', 'list'], type: 'value_error.jsonschema.uniqueItems' });
    expect(ms).toBeLessThan(5_000);
  });

  it('refuses schemas whose fan-out explodes, and payloads beyond the validation work budget', async () => {
    const defs: Record<string, unknown> = { d0: { type: 'string' } };
    for (let i = 1; i <= 25; i += 1) defs[`d${i}`] = { anyOf: [{ $ref: `#/definitions/d${i - 1}` }, { $ref: `#/definitions/d${i - 1}` }] };
    const bomb = await createEventType('fanout.bomb', { definitions: defs, $ref: '#/definitions/d25' });
    expect(bomb.status).toBe(422);
    expect(bomb.body.detail[0]!.msg).toMatch(/more than 1000 subschemas/);

    // 40 subschemas per array item: 200,000 items cost 8 × 10^6 applications, over the 5 × 10^6 budget.
    expect((await createEventType('costly.items', { type: 'object', properties: { n: { type: 'array', items: { allOf: Array.from({ length: 39 }, () => ({ type: 'integer' })) } } } })).status).toBe(201);
    const before = await storedMessages();
    const over = await send('costly.items', { n: new Array<number>(200_000).fill(0) });
    expect(over.status).toBe(422);
    expect(over.body.detail[0]).toMatchObject({ loc: ['body', 'payload'], type: 'value_error.jsonschema.budget' });
    expect(await storedMessages()).toBe(before);
    const started = performance.now();
    const within = await send('costly.items', { n: new Array<number>(100_000).fill(0) });
    console.log(`payload of 100,000 items × 40 subschemas (4 × 10^6 applications, within the budget): answered in ${(performance.now() - started).toFixed(0)} ms`);
    expect(within.status).toBe(202);
  });
});
