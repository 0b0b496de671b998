import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request } from 'undici';
import type { HeraldConfig } from '@herald/config';
import { SYSTEM_AUDIT_CONTEXT, TenantProvisioningService } from '@herald/tenancy';
import { TEST_ADMIN_TOKEN, testConfig } from '@herald/testing';
import { createApiApp, type CreateApiAppOptions } from '../src/bootstrap';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface TestApi {
  app: NestFastifyApplication;
  config: HeraldConfig;
  url: string;
  adminToken: string;
  /** A fresh tenant and its first API key (scope `all`). */
  createTenant(name?: string): Promise<{ tenantId: string; apiKey: string }>;
  /** One HTTP call to the real API over loopback; `token` becomes the bearer. */
  call<T = unknown>(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string | Buffer }): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/** Starts the real API (Fastify, PostgreSQL, Redis) on 127.0.0.1 with a random port. */
export async function startTestApi(env: Record<string, string> = {}, options: CreateApiAppOptions = {}): Promise<TestApi> {
  const config = testConfig(env);
  const app = await createApiApp(config, options);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('API did not bind a TCP port');
  const url = `http://127.0.0.1:${address.port}`;
  const provisioning = app.get(TenantProvisioningService);

  return {
    app,
    config,
    url,
    adminToken: TEST_ADMIN_TOKEN,
    async createTenant(name = 'test tenant') {
      const created = await provisioning.create(name, SYSTEM_AUDIT_CONTEXT);
      return { tenantId: created.tenant.id, apiKey: created.apiKey.key };
    },
    async call<T>(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string | Buffer } = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers['authorization'] = `Bearer ${options.token}`;
      let body: string | Buffer | undefined = options.rawBody;
      if (body === undefined && options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await request(`${url}${path}`, { method: method as 'GET', headers, body });
      const text = await res.body.text();
      let parsed: unknown = undefined;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.statusCode, headers: res.headers, body: parsed as T, text };
    },
    async close() {
      await app.close();
    },
  };
}

/** Fastify's route tree (`printRoutes({ commonPrefix: false })`) as `METHOD /path/:param` lines. */
export function routesOfTree(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  const lines = tree.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line.trimEnd());
    // Fail loudly if Fastify's format changes, rather than silently missing routes.
    if (!m) throw new Error(`unparsed route tree line: ${JSON.stringify(line)}`);
    const [, indent = '', printed = '', methods] = m;
    stack.length = indent.length / 4;
    // Fastify prints the wildcard of `/x/*` as a `*` child of `/x` (its `/` node has no route);
    // hasRoute in the isolation test confirms every reconstructed route exists.
    const segment = printed === '*' && !stack.join('').endsWith('/') ? '/*' : printed;
    stack.push(segment);
    for (const method of (methods ?? '').split(',').map((s) => s.trim())) {
      if (method !== '') routes.push(`${method} ${stack.join('')}`);
    }
  }
  return routes;
}
