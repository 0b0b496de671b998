import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import { TEST_ADMIN_TOKEN, TEST_MASTER_KEYS } from './test-config';
import type { WebhookReceiver } from './webhook-receiver';

/**
 * Herald's built processes (dist/apps/<app>/src/main.js) started as a fleet for end-to-end tests,
 * a producer that sends through their HTTP API with Idempotency-Keys, and the check that every
 * accepted message reached every endpoint, signed, with duplicates counted.
 */

export type HeraldApp = 'api' | 'dispatcher' | 'retention';

const DIST_APPS = path.resolve(__dirname, '..', '..', '..', 'dist', 'apps');
const entry = (app: HeraldApp): string => path.join(DIST_APPS, app, 'src', 'main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Throws unless the processes were built (`npm run build`). */
export function assertBuilt(apps: HeraldApp[] = ['api', 'dispatcher', 'retention']): void {
  for (const app of apps) if (!existsSync(entry(app))) throw new Error(`${entry(app)} is missing: run \`npm run build\` first`);
}

/** The environment every process of a test fleet shares: its database, its Redis, fast retries. */
export function fleetEnv(options: { databaseUrl: string; redis: Record<string, string>; prefix: string }): Record<string, string> {
  return {
    NODE_ENV: 'test',
    TZ: 'UTC',
    DATABASE_URL: options.databaseUrl,
    ...options.redis,
    HERALD_QUEUE_PREFIX: options.prefix,
    HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
    HERALD_ENDPOINT_HTTPS_ONLY: 'false',
    HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    HERALD_DELIVERY_TIMEOUT_MS: '5000',
    HERALD_RETRY_SCHEDULE: '1,2,4,8,15,15,15,15,15,15',
    HERALD_DISPATCHER_METRICS_PORT: '0',
    HERALD_RETENTION_METRICS_PORT: '0',
    HERALD_LOG_LEVEL: 'warn',
  };
}

export interface HeraldProcess {
  app: HeraldApp;
  child: ChildProcess;
  /** The last 30 kB of stdout and stderr. */
  output(): string;
  exited: Promise<ProcessExit>;
  running(): boolean;
  /** Sends `signal` and waits for the exit (SIGKILL after `boundMs`). */
  stop(signal?: NodeJS.Signals, boundMs?: number): Promise<ProcessExit>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A graceful stop: Nest re-raises SIGTERM after its shutdown hooks ran, so it shows as killed by SIGTERM (or exit 0). */
export function stoppedCleanly(exit: ProcessExit): boolean {
  return exit.signal === 'SIGTERM' || exit.code === 0;
}

export function startHeraldProcess(app: HeraldApp, env: Record<string, string>): HeraldProcess {
  // eslint-disable-next-line no-restricted-properties -- the child needs the test runner's PATH, nothing else of its environment
  const child = spawn(process.execPath, [entry(app)], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-30_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<ProcessExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    app,
    child,
    output: () => output,
    exited,
    running,
    async stop(signal = 'SIGTERM', boundMs = 40_000) {
      if (!running()) return { code: child.exitCode, signal: child.signalCode };
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), boundMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface HeraldHttp {
  base: string;
  call<T>(method: 'GET' | 'POST', path: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
}

export function heraldHttp(port: number): HeraldHttp {
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    async call<T>(method: 'GET' | 'POST', urlPath: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await request(`${base}${urlPath}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
    },
  };
}

export interface Health {
  status: string;
  redis: string;
  workers: { dispatcher: number; retention: number };
}

/** The API's health report, or undefined while it does not answer. */
export async function health(http: HeraldHttp): Promise<{ status: number; body: Health } | undefined> {
  try {
    return await http.call<Health>('GET', '/api/v1/health/ready', '');
  } catch {
    return undefined;
  }
}

/**
 * Waits until the API answers 200 (PostgreSQL and Redis reachable) and reports at least the
 * given number of live dispatchers and retention workers; returns how long it took.
 */
export async function waitUntilReady(http: HeraldHttp, workers: { dispatcher?: number; retention?: number }, timeoutMs: number, describe: () => string = () => ''): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await health(http);
    if (res?.status === 200 && res.body.workers.dispatcher >= (workers.dispatcher ?? 0) && res.body.workers.retention >= (workers.retention ?? 0)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms (last health: ${JSON.stringify(res?.body)})\n${describe()}`);
    await sleep(200);
  }
}

export interface FleetTenant {
  key: string;
  appId: string;
  /** One endpoint per receiver: its path on that receiver and its signing secret. */
  endpoints: { receiver: WebhookReceiver; path: string; secret: string }[];
}

/** A tenant, an application and one endpoint on each receiver, through the API. */
export async function provisionFleetTenant(http: HeraldHttp, receivers: WebhookReceiver[], name: string): Promise<FleetTenant> {
  const tenant = await http.call<{ apiKey: { key: string } }>('POST', '/api/v1/admin/tenants', TEST_ADMIN_TOKEN, { name });
  if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status} ${JSON.stringify(tenant.body)}`);
  const key = tenant.body.apiKey.key;
  const app = await http.call<{ id: string }>('POST', '/api/v1/app', key, { name });
  const endpoints: FleetTenant['endpoints'] = [];
  for (const [i, receiver] of receivers.entries()) {
    const endpointPath = `/${name}-ep${i}`;
    const ep = await http.call<{ id: string }>('POST', `/api/v1/app/${app.body.id}/endpoint`, key, { url: `${receiver.url}${endpointPath}` });
    if (ep.status !== 201) throw new Error(`endpoint: ${ep.status} ${JSON.stringify(ep.body)}`);
    const secret = await http.call<{ key: string }>('GET', `/api/v1/app/${app.body.id}/endpoint/${ep.body.id}/secret`, key);
    endpoints.push({ receiver, path: endpointPath, secret: secret.body.key });
  }
  return { key, appId: app.body.id, endpoints };
}

export interface Producer {
  /** Message id → when the API accepted it (ms). */
  accepted: Map<string, number>;
  /** Refusals by HTTP status (0: no answer). */
  refusals: Map<number, number>;
  sent(): number;
  /** Ends the loops after their current message. */
  stop(): void;
  done: Promise<void>;
}

/**
 * `workers` loops that send for `durationMs`, pausing `pauseMs` after each message, round-robin
 * over `apis`. Each message is retried with its Idempotency-Key (on the next API) through
 * whatever faults happen, until accepted or `giveUpMs` passed.
 */
export function startProducer(options: { apis: () => HeraldHttp[]; tenant: FleetTenant; durationMs: number; workers: number; pauseMs: number; giveUpMs?: number; label: string }): Producer {
  const accepted = new Map<string, number>();
  const refusals = new Map<number, number>();
  let sent = 0;
  let turn = 0;
  let stopped = false;
  const loop = async (): Promise<void> => {
    const until = Date.now() + options.durationMs;
    while (Date.now() < until && !stopped) {
      const seq = sent++;
      const idempotencyKey = `${options.label}-${seq}`;
      const giveUp = Date.now() + (options.giveUpMs ?? 60_000);
      for (let tries = 0; Date.now() < giveUp; tries++) {
        const apis = options.apis();
        const api = apis[turn++ % apis.length];
        try {
          if (!api) throw new Error('no API');
          const res = await api.call<{ id: string }>('POST', `/api/v1/app/${options.tenant.appId}/msg`, options.tenant.key, { eventType: 'fleet.test', payload: { seq } }, { 'idempotency-key': idempotencyKey });
          if (res.status === 202) {
            accepted.set(res.body.id, Date.now());
            break;
          }
          refusals.set(res.status, (refusals.get(res.status) ?? 0) + 1);
        } catch {
          refusals.set(0, (refusals.get(0) ?? 0) + 1);
        }
        await sleep(Math.min(2_000, 100 * 2 ** tries));
      }
      await sleep(options.pauseMs);
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, () => loop())).then(() => undefined);
  return {
    accepted,
    refusals,
    sent: () => sent,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

export interface DeliveryReport {
  /** Accepted messages that never arrived, per endpoint. */
  missing: number[];
  /** Distinct (message, endpoint) pairs that arrived. */
  unique: number;
  requests: number;
  duplicates: number;
  /** Requests whose signature did not verify with the endpoint's secret. */
  badSignatures: number;
  /** Acceptance → first arrival, ms, over every (message, endpoint). */
  latencies: number[];
}

/** Waits (at most `timeoutMs`) until every accepted message arrived at every endpoint, then counts. */
export async function awaitDeliveries(tenant: FleetTenant, accepted: Map<string, number>, timeoutMs: number): Promise<DeliveryReport> {
  const arrivals = (): Map<string, number>[] =>
    tenant.endpoints.map(({ receiver, path: endpointPath }) => {
      const first = new Map<string, number>();
      for (const q of receiver.requests) {
        const id = q.headers['webhook-id'];
        if (q.path === endpointPath && typeof id === 'string' && !first.has(id)) first.set(id, q.at);
      }
      return first;
    });
  const deadline = Date.now() + timeoutMs;
  let seen = arrivals();
  while (Date.now() < deadline && !seen.every((s) => [...accepted.keys()].every((id) => s.has(id)))) {
    await sleep(500);
    seen = arrivals();
  }
  let requests = 0;
  let unique = 0;
  let badSignatures = 0;
  const latencies: number[] = [];
  for (const [i, { receiver, path: endpointPath, secret }] of tenant.endpoints.entries()) {
    const verifier = new Webhook(secret);
    const mine = receiver.requests.filter((q) => q.path === endpointPath && accepted.has(q.headers['webhook-id'] as string));
    requests += mine.length;
    unique += new Set(mine.map((q) => q.headers['webhook-id'])).size;
    for (const q of mine) {
      try {
        verifier.verify(q.body, q.headers as Record<string, string>);
      } catch {
        badSignatures += 1;
      }
    }
    for (const [id, at] of seen[i] ?? new Map<string, number>()) {
      const acceptedAt = accepted.get(id);
      if (acceptedAt !== undefined) latencies.push(Math.max(0, at - acceptedAt));
    }
  }
  const missing = seen.map((s) => [...accepted.keys()].filter((id) => !s.has(id)).length);
  return { missing, unique, requests, duplicates: requests - unique, badSignatures, latencies };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * The built dispatcher beside an in-process test API: same database and queue prefix, deliveries
 * allowed to loopback receivers. Stop it with `stop('SIGKILL')`.
 */
export function startTestDispatcher(options: { databaseUrl: string; queuePrefix: string }): HeraldProcess {
  assertBuilt(['dispatcher']);
  return startHeraldProcess('dispatcher', {
    NODE_ENV: 'test',
    DATABASE_URL: options.databaseUrl,
    HERALD_QUEUE_PREFIX: options.queuePrefix,
    HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
    HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    HERALD_DISPATCHER_METRICS_PORT: '0',
    HERALD_LOG_LEVEL: 'warn',
  });
}
