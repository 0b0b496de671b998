import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashApiKey, TenantKeysService, tenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { routesOfTree, startTestApi, type ApiResponse, type TestApi } from './harness';

/**
 * Tenant isolation, route by route (DESIGN.md, "Security requirements"). Every route the server
 * really serves must be in ROUTES below, which says how it is exercised; a route added without
 * an entry fails the first test. Routes with path parameters are called with tenant B's key and
 * tenant A's real ids and uids (alone and mixed with B's own) and must answer 404 — and,
 * with B's own ids, must work, which proves the 404s come from isolation and not from a bad
 * request. App-portal tokens are swept the same way across applications. Tenant A's rows are
 * compared before and after.
 */

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type AppParam = 'app_id' | 'endpoint_id' | 'msg_id' | 'attempt_id';

/**
 * One call of an app-scoped route. `upsert`: a missing *uid* as the last path parameter is
 * created (Svix PUT semantics).
 */
interface AppCall {
  body?: unknown;
  query?: string;
  upsert?: 'application' | 'endpoint';
}

/**
 * The app-portal capability a route needs (Svix AppPortalCapability), or null: no app-portal
 * token may use the route at all, whatever the application (403 everywhere, so it tells
 * nothing about another app). Stated here, independently of the code, and compared with the
 * OpenAPI document's `x-herald-portal-capability`.
 */
