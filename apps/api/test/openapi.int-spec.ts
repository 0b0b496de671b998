import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

type Operation = {
  operationId: string;
  summary: string;
  'x-herald-access': string;
  security: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content: { 'application/json': { schema: { properties?: Record<string, unknown>; required?: string[] } } } };
  responses: Record<string, { description: string; content?: { 'application/json': { schema: { properties?: Record<string, unknown> } } } }>;
};
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
}

describe('GET /api/v1/openapi.json and /docs', () => {
  let api: TestApi;
  let doc: Doc;

  beforeAll(async () => {
    api = await startTestApi();
    const res = await api.call<Doc>('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => {
    await api.close();
  });

  it('is a public OpenAPI 3.1 document with bearer security', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Herald API');
    expect(doc.components.securitySchemes['bearer']).toEqual({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['HttpError', 'HttpValidationError']));
  });

  it('lists the health route and every platform route with its access rule', () => {
    const access = (path: string, method: string) => doc.paths[path]?.[method]?.['x-herald-access'];
    expect(access('/api/v1/health', 'get')).toBe('public');
    expect(doc.paths['/api/v1/health']!['get']!.security).toEqual([]);
    expect(access('/api/v1/admin/tenants', 'post')).toBe('operator');
    expect(access('/api/v1/admin/tenants', 'get')).toBe('operator');
    for (const m of ['get', 'patch', 'delete']) expect(access('/api/v1/admin/tenants/{id}', m)).toBe('operator');
    expect(access('/api/v1/api-keys', 'post')).toBe('write');
    expect(access('/api/v1/api-keys', 'get')).toBe('read');
    expect(access('/api/v1/api-keys/{id}', 'delete')).toBe('write');
    expect(access('/api/v1/tenant/settings', 'get')).toBe('read');
    expect(access('/api/v1/tenant/settings', 'patch')).toBe('write');
    expect(access('/api/v1/audit-log', 'get')).toBe('read');
    expect(access('/api/v1/audit-log/verify', 'get')).toBe('read');
    expect(access('/api/v1/openapi.json', 'get')).toBe('public');
    expect(access('/docs', 'get')).toBe('public');
  });

  it('describes requests and responses from the zod schemas', () => {
    const create = doc.paths['/api/v1/api-keys']!['post']!;
    const body = create.requestBody!.content['application/json'].schema;
    expect(Object.keys(body.properties!)).toEqual(['name', 'scopes', 'expiresAt', 'allowedCidrs']);
    expect(body.required).toEqual(['name']);
    expect(create.responses['201']!.content!['application/json'].schema.properties).toHaveProperty('key');
    expect(create.responses['422']).toBeDefined();
    expect(create.parameters!.map((p) => p.name)).toContain('idempotency-key');
    const list = doc.paths['/api/v1/api-keys']!['get']!;
    expect(list.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['query:limit', 'query:iterator']);
    const listed = list.responses['200']!.content!['application/json'].schema.properties!;
    expect(Object.keys(listed)).toEqual(['data', 'iterator', 'prevIterator', 'done']);
    const revoke = doc.paths['/api/v1/api-keys/{id}']!['delete']!;
    expect(revoke.parameters![0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(revoke.responses['204']).toEqual({ description: 'No content' });
  });

  it('documents the list queries (order where Svix has it, before/after on time-ordered lists) and health', () => {
    const params = (path: string) => doc.paths[path]!['get']!.parameters!.map((p) => p.name);
    expect(params('/api/v1/app')).toEqual(expect.arrayContaining(['limit', 'iterator', 'order']));
    expect(params('/api/v1/app/{app_id}/endpoint')).toEqual(expect.arrayContaining(['limit', 'iterator', 'order']));
    expect(params('/api/v1/event-type')).toEqual(expect.arrayContaining(['limit', 'iterator', 'order', 'include_archived', 'with_content']));
    for (const path of ['/api/v1/app/{app_id}/msg', '/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}', '/api/v1/app/{app_id}/attempt/msg/{msg_id}', '/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg']) {
      expect(params(path), path).toEqual(expect.arrayContaining(['limit', 'iterator', 'before', 'after']));
      expect(params(path), path).not.toContain('order');
    }
    expect(params('/api/v1/app/{app_id}/msg/{msg_id}/endpoint')).toEqual(expect.arrayContaining(['limit', 'iterator']));
    for (const path of ['/api/v1/health', '/api/v1/health/ping']) {
      expect(doc.paths[path]!['get']!['x-herald-access']).toBe('public');
      expect(doc.paths[path]!['get']!.responses['204']).toEqual({ description: 'No content' });
    }
    const ready = doc.paths['/api/v1/health/ready']!['get']!;
    expect(ready['x-herald-access']).toBe('public');
    expect(Object.keys(ready.responses['200']!.content!['application/json'].schema.properties!)).toEqual(['status', 'database', 'redis', 'workers']);
  });

  it('lists routes without @ApiOperation too, with the schemas of their pipes', () => {
    // The messaging routes carry no @ApiOperation: method, path and access are still there.
    const send = doc.paths['/api/v1/app/{app_id}/msg']?.['post'];
    expect(send?.['x-herald-access']).toBe('send');
    expect(Object.keys(send?.requestBody?.content['application/json'].schema.properties ?? {})).toContain('eventType');
  });

  it('every documented operation is a route the server really serves', () => {
    const fastify = api.app.getHttpAdapter().getInstance();
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => [m.toUpperCase(), path.replace(/\{([^}]+)\}/g, ':$1')] as const));
    expect(operations.length).toBeGreaterThan(10);
    for (const [method, url] of operations) {
      expect(fastify.hasRoute({ method, url }), `${method} ${url}`).toBe(true);
    }
    const ids = Object.values(doc.paths).flatMap((m) => Object.values(m).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('renders /docs as a self-contained HTML page', async () => {
    const res = await api.call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toContain('text/html');
    expect(res.text).toMatch(/^<!doctype html>/);
    expect(res.text).toContain('/api/v1/api-keys');
    expect(res.text).toContain('/api/v1/health');
    // Nothing loaded from elsewhere (Herald runs without internet).
    expect(res.text).not.toMatch(/<script|<link|src=["']https?:/i);
  });
});
