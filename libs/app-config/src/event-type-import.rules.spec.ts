import { describe, expect, it } from 'vitest';
import { eventTypesFromOpenApi, parseSpecRaw, sameJson } from './event-type-import.rules';

const LOC = ['body', 'spec'];

describe('event types from an OpenAPI document', () => {
  it('takes name, description, deprecation, Svix extensions, the body schema with $refs inlined, and examples', () => {
    const spec = {
      openapi: '3.1.0',
      webhooks: {
        'invoice.paid': {
          post: {
            summary: 'Paid',
            description: 'An invoice was paid',
            deprecated: true,
            'x-svix-group-name': 'invoice',
            'x-svix-feature-flags': ['beta', 'beta'],
            requestBody: { $ref: '#/components/requestBodies/Invoice' },
          },
        },
        'user.created': { $ref: '#/components/pathItems/UserCreated' },
        'no.body': { post: { summary: 'Nothing' } },
      },
      components: {
        requestBodies: {
          Invoice: {
            content: {
              'application/json': {
                schema: { type: 'object', properties: { amount: { $ref: '#/components/schemas/Money' } }, examples: [{ amount: 1 }] },
                examples: { big: { value: { amount: 1000 } } },
              },
            },
          },
        },
        schemas: { Money: { type: 'integer', minimum: 0 } },
        pathItems: { UserCreated: { post: { 'x-svix-feature-flag': 'staff', requestBody: { content: { 'application/json': { schema: { type: 'object' }, example: { id: 'u1' } } } } } } },
      },
    };
    const { types, issues } = eventTypesFromOpenApi(spec, LOC);
    expect(issues).toEqual([]);
    expect(types).toEqual([
      {
        name: 'invoice.paid',
        description: 'An invoice was paid',
        deprecated: true,
        featureFlags: ['beta'],
        groupName: 'invoice',
        schemas: { '1': { type: 'object', properties: { amount: { type: 'integer', minimum: 0 } }, examples: [{ amount: 1 }, { amount: 1000 }] } },
      },
      { name: 'user.created', description: '', deprecated: false, featureFlags: ['staff'], groupName: null, schemas: { '1': { type: 'object', examples: [{ id: 'u1' }] } } },
      { name: 'no.body', description: 'Nothing', deprecated: false, featureFlags: [], groupName: null, schemas: null },
    ]);
  });

  it('reports what it cannot take, with where', () => {
    const cyclic = { webhooks: { 'a.b': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } } } }, components: { schemas: { Node: { properties: { next: { $ref: '#/components/schemas/Node' } } } } } };
    expect(eventTypesFromOpenApi(cyclic, LOC).issues[0]).toMatchObject({ loc: ['body', 'spec', 'webhooks', 'a.b'], msg: expect.stringContaining('recursive') });
    expect(eventTypesFromOpenApi({ openapi: '3.0.0', paths: {} }, LOC).issues[0]).toMatchObject({ loc: ['body', 'spec', 'webhooks'] });
    expect(eventTypesFromOpenApi([], LOC).issues[0]).toMatchObject({ loc: ['body', 'spec'] });
    const bad = eventTypesFromOpenApi({ webhooks: { 'has space': { post: {} }, 'no.post': { get: {} }, 'far.ref': { post: { requestBody: { $ref: 'https://example.com/x.json' } } } } }, LOC);
    expect(bad.issues.map((i) => i.loc)).toEqual([
      ['body', 'spec', 'webhooks', 'has space'],
      ['body', 'spec', 'webhooks', 'no.post', 'post'],
      ['body', 'spec', 'webhooks', 'far.ref'],
    ]);
  });

  it('stops a document whose $refs expand without bound (a "billion laughs")', () => {
    const schemas: Record<string, unknown> = { L0: { type: 'string' } };
    for (let i = 1; i <= 30; i++) schemas[`L${i}`] = { allOf: [{ $ref: `#/components/schemas/L${i - 1}` }, { $ref: `#/components/schemas/L${i - 1}` }] };
    const spec = { webhooks: { 'x.y': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/L30' } } } } } } }, components: { schemas } };
    const started = Date.now();
    expect(eventTypesFromOpenApi(spec, LOC).issues[0]!.msg).toContain('expands to more than');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('parses specRaw as JSON or YAML', () => {
    expect(parseSpecRaw('{"webhooks": {}}')).toEqual({ ok: true, value: { webhooks: {} } });
    expect(parseSpecRaw('webhooks:\n  a.b:\n    post:\n      summary: S\n')).toEqual({ ok: true, value: { webhooks: { 'a.b': { post: { summary: 'S' } } } } });
    expect(parseSpecRaw('webhooks: [unclosed').ok).toBe(false);
  });

  it('compares JSON regardless of key order', () => {
    expect(sameJson({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});