type PortalNeed = 'ViewBase' | 'ViewEndpointSecret' | 'ManageEndpointSecret' | 'CreateAttempts' | 'ManageEndpoint' | null;
const FULL_PORTAL: PortalNeed[] = ['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'CreateAttempts', 'ManageEndpoint'];
const READ_ONLY_PORTAL: PortalNeed[] = ['ViewBase'];

interface World {
  api: TestApi;
  prisma: PrismaService;
  a: TenantRef;
  b: TenantRef;
  /** Tenant A's two applications (X gets the portal token) and tenant B's one. */
  ax: Graph;
  ay: Graph;
  bx: Graph;
  /** Strings of tenant A that no response to anyone else may contain (ids, secrets, payload, settings). */
  aPrivate: string[];
}

interface TenantRef {
  tenantId: string;
  apiKey: string;
  keyIds: string[];
}

interface Graph {
  app: { id: string; uid: string };
  endpoint: { id: string; uid: string };
  msg: { id: string; eventId: string };
  attempt: { id: string };
}

type Exercise =
  /** Under /app/{app_id}: swept with foreign ids (404) and run with the caller's own ids (2xx). */
  | { kind: 'app'; portal: PortalNeed; calls: AppCall[] }
  /** Event types are per tenant, by name: B naming a type only A has gets 404 (PUT creates B's own). */
  | { kind: 'event-type'; portal: PortalNeed; body?: unknown; query?: string; upsert?: true }
  /** API keys by id: A's key ids are 404 for B. */
  | { kind: 'api-key' }
  /** Operator-only: tenant keys and app-portal tokens get 401. */
  | { kind: 'operator'; body?: unknown }
  /** No foreign ids in the path: the check proves B sees and changes only its own data. */
  | { kind: 'no-foreign-ids'; portal?: PortalNeed; check: (w: World) => Promise<void> }
  /** Open routes: no tenant data at all. */
  | { kind: 'public' };

const SHARED_EVENT = 'iso.shared';
const A_ONLY_EVENT = 'iso.a-only';
const A_POST_EVENT = 'iso.a-post';
const A_PUT_EVENT = 'iso.a-put';
const A_PAYLOAD_MARK = 'a-private-payload-7d1f';
const A_HEADER_VALUE = 'a-private-header-91c3';
const A_OPS_URL = 'https://a-private-ops.example.com/hook';
const RECOVER_SINCE = new Date(Date.now() - 3_600_000).toISOString();
const MSG_BODY = { eventType: SHARED_EVENT, payload: { from: 'isolation' } };

const ROUTES: Record<string, Exercise> = {
  // Applications
  'GET /api/v1/app': { kind: 'no-foreign-ids', check: checkAppList },
  'POST /api/v1/app': { kind: 'no-foreign-ids', check: checkAppCreate },
  'GET /api/v1/app/{app_id}': { kind: 'app', portal: 'ViewBase', calls: [{}] },
  'PUT /api/v1/app/{app_id}': { kind: 'app', portal: null, calls: [{ body: { name: 'put by caller' }, upsert: 'application' }] },
  'PATCH /api/v1/app/{app_id}': { kind: 'app', portal: null, calls: [{ body: { name: 'patched by caller' } }] },
  'DELETE /api/v1/app/{app_id}': { kind: 'app', portal: null, calls: [{}] },
  'POST /api/v1/auth/app-portal-access/{app_id}': {
    kind: 'app', portal: null,
    calls: [
      { body: {} },
      { body: { application: { name: 'created with portal access' } }, upsert: 'application' },
    ],
  },
  'POST /api/v1/auth/app/{app_id}/expire-all': { kind: 'app', portal: null, calls: [{ body: { expiry: 3600 } }] },
  'POST /api/v1/auth/logout': { kind: 'no-foreign-ids', check: checkLogout },
  'GET /api/v1/auth/session': { kind: 'no-foreign-ids', check: checkSession },
  // Endpoints
  'GET /api/v1/app/{app_id}/endpoint': { kind: 'app', portal: 'ViewBase', calls: [{ query: 'limit=250' }] },
  'POST /api/v1/app/{app_id}/endpoint': { kind: 'app', portal: 'ManageEndpoint', calls: [{ body: { url: 'https://caller.example.com/new' } }] },
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}': { kind: 'app', portal: 'ViewBase', calls: [{}] },
  'PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}': { kind: 'app', portal: 'ManageEndpoint', calls: [{ body: { url: 'https://caller.example.com/put' }, upsert: 'endpoint' }] },
  'PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}': { kind: 'app', portal: 'ManageEndpoint', calls: [{ body: { description: 'patched by caller' } }] },
  'DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}': { kind: 'app', portal: 'ManageEndpoint', calls: [{}] },
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret': { kind: 'app', portal: 'ViewEndpointSecret', calls: [{}] },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate': { kind: 'app', portal: 'ManageEndpointSecret', calls: [{ body: {} }] },
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers': { kind: 'app', portal: 'ViewBase', calls: [{}] },
  'PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers': { kind: 'app', portal: 'ManageEndpoint', calls: [{ body: { headers: { 'x-caller': 'put' } } }] },
  'PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers': { kind: 'app', portal: 'ManageEndpoint', calls: [{ body: { headers: { 'x-caller': 'patch' } } }] },
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats': { kind: 'app', portal: 'ViewBase', calls: [{}] },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover': { kind: 'app', portal: 'CreateAttempts', calls: [{ body: { since: RECOVER_SINCE } }] },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing': { kind: 'app', portal: 'CreateAttempts', calls: [{ body: { since: RECOVER_SINCE } }] },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-replay': { kind: 'app', portal: 'CreateAttempts', calls: [{ body: { since: RECOVER_SINCE, status: 0, eventTypes: [SHARED_EVENT] } }] },
  'POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example': { kind: 'app', portal: 'CreateAttempts', calls: [{ body: { eventType: SHARED_EVENT } }] },
  'GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/msg': { kind: 'app', portal: 'ViewBase', calls: [{ query: 'with_content=true' }] },
  // Messages and attempts
  'GET /api/v1/app/{app_id}/msg': { kind: 'app', portal: 'ViewBase', calls: [{ query: 'with_content=true' }] },
  'POST /api/v1/app/{app_id}/msg': {
    kind: 'app', portal: null,
    // Svix creates the application with its first message when the body describes it.
    calls: [{ body: MSG_BODY }, { body: { ...MSG_BODY, application: { name: 'created with a message' } }, upsert: 'application' }],
  },
  'GET /api/v1/app/{app_id}/msg/{msg_id}': { kind: 'app', portal: 'ViewBase', calls: [{ query: 'with_content=true' }] },
  'DELETE /api/v1/app/{app_id}/msg/{msg_id}/content': { kind: 'app', portal: null, calls: [{}] },
  'POST /api/v1/app/{app_id}/msg/expunge-all-contents': { kind: 'app', portal: null, calls: [{}] },
  'GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint': { kind: 'app', portal: 'ViewBase', calls: [{}] },
  'POST /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend': { kind: 'app', portal: 'CreateAttempts', calls: [{}] },
  'GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}': { kind: 'app', portal: 'ViewBase', calls: [{}] },
  'DELETE /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content': { kind: 'app', portal: null, calls: [{}] },
  'GET /api/v1/app/{app_id}/attempt/msg/{msg_id}': { kind: 'app', portal: 'ViewBase', calls: [{ query: 'with_content=true' }] },
  'GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}': { kind: 'app', portal: 'ViewBase', calls: [{ query: 'with_content=true&with_msg=true' }] },
  // Event types
  'GET /api/v1/event-type': { kind: 'no-foreign-ids', check: checkEventTypeList },
  'POST /api/v1/event-type': { kind: 'no-foreign-ids', check: checkEventTypeCreate },
  'POST /api/v1/event-type/import/openapi': { kind: 'no-foreign-ids', check: checkEventTypeImport },
  'GET /api/v1/event-type/{event_type_name}': { kind: 'event-type', portal: 'ViewBase' },
  'PUT /api/v1/event-type/{event_type_name}': { kind: 'event-type', portal: null, body: { description: 'put by caller' }, upsert: true },
  'PATCH /api/v1/event-type/{event_type_name}': { kind: 'event-type', portal: null, body: { description: 'patched by caller' } },
  'DELETE /api/v1/event-type/{event_type_name}': { kind: 'event-type', portal: null, query: 'expunge=true' },
  // Operational-webhook endpoints (the tenant's own, no app in the path)
  'GET /api/v1/operational-webhook/endpoint': { kind: 'no-foreign-ids', check: checkOperationalList },
  'POST /api/v1/operational-webhook/endpoint': { kind: 'no-foreign-ids', check: checkOperationalCreate },
  'GET /api/v1/operational-webhook/endpoint/{endpoint_id}': { kind: 'no-foreign-ids', check: checkOperational('GET', '') },
  'PUT /api/v1/operational-webhook/endpoint/{endpoint_id}': { kind: 'no-foreign-ids', check: checkOperational('PUT', '', { url: 'https://caller.example.com/ops-put' }) },
  'DELETE /api/v1/operational-webhook/endpoint/{endpoint_id}': { kind: 'no-foreign-ids', check: checkOperational('DELETE', '') },
  'GET /api/v1/operational-webhook/endpoint/{endpoint_id}/secret': { kind: 'no-foreign-ids', check: checkOperational('GET', '/secret') },
  'POST /api/v1/operational-webhook/endpoint/{endpoint_id}/secret/rotate': { kind: 'no-foreign-ids', check: checkOperational('POST', '/secret/rotate', {}) },
  'GET /api/v1/operational-webhook/endpoint/{endpoint_id}/headers': { kind: 'no-foreign-ids', check: checkOperational('GET', '/headers') },
  'PUT /api/v1/operational-webhook/endpoint/{endpoint_id}/headers': { kind: 'no-foreign-ids', check: checkOperational('PUT', '/headers', { headers: { 'x-caller': 'put' } }) },
  'PATCH /api/v1/operational-webhook/endpoint/{endpoint_id}/headers': { kind: 'no-foreign-ids', check: checkOperational('PATCH', '/headers', { headers: { 'x-caller': 'patch' } }) },
  // Herald extensions
  'GET /api/v1/api-keys': { kind: 'no-foreign-ids', check: checkApiKeyList },
  'POST /api/v1/api-keys': { kind: 'no-foreign-ids', check: checkApiKeyCreate },
  'DELETE /api/v1/api-keys/{id}': { kind: 'api-key' },
  'GET /api/v1/tenant/settings': { kind: 'no-foreign-ids', check: checkSettingsGet },
  'PATCH /api/v1/tenant/settings': { kind: 'no-foreign-ids', check: checkSettingsPatch },
  'GET /api/v1/audit-log': { kind: 'no-foreign-ids', check: checkAuditLog },
  // Background tasks (tenant A's were started by its recover, replay and expunge-all calls above)
  'GET /api/v1/background-task': { kind: 'no-foreign-ids', check: checkBackgroundTaskList },
  'GET /api/v1/background-task/{task_id}': { kind: 'no-foreign-ids', check: checkBackgroundTaskGet },
  'GET /api/v1/audit-log/verify': { kind: 'no-foreign-ids', check: checkAuditVerify },
  'GET /api/v1/admin/tenants': { kind: 'operator' },
  'POST /api/v1/admin/tenants': { kind: 'operator', body: { name: 'made by a tenant key' } },
  'GET /api/v1/admin/tenants/{id}': { kind: 'operator' },
  'PATCH /api/v1/admin/tenants/{id}': { kind: 'operator', body: { name: 'renamed by a tenant key' } },
  'DELETE /api/v1/admin/tenants/{id}': { kind: 'operator' },
  'GET /api/v1/admin/overview': { kind: 'operator' },
  'GET /api/v1/health': { kind: 'public' },
  'GET /api/v1/health/ping': { kind: 'public' },
  'GET /api/v1/health/ready': { kind: 'public' },
  'GET /api/v1/metrics': { kind: 'public' },
  'GET /metrics': { kind: 'public' },
  'GET /api/v1/openapi.json': { kind: 'public' },
  'GET /docs': { kind: 'public' },
  // The web UI's static files (single-page fallback under each prefix).
  'GET /console': { kind: 'public' },
  'GET /console/*': { kind: 'public' },
  'GET /app-portal': { kind: 'public' },
  'GET /app-portal/*': { kind: 'public' },
};

// -----------------------------------------------------------------------------------------------
// Route enumeration

function splitKey(key: string): { method: Method; template: string } {
  const [method, template] = key.split(' ') as [Method, string];
  return { method, template };
}

const paramsOf = (template: string): string[] => [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
const toFastifyPath = (template: string): string => template.replace(/\{([^}]+)\}/g, ':$1');

// -----------------------------------------------------------------------------------------------
// Path variants: tenant B (or a portal token) calling with foreign ids

interface Variant {
  label: string;
  values: Record<string, string>;
  /** 'created': Svix upsert of a uid in the caller's own namespace (not a foreign object). */
  expect: 404 | 'created';
}

function ref(g: Graph, param: AppParam, by: 'id' | 'uid'): string {
  switch (param) {
    case 'app_id':
      return by === 'id' ? g.app.id : g.app.uid;
    case 'endpoint_id':
      return by === 'id' ? g.endpoint.id : g.endpoint.uid;
    case 'msg_id':
      return by === 'id' ? g.msg.id : g.msg.eventId;
    case 'attempt_id':
      return g.attempt.id;
  }
}

/**
 * Every way to point an app-scoped route at something that is not the caller's: all foreign
 * (by id, by uid), the caller's own application with foreign children, and — with several
 * children — the caller's own objects with exactly one foreign child.
 */
function foreignVariants(params: AppParam[], own: Graph, foreign: Graph, upsert: AppCall['upsert']): Variant[] {
  const children = params.filter((p) => p !== 'app_id');
  const variants: Omit<Variant, 'expect'>[] = [];
  const build = (by: 'id' | 'uid', foreignOf: (p: AppParam) => boolean): Record<string, string> =>
    Object.fromEntries(params.map((p) => [p, ref(foreignOf(p) ? foreign : own, p, by)]));
  for (const by of ['id', 'uid'] as const) {
    variants.push({ label: `foreign ${by}s`, values: build(by, () => true) });
    if (children.length > 0) variants.push({ label: `own app, foreign ${children.join('+')} by ${by}`, values: build(by, (p) => p !== 'app_id') });
    if (children.length > 1) {
      for (const child of children) variants.push({ label: `own ${params.filter((p) => p !== child).join('+')}, foreign ${child} by ${by}`, values: build(by, (p) => p === child) });
    }
  }
  const last = params[params.length - 1]!;
  return variants.map((v) => {
    // A uid that the caller does not have, under the caller's own parents, is an upsert.
    const ownParents = params.slice(0, -1).every((p) => v.values[p] === ref(own, p, 'id') || v.values[p] === ref(own, p, 'uid'));
    const created = upsert !== undefined && ownParents && v.values[last] === ref(foreign, last, 'uid') && v.values[last] !== ref(foreign, last, 'id');
    return { ...v, expect: created ? 'created' : 404 };
  });
}

const fill = (template: string, values: Record<string, string>): string => template.replace(/\{([^}]+)\}/g, (_m, p: string) => encodeURIComponent(values[p]!));

// -----------------------------------------------------------------------------------------------
// Checks of the routes without foreign ids

type ListBody<T> = { data: T[]; done: boolean };

function expectNoPrivate(w: World, res: ApiResponse, what: string): void {
  for (const s of w.aPrivate) expect(res.text.includes(s), `${what} leaks ${s}`).toBe(false);
}

async function checkLogout(w: World): Promise<void> {
  // Only app-portal tokens log out (themselves); B's API key is refused and keeps working.
  const res = await w.api.call('POST', '/api/v1/auth/logout', { token: w.b.apiKey });
  expect(res.status, res.text).toBe(403);
  expect((await w.api.call('GET', `/api/v1/app/${w.bx.app.id}`, { token: w.b.apiKey })).status).toBe(200);
}

async function checkSession(w: World): Promise<void> {
  const res = await w.api.call<{ kind: string; tenantId: string }>('GET', '/api/v1/auth/session', { token: w.b.apiKey });
  expect(res.status, res.text).toBe(200);
  expect(res.body).toMatchObject({ kind: 'api_key', tenantId: w.b.tenantId });
  expectNoPrivate(w, res, 'GET /auth/session');
}

const OPS_PATH = '/api/v1/operational-webhook/endpoint';

/** B's own operational endpoint (made on first use), so each route is also shown to work for B. */
async function ownOperationalEndpoint(w: World): Promise<string> {
  const list = await w.api.call<ListBody<{ id: string; uid: string | null }>>('GET', OPS_PATH, { token: w.b.apiKey });
  const found = list.body.data.find((e) => e.uid === 'b-ops');
  if (found) return found.id;
  const res = await w.api.call<{ id: string }>('POST', OPS_PATH, { token: w.b.apiKey, body: { url: 'https://caller.example.com/ops', uid: 'b-ops' } });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** A's operational endpoint (the settings URL) by id and by uid: 404 for B; B's own: 2xx. */
function checkOperational(method: Method, suffix: string, body?: unknown): (w: World) => Promise<void> {
  return async (w) => {
    const aOps = await w.prisma.endpoint.findFirstOrThrow({ where: { tenantId: w.a.tenantId, uid: 'tenant-settings' } });
    for (const ref of [aOps.id, 'tenant-settings']) {
      const res = await w.api.call<{ code?: string }>(method, `${OPS_PATH}/${ref}${suffix}`, { token: w.b.apiKey, body });
      expect(res.status, `${method} ${ref}${suffix}: ${res.text}`).toBe(404);
      expect(res.body.code).toBe('not_found');
      expectNoPrivate(w, res, `${method} operational ${suffix}`);
    }
    const own = await ownOperationalEndpoint(w);
    const res = await w.api.call(method, `${OPS_PATH}/${own}${suffix}`, { token: w.b.apiKey, body });
    expect(res.status, `own ${method} ${suffix}: ${res.text}`).toBeLessThan(300);
    expectNoPrivate(w, res, `own ${method} operational ${suffix}`);
  };
}

async function checkOperationalList(w: World): Promise<void> {
  const own = await ownOperationalEndpoint(w);
  const res = await w.api.call<ListBody<{ id: string }>>('GET', `${OPS_PATH}?limit=250`, { token: w.b.apiKey });
  expect(res.status).toBe(200);
  expect(res.body.data.map((e) => e.id)).toContain(own);
  expectNoPrivate(w, res, 'GET operational endpoints');
}

async function checkOperationalCreate(w: World): Promise<void> {
  // A's uid is free in B's namespace: B gets its own endpoint, in its own operational app.
  const res = await w.api.call<{ id: string }>('POST', OPS_PATH, { token: w.b.apiKey, body: { url: 'https://caller.example.com/ops-2', uid: 'tenant-settings' } });
  expect(res.status, res.text).toBe(201);
  expect((await w.prisma.endpoint.findUniqueOrThrow({ where: { id: res.body.id } })).tenantId).toBe(w.b.tenantId);
  expectNoPrivate(w, res, 'POST operational endpoint');
  expect((await w.api.call('DELETE', `${OPS_PATH}/${res.body.id}`, { token: w.b.apiKey })).status).toBe(204);
}

async function checkAppList(w: World): Promise<void> {
  for (const q of ['', '?exclude_apps_with_no_endpoints=true', '?order=descending&limit=250']) {
    const res = await w.api.call<ListBody<{ id: string }>>('GET', `/api/v1/app${q}`, { token: w.b.apiKey });
    expect(res.status).toBe(200);
    expect(res.body.data.map((a) => a.id)).toContain(w.bx.app.id);
    expectNoPrivate(w, res, `GET /app${q}`);
  }
}

async function checkAppCreate(w: World): Promise<void> {
  // get_if_exists with A's uid must create B's own application, never return A's.
  const res = await w.api.call<{ id: string; uid: string }>('POST', '/api/v1/app?get_if_exists=true', { token: w.b.apiKey, body: { name: 'same uid as A', uid: w.ax.app.uid } });
  expect(res.status, res.text).toBe(201);
  expect(res.body.id).not.toBe(w.ax.app.id);
  expect((await w.prisma.application.findUniqueOrThrow({ where: { id: res.body.id } })).tenantId).toBe(w.b.tenantId);
  expect((await w.api.call('DELETE', `/api/v1/app/${res.body.id}`, { token: w.b.apiKey })).status).toBe(204);
}

async function checkEventTypeList(w: World): Promise<void> {
  const res = await w.api.call<ListBody<{ name: string }>>('GET', '/api/v1/event-type?include_archived=true&with_content=true&limit=250', { token: w.b.apiKey });
  expect(res.status).toBe(200);
  const names = res.body.data.map((e) => e.name);
  expect(names).toContain(SHARED_EVENT);
  for (const name of [A_ONLY_EVENT, A_POST_EVENT, A_PUT_EVENT]) expect(names).not.toContain(name);
  expectNoPrivate(w, res, 'GET /event-type');
}

async function checkEventTypeCreate(w: World): Promise<void> {
  // A name only A has is free in B's namespace: B creates its own (201, not 409).
  const res = await w.api.call('POST', '/api/v1/event-type', { token: w.b.apiKey, body: { name: A_POST_EVENT, description: 'B own' } });
  expect(res.status, res.text).toBe(201);
  const rows = await w.prisma.eventType.findMany({ where: { name: A_POST_EVENT }, orderBy: { tenantId: 'asc' } });
  expect(rows.map((r) => r.tenantId).sort()).toEqual([w.a.tenantId, w.b.tenantId].sort());
  expect((await w.api.call('DELETE', `/api/v1/event-type/${A_POST_EVENT}?expunge=true`, { token: w.b.apiKey })).status).toBe(204);
}

async function checkBackgroundTaskList(w: World): Promise<void> {
  const mine = await w.prisma.backgroundTask.findMany({ where: { tenantId: w.b.tenantId }, select: { id: true } });
  for (const q of ['?limit=250', '?limit=250&order=ascending', '?status=running&task=endpoint.recover']) {
    const res = await w.api.call<ListBody<{ id: string }>>('GET', `/api/v1/background-task${q}`, { token: w.b.apiKey });
    expect(res.status, res.text).toBe(200);
    for (const t of res.body.data) expect(mine.map((m) => m.id)).toContain(t.id);
    expectNoPrivate(w, res, `GET /background-task${q}`);
  }
}

async function checkBackgroundTaskGet(w: World): Promise<void> {
  const aTasks = await w.prisma.backgroundTask.findMany({ where: { tenantId: w.a.tenantId }, select: { id: true } });
  expect(aTasks.length).toBeGreaterThanOrEqual(4);
  for (const { id } of aTasks) {
    const res = await w.api.call('GET', `/api/v1/background-task/${id}`, { token: w.b.apiKey });
    expect(res.status, res.text).toBe(404);
    expectNoPrivate(w, res, 'GET /background-task/{task_id}');
  }
  // B's own task is there for B: the 404s are isolation.
  const own = await w.api.call<{ id: string }>('POST', `/api/v1/app/${w.bx.app.id}/endpoint/${w.bx.endpoint.id}/recover`, { token: w.b.apiKey, body: { since: RECOVER_SINCE } });
  expect(own.status, own.text).toBe(202);
  expect((await w.api.call('GET', `/api/v1/background-task/${own.body.id}`, { token: w.b.apiKey })).status).toBe(200);
}

async function checkEventTypeImport(w: World): Promise<void> {
  // Names only A has are new in B's namespace; replaceAll archives B's own others, never A's.
  const post = { post: { description: 'imported by B', requestBody: { content: { 'application/json': { schema: { type: 'object' } } } } } };
  const spec = { openapi: '3.1.0', info: { title: 'B', version: '1' }, webhooks: { [SHARED_EVENT]: post, [A_ONLY_EVENT]: post } };
  const dry = await w.api.call<{ data: { modified: string[]; to_modify: { name: string }[] } }>('POST', '/api/v1/event-type/import/openapi', { token: w.b.apiKey, body: { spec, replaceAll: true, dryRun: true } });
  expect(dry.status, dry.text).toBe(200);
  expect(dry.body.data.to_modify.map((t) => t.name).sort()).toEqual([A_ONLY_EVENT, SHARED_EVENT].sort());
  const res = await w.api.call<{ data: { modified: string[] } }>('POST', '/api/v1/event-type/import/openapi', { token: w.b.apiKey, body: { spec, replaceAll: true } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.data.modified.sort()).toEqual([A_ONLY_EVENT, SHARED_EVENT].sort());
  expectNoPrivate(w, res, 'POST /event-type/import/openapi');
  const rows = await w.prisma.eventType.findMany({ where: { name: A_ONLY_EVENT }, orderBy: { tenantId: 'asc' } });
  expect(rows.map((r) => r.tenantId).sort()).toEqual([w.a.tenantId, w.b.tenantId].sort());
  expect(rows.find((r) => r.tenantId === w.a.tenantId)!.description).not.toBe('imported by B');
  expect((await w.api.call('DELETE', `/api/v1/event-type/${A_ONLY_EVENT}?expunge=true`, { token: w.b.apiKey })).status).toBe(204);
}

async function checkApiKeyList(w: World): Promise<void> {
  const res = await w.api.call<ListBody<{ id: string }>>('GET', '/api/v1/api-keys?limit=250', { token: w.b.apiKey });
  expect(res.status).toBe(200);
  expect(res.body.data.length).toBeGreaterThan(0);
  expectNoPrivate(w, res, 'GET /api-keys');
}

async function checkApiKeyCreate(w: World): Promise<void> {
  const res = await w.api.call<{ id: string; key: string }>('POST', '/api/v1/api-keys', { token: w.b.apiKey, body: { name: 'B extra' } });
  expect(res.status, res.text).toBe(201);
  expect((await w.prisma.apiKey.findUniqueOrThrow({ where: { id: res.body.id } })).tenantId).toBe(w.b.tenantId);
  // The new key reaches B's data, not A's.
  expect((await w.api.call('GET', `/api/v1/app/${w.bx.app.id}`, { token: res.body.key })).status).toBe(200);
  expect((await w.api.call('GET', `/api/v1/app/${w.ax.app.id}`, { token: res.body.key })).status).toBe(404);
  expect((await w.api.call('DELETE', `/api/v1/api-keys/${res.body.id}`, { token: w.b.apiKey })).status).toBe(204);
}

async function checkSettingsGet(w: World): Promise<void> {
  const res = await w.api.call<{ operationalWebhookUrl: string | null }>('GET', '/api/v1/tenant/settings', { token: w.b.apiKey });
  expect(res.status).toBe(200);
  expect(res.body.operationalWebhookUrl).toBeNull();
  expectNoPrivate(w, res, 'GET /tenant/settings');
}

async function checkSettingsPatch(w: World): Promise<void> {
  const res = await w.api.call<{ throttleRate: number | null }>('PATCH', '/api/v1/tenant/settings', { token: w.b.apiKey, body: { throttleRate: 7, payloadRetentionDays: 3 } });
  expect(res.status, res.text).toBe(200);
  expect(res.body.throttleRate).toBe(7);
  expectNoPrivate(w, res, 'PATCH /tenant/settings');
  // A's settings are in the snapshot compared at the end of the sweep.
}

async function checkAuditLog(w: World): Promise<void> {
  const res = await w.api.call<ListBody<{ id: string }>>('GET', '/api/v1/audit-log?limit=250', { token: w.b.apiKey });
  expect(res.status).toBe(200);
  const aEntries = await w.prisma.auditLogEntry.findMany({ where: { tenantId: w.a.tenantId }, select: { id: true, hash: true } });
  expect(aEntries.length).toBeGreaterThan(0);
  for (const e of aEntries) {
    expect(res.text).not.toContain(e.id);
    expect(res.text).not.toContain(e.hash);
  }
  expectNoPrivate(w, res, 'GET /audit-log');
}

async function checkAuditVerify(w: World): Promise<void> {
  const res = await w.api.call<{ ok: boolean; checked: number }>('GET', '/api/v1/audit-log/verify', { token: w.b.apiKey });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ ok: true, checked: await w.prisma.auditLogEntry.count({ where: { tenantId: w.b.tenantId } }) });
}

// -----------------------------------------------------------------------------------------------
// Tenant A's data, for before/after comparison

function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      return v;
    }),
  );
}

async function snapshot(prisma: PrismaService, keys: TenantKeysService, tenantId: string): Promise<Record<string, unknown>> {
  const scope = tenantScope(tenantId);
  const where = { tenantId };
  const [tenant, settings, apiKeys, apps, eventTypes, endpoints, secrets, headers, messages, deliveries, attempts, audit, idempotency, backgroundTasks] = await Promise.all([
    prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } }),
    prisma.tenantSettings.findUnique({ where }),
    // lastUsedAt is bookkeeping of a key's own use, not tenant data a foreign caller could change.
    prisma.apiKey.findMany({ where, orderBy: { id: 'asc' }, omit: { lastUsedAt: true } }),
    prisma.application.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.eventType.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.endpoint.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.endpointSecret.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.endpointHeader.findMany({ where, orderBy: [{ endpointId: 'asc' }, { name: 'asc' }] }),
    prisma.message.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.delivery.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.attempt.findMany({ where, orderBy: { id: 'asc' } }),
    prisma.auditLogEntry.findMany({ where, orderBy: { seq: 'asc' } }),
    prisma.idempotencyRecord.findMany({ where, orderBy: { key: 'asc' } }),
    prisma.backgroundTask.findMany({ where, orderBy: { id: 'asc' } }),
  ]);
  const decrypt = (b: Uint8Array | null): Promise<string | null> => (b ? keys.decryptString(scope, b) : Promise.resolve(null));
  return plain({
    tenant,
    settings,
    apiKeys,
    apps,
    eventTypes,
    endpoints,
    secrets,
    secretValues: await Promise.all(secrets.map((s) => decrypt(s.secretEnc))),
    headers,
    headerValues: await Promise.all(headers.map((h) => decrypt(h.valueEnc))),
    messages,
    payloads: await Promise.all(messages.map((m) => decrypt(m.payloadEnc))),
    deliveries,
    attempts,
    responses: await Promise.all(attempts.map((a) => decrypt(a.responseEnc))),
    auditCount: audit.length,
    audit,
    idempotency,
    backgroundTasks,
  }) as Record<string, unknown>;
}

// -----------------------------------------------------------------------------------------------

describe('tenant isolation on every route', () => {
  let api: TestApi;
  let prisma: PrismaService;
  let keys: TenantKeysService;
  let w: World;
  let portalX: string;
  let portalReadOnlyX: string;
  let aBefore: Record<string, unknown>;
  /** Idempotency keys that tenant A used for its own POSTs, by `METHOD path body` (B and portal tokens replay them). */
  const primed = new Map<string, string>();
  let probes = 0;

  const keyIdOf = async (token: string): Promise<string> => (await prisma.apiKey.findUniqueOrThrow({ where: { keyHash: new Uint8Array(hashApiKey(token)) } })).id;
  const primeKey = (method: string, path: string, body: unknown): string => `${method} ${path} ${JSON.stringify(body ?? null)}`;
  /** An `application` in a body names the path's uid, as creating one requires (Svix). */
  const bodyFor = (body: unknown, appRef: string | undefined): unknown =>
    body && typeof body === 'object' && 'application' in body && appRef !== undefined
      ? { ...body, application: { ...(body as { application: object }).application, uid: appRef } }
      : body;

  async function ok<T>(res: Promise<ApiResponse<T>>, what: string): Promise<T> {
    const r = await res;
    expect(r.status, `${what}: ${r.text}`).toBeLessThan(300);
    return r.body;
  }

  /** One application with an endpoint (uid, custom header), a message (eventId) and an attempt. */
  async function buildGraph(t: { tenantId: string; apiKey: string }, prefix: string, marker: string): Promise<Graph> {
    const token = t.apiKey;
    const app = await ok(api.call<{ id: string; uid: string }>('POST', '/api/v1/app', { token, body: { name: `${prefix} app`, uid: `${prefix}-app` } }), 'create app');
    const endpoint = await ok(
      api.call<{ id: string; uid: string }>('POST', `/api/v1/app/${app.id}/endpoint`, {
        token,
        body: { url: `https://${prefix}.example.com/hook`, uid: `${prefix}-ep`, headers: { 'x-private': `${marker}-header` } },
      }),
      'create endpoint',
    );
    const msg = await ok(
      api.call<{ id: string; eventId: string }>('POST', `/api/v1/app/${app.id}/msg`, { token, body: { eventType: SHARED_EVENT, eventId: `${prefix}-evt`, payload: { marker } } }),
      'create message',
    );
    const delivery = await prisma.delivery.findFirstOrThrow({ where: { messageId: msg.id, endpointId: endpoint.id } });
    const attemptId = newId('atmpt');
    await prisma.attempt.create({
      data: {
        id: attemptId,
        tenantId: t.tenantId,
        appId: app.id,
        messageId: msg.id,
        endpointId: endpoint.id,
        deliveryId: delivery.id,
        url: `https://${prefix}.example.com/hook`,
        status: 2,
        responseStatus: 500,
        responseEnc: new Uint8Array(await keys.encrypt(tenantScope(t.tenantId), `${marker}-response`)),
        durationMs: 12,
        triggerType: 0,
      },
    });
    return { app, endpoint, msg, attempt: { id: attemptId } };
  }

  async function createEventTypes(token: string, names: string[]): Promise<void> {
    for (const name of names) {
      const schemas = name === SHARED_EVENT ? { '1': { type: 'object', examples: [{ example: true }] } } : undefined;
      await ok(api.call('POST', '/api/v1/event-type', { token, body: { name, description: name, schemas } }), `event type ${name}`);
    }
  }

  /**
   * Calls one route with one set of path values. When tenant A made the very same POST with an
   * Idempotency-Key, that key is sent too: the caller must not get A's recorded response back.
   */
  async function probe(token: string, method: Method, template: string, values: Record<string, string>, call: { body?: unknown; query?: string }): Promise<ApiResponse> {
    const path = fill(template, values) + (call.query ? `?${call.query}` : '');
    const body = bodyFor(call.body, values['app_id']);
    const key = method === 'POST' ? primed.get(primeKey(method, path, body)) : undefined;
    probes++;
    return api.call(method, path, { token, body, headers: key ? { 'idempotency-key': key } : {} });
  }

  /** Undoes an upsert the caller was entitled to make (its own uid namespace). */
  async function undoUpsert(token: string, upsert: NonNullable<AppCall['upsert']>, values: Record<string, string>): Promise<void> {
    const path = upsert === 'application' ? `/api/v1/app/${values['app_id']}` : `/api/v1/app/${values['app_id']}/endpoint/${values['endpoint_id']}`;
    expect((await api.call('DELETE', path, { token })).status, `undo upsert ${path}`).toBe(204);
  }

  /** Sweeps every app-scoped route with ids of `foreign` (alone and mixed with `own`): 404 each time. */
  /**
   * Sweeps every app-scoped route with ids of `foreign` (alone and mixed with `own`): 404 each
   * time — or 403 for an app-portal token (`portal`: its capabilities) on a route it may not
   * use at all, and on its own application where it lacks the route's capability.
   */
  async function sweepApps(token: string, own: Graph, foreign: Graph, portal?: PortalNeed[]): Promise<number> {
    let count = 0;
    for (const [key, exercise] of Object.entries(ROUTES)) {
      if (exercise.kind !== 'app') continue;
      const { method, template } = splitKey(key);
      const params = paramsOf(template) as AppParam[];
      for (const call of exercise.calls) {
        for (const v of foreignVariants(params, own, foreign, call.upsert)) {
          let expected: Variant['expect'] | 403 = v.expect;
          const ownApp = v.values['app_id'] === own.app.id || v.values['app_id'] === own.app.uid;
          if (portal && exercise.portal === null) expected = 403;
          else if (portal && ownApp && !portal.includes(exercise.portal)) expected = 403;
          else if (expected === 'created' && portal) {
            // Portal tokens never create applications; an endpoint uid new to their own app is theirs to create.
            if (call.upsert === 'application') expected = 404;
            else continue;
          }
          const what = `${portal ? `portal[${portal.join(',')}]` : 'tenant'} ${key} [${v.label}] ${JSON.stringify(v.values)}${call.body && typeof call.body === 'object' && 'application' in call.body ? ' (with application)' : ''}`;
          const res = await probe(token, method, template, v.values, call);
          count++;
          if (expected === 404) {
            expect(res.status, `${what}: ${res.text}`).toBe(404);
            expect((res.body as { code?: string }).code, what).toBe('not_found');
          } else if (expected === 403) {
            expect(res.status, `${what}: ${res.text}`).toBe(403);
          } else {
            // Svix upsert: a uid unknown to the caller creates the caller's own object, never touches A's.
            expect(res.status, `${what}: ${res.text}`).toBeGreaterThanOrEqual(200);
            expect(res.status, `${what}: ${res.text}`).toBeLessThan(300);
            await undoUpsert(token, call.upsert!, v.values);
          }
          expectNoPrivate(w, res, what);
          if (method === 'GET') {
            const head = await probe(token, 'HEAD', template, v.values, call);
            count++;
            expect(head.status, `HEAD ${what}`).toBe(expected === 403 ? 403 : 404);
          }
        }
      }
    }
    return count;
  }

  beforeAll(async () => {
    api = await startTestApi({ HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-isolation` });
    prisma = api.app.get(PrismaService);
    keys = api.app.get(TenantKeysService);

    const a = await api.createTenant('isolation A');
    const b = await api.createTenant('isolation B');
    await createEventTypes(a.apiKey, [SHARED_EVENT, A_ONLY_EVENT, A_POST_EVENT, A_PUT_EVENT]);
    await createEventTypes(b.apiKey, [SHARED_EVENT]);
    const ax = await buildGraph(a, 'iso-a', A_PAYLOAD_MARK);
    const ay = await buildGraph(a, 'iso-a-sibling', `${A_PAYLOAD_MARK}-y`);
    const bx = await buildGraph(b, 'iso-b', 'b-payload');
    await ok(api.call('PUT', `/api/v1/app/${ax.app.id}/endpoint/${ax.endpoint.id}/headers`, { token: a.apiKey, body: { headers: { 'x-a-private': A_HEADER_VALUE } } }), 'A headers');
    await ok(api.call('PATCH', '/api/v1/tenant/settings', { token: a.apiKey, body: { operationalWebhookUrl: A_OPS_URL, throttleRate: 11 } }), 'A settings');
    const aExtra = await ok(api.call<{ id: string }>('POST', '/api/v1/api-keys', { token: a.apiKey, body: { name: 'A extra' } }), 'A key');
    const bExtra = await ok(api.call<{ id: string }>('POST', '/api/v1/api-keys', { token: b.apiKey, body: { name: 'B extra' } }), 'B key');
    portalX = (await ok(api.call<{ token: string }>('POST', `/api/v1/auth/app-portal-access/${ax.app.id}`, { token: a.apiKey, body: {} }), 'portal')).token;
    portalReadOnlyX = (await ok(api.call<{ token: string }>('POST', `/api/v1/auth/app-portal-access/${ax.app.id}`, { token: a.apiKey, body: { readOnly: true } }), 'portal')).token;

    w = {
      api,
      prisma,
      a: { ...a, keyIds: [await keyIdOf(a.apiKey), aExtra.id, await keyIdOf(portalX), await keyIdOf(portalReadOnlyX)] },
      b: { ...b, keyIds: [await keyIdOf(b.apiKey), bExtra.id] },
      ax,
      ay,
      bx,
      aPrivate: [],
    };

    // Tenant A runs every app-scoped POST itself, with an Idempotency-Key, on both of its
    // applications: B (same path, same body, same key) and the portal token of X (on Y) must
    // not get A's recorded response back.
    let n = 0;
    for (const [key, exercise] of Object.entries(ROUTES)) {
      if (exercise.kind !== 'app' || !key.startsWith('POST ')) continue;
      const { template } = splitKey(key);
      for (const g of [ax, ay]) {
        const values = Object.fromEntries((paramsOf(template) as AppParam[]).map((p) => [p, ref(g, p, 'id')]));
        for (const call of exercise.calls) {
          const path = fill(template, values) + (call.query ? `?${call.query}` : '');
          const idemKey = `isolation-${++n}`;
          const body = bodyFor(call.body, values['app_id']);
          await ok(api.call('POST', path, { token: a.apiKey, body, headers: { 'idempotency-key': idemKey } }), `A primes ${path}`);
          primed.set(primeKey('POST', path, body), idemKey);
        }
      }
    }

    const secrets = await prisma.endpointSecret.findMany({ where: { tenantId: a.tenantId } });
    const secretValues = await Promise.all(secrets.map((s) => keys.decryptString(tenantScope(a.tenantId), s.secretEnc)));
    const aIds = [ax, ay].flatMap((g) => [g.app.id, g.endpoint.id, g.msg.id, g.attempt.id]);
    const aTaskIds = (await prisma.backgroundTask.findMany({ where: { tenantId: a.tenantId }, select: { id: true } })).map((t) => t.id);
    w.aPrivate = [...aIds, ...aTaskIds, ...w.a.keyIds, a.tenantId, ...secretValues, A_PAYLOAD_MARK, A_HEADER_VALUE, A_OPS_URL, a.apiKey, portalX, portalReadOnlyX];
    aBefore = await snapshot(prisma, keys, a.tenantId);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
  });

  it('has an entry for exactly the routes the server serves (router and OpenAPI document)', async () => {
    const table = Object.keys(ROUTES).map((k) => {
      const { method, template } = splitKey(k);
      return `${method} ${toFastifyPath(template)}`;
    });
    const fastify = api.app.getHttpAdapter().getInstance();
    const served = routesOfTree(fastify.printRoutes({ commonPrefix: false }));
    expect(served.length).toBeGreaterThan(40);
    // HEAD mirrors GET (Fastify's exposeHeadRoutes) and is swept alongside each GET.
    for (const r of served.filter((s) => s.startsWith('HEAD '))) expect(served, r).toContain(r.replace(/^HEAD /, 'GET '));
    for (const r of served) {
      const [method, url] = r.split(' ') as [string, string];
      expect(fastify.hasRoute({ method, url }), r).toBe(true);
    }
    expect(new Set(served.filter((s) => !s.startsWith('HEAD ')))).toEqual(new Set(table));

    // Every documented operation is in the table too (the router is the authority: not every route is documented).
    const doc = await api.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json');
    const documented = Object.entries(doc.body.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${toFastifyPath(path)}`));
    expect(documented.length).toBeGreaterThan(40);
    expect(table).toEqual(expect.arrayContaining(documented));

    // The capability each app-scoped route opens to app-portal tokens is the one this table states.
    const documentedNeed = (key: string): unknown => {
      const { method, template } = splitKey(key);
      const op = doc.body.paths[template]?.[method.toLowerCase()] as Record<string, unknown> | undefined;
      expect(op, key).toBeDefined();
      return op!['x-herald-portal-capability'] ?? null;
    };
    for (const [key, exercise] of Object.entries(ROUTES)) {
      if (exercise.kind === 'app' || exercise.kind === 'event-type') expect(documentedNeed(key), key).toBe(exercise.portal);
    }
  });

  it("answers 404 to tenant B on every route with tenant A's ids and uids, and changes nothing of A", async () => {
    const token = w.b.apiKey;
    const before = probes;
    let routes = Object.values(ROUTES).filter((e) => e.kind === 'app').length;
    await sweepApps(token, w.bx, w.ax);

    for (const [key, exercise] of Object.entries(ROUTES)) {
      const { method, template } = splitKey(key);
      if (exercise.kind === 'event-type') {
        routes++;
        // GET/PATCH/DELETE a name only A has: 404. PUT of it creates B's own type (names are per tenant).
        const name = exercise.upsert ? A_PUT_EVENT : A_ONLY_EVENT;
        const res = await probe(token, method, template, { event_type_name: name }, exercise);
        if (exercise.upsert) {
          expect(res.status, `${key}: ${res.text}`).toBe(201);
          const rows = await prisma.eventType.findMany({ where: { name } });
          expect(rows.map((r) => r.tenantId).sort()).toEqual([w.a.tenantId, w.b.tenantId].sort());
          expect((await api.call('DELETE', `/api/v1/event-type/${name}?expunge=true`, { token })).status).toBe(204);
        } else {
          expect(res.status, `${key}: ${res.text}`).toBe(404);
          if (method === 'GET') expect((await probe(token, 'HEAD', template, { event_type_name: name }, exercise)).status).toBe(404);
        }
        expectNoPrivate(w, res, key);
      } else if (exercise.kind === 'api-key') {
        routes++;
        for (const id of w.a.keyIds) expect((await probe(token, method, template, { id }, {})).status, `${key} ${id}`).toBe(404);
        // A's keys all still work.
        expect((await api.call('GET', `/api/v1/app/${w.ax.app.id}`, { token: w.a.apiKey })).status).toBe(200);
      } else if (exercise.kind === 'operator') {
        routes++;
        const res = await probe(token, method, template, { id: w.a.tenantId }, exercise);
        expect(res.status, `${key}: ${res.text}`).toBe(401);
        expectNoPrivate(w, res, key);
      } else if (exercise.kind === 'no-foreign-ids') {
        routes++;
        await exercise.check(w);
      } else if (exercise.kind === 'public') {
        routes++;
        const res = await probe(token, method, template, {}, {});
        // 200, or 204 for the liveness routes.
        expect([200, 204], key).toContain(res.status);
        expectNoPrivate(w, res, key);
      }
    }
    expect(routes).toBe(Object.keys(ROUTES).length);
    expect(probes - before).toBeGreaterThan(150);

    // A foreign endpoint id as a list filter matches nothing.
    const filtered = await api.call<ListBody<unknown>>('GET', `/api/v1/app/${w.bx.app.id}/attempt/msg/${w.bx.msg.id}?endpoint_id=${w.ax.endpoint.id}`, { token });
    expect(filtered.status).toBe(200);
    expect(filtered.body.data).toEqual([]);

    expect(await snapshot(prisma, keys, w.a.tenantId)).toEqual(aBefore);
  });

  it("keeps app-portal tokens (full and read-only) of A's application X out of A's application Y and out of tenant B", async () => {
    const bBefore = await snapshot(prisma, keys, w.b.tenantId);
    // Tenant A used Idempotency-Keys on Y's POST routes (a portal token for Y among them): the sweep replays them.
    expect([...primed.keys()].filter((k) => k.includes(w.ay.app.id)).length).toBeGreaterThan(8);
    expect([...primed.keys()].some((k) => k.startsWith(`POST /api/v1/auth/app-portal-access/${w.ay.app.id} `))).toBe(true);
    for (const [token, capabilities] of [
      [portalX, FULL_PORTAL],
      [portalReadOnlyX, READ_ONLY_PORTAL],
    ] as const) {
      await sweepApps(token, w.ax, w.ay, capabilities);
      await sweepApps(token, w.ax, w.bx, capabilities);
      // Operator routes: 401 for a portal token too; tenant-wide routes without an app: 403.
      for (const [key, exercise] of Object.entries(ROUTES)) {
        const { method, template } = splitKey(key);
        if (exercise.kind === 'operator') expect((await probe(token, method, template, { id: w.a.tenantId }, exercise)).status, key).toBe(401);
        if (exercise.kind === 'event-type' && exercise.portal === null) {
          expect((await probe(token, method, template, { event_type_name: SHARED_EVENT }, exercise)).status, key).toBe(403);
        }
        if (exercise.kind === 'api-key') expect((await probe(token, method, template, { id: w.a.keyIds[1]! }, {})).status, key).toBe(403);
        // Background tasks are tenant-wide, not an application's: no app-portal token sees them.
        if (template.startsWith('/api/v1/background-task')) {
          const aTask = await prisma.backgroundTask.findFirstOrThrow({ where: { tenantId: w.a.tenantId } });
          expect((await probe(token, method, template, { task_id: aTask.id }, {})).status, key).toBe(403);
        }
      }
      // The token still works on its own application: the 404s above were about the others.
      expect((await api.call('GET', `/api/v1/app/${w.ax.app.id}/endpoint/${w.ax.endpoint.id}`, { token })).status).toBe(200);
    }
    // The token is A's own principal: its refused POSTs may leave idempotency records of A's; nothing else may change.
    expect({ ...(await snapshot(prisma, keys, w.a.tenantId)), idempotency: null }).toEqual({ ...aBefore, idempotency: null });
    expect(await snapshot(prisma, keys, w.b.tenantId)).toEqual(bBefore);
  });

  it("serves every swept route to tenant B with B's own ids (so the 404s are isolation, not bad requests)", async () => {
    const token = w.b.apiKey;
    const own = Object.fromEntries((['app_id', 'endpoint_id', 'msg_id', 'attempt_id'] as const).map((p) => [p, ref(w.bx, p, 'id')]));
    // Deletions last, children before parents.
    const entries = Object.entries(ROUTES).sort(([ka], [kb]) => {
      const rank = (k: string): number => (k.startsWith('DELETE ') ? 100 - paramsOf(k).length : 0);
      return rank(ka) - rank(kb);
    });
    for (const [key, exercise] of entries) {
      const { method, template } = splitKey(key);
      if (exercise.kind === 'app') {
        for (const call of exercise.calls) {
          const res = await probe(token, method, template, own, call);
          expect(res.status, `${key}: ${res.text}`).toBeGreaterThanOrEqual(200);
          expect(res.status, `${key}: ${res.text}`).toBeLessThan(300);
          expectNoPrivate(w, res, `own ${key}`);
          if (method === 'GET') expect((await probe(token, 'HEAD', template, own, call)).status, `HEAD ${key}`).toBe(200);
        }
      } else if (exercise.kind === 'event-type') {
        const res = await probe(token, method, template, { event_type_name: SHARED_EVENT }, exercise);
        expect(res.status, `${key}: ${res.text}`).toBeLessThan(300);
      } else if (exercise.kind === 'api-key') {
        expect((await probe(token, method, template, { id: w.b.keyIds[1]! }, {})).status, key).toBe(204);
      }
    }
    // As in the portal sweep, idempotency records of the portal token's refused POSTs aside.
    expect({ ...(await snapshot(prisma, keys, w.a.tenantId)), idempotency: null }).toEqual({ ...aBefore, idempotency: null });
  });
});
