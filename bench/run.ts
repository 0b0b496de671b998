import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Pool } from 'undici';
import { ensureDatabase, runMigrations } from '@herald/db';

/**
 * `npm run bench`: starts the real API, dispatcher and retention worker against local
 * PostgreSQL/Redis (a throwaway database and Redis prefix), a receiver on 127.0.0.1, and
 * measures in one run: the raw HTTP ceiling, sustained end-to-end rate, paced latency,
 * fan-out, backlog drain and peak RSS. Prints a table, then one JSON line.
 * `--smoke` runs tiny counts (used by `npm test` so the bench never rots).
 */
const ROOT = path.resolve(__dirname, '../..');
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    // Writes V8 CPU profiles of the API and the dispatcher to bench-results/<run>/profiles.
    profile: { type: 'boolean', default: false },
    // For quick experiments: a subset of phases (raw,sustained,paced,fanout,drain) and paced rates.
    only: { type: 'string', default: 'raw,sustained,paced,fanout,drain' },
    rates: { type: 'string' },
    // Extra Node flags for the dispatcher (e.g. heap limits), space-separated.
    'dispatcher-node-args': { type: 'string', default: '' },
    'keep-db': { type: 'boolean', default: false },
    server: { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const SMOKE = args.smoke;
const PLAN = SMOKE
  ? { rawSeconds: 1, sustainedSeconds: 2, pacedRates: [100], pacedSeconds: 2, fanoutMessages: 20, drainDeliveries: 500, producers: 8 }
  : { rawSeconds: 5, sustainedSeconds: 15, pacedRates: [500, 1000, 2000, 3000], pacedSeconds: 8, fanoutMessages: 1500, drainDeliveries: 50_000, producers: 256 };
const PHASES = new Set(args.only.split(','));
if (args.rates) PLAN.pacedRates = args.rates.split(',').map(Number);
const CONCURRENCY = 200;
/** Closed-loop producers need enough requests in flight for the API's group commits to fill. */
const API_CONNECTIONS = 256;
const ADMIN_TOKEN = randomBytes(24).toString('hex');

interface Proc {
  name: string;
  child: ChildProcess;
  peakRssMb: number;
}
const procs: Proc[] = [];
const runId = `bench_${Date.now().toString(36)}`;
const logDir = path.join(ROOT, 'bench-results', runId);
mkdirSync(logDir, { recursive: true });

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function startProcess(name: string, entry: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Proc {
  const out = createWriteStream(path.join(logDir, `${name}.log`));
  const child = spawn(process.execPath, [...nodeArgs, entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') log(`${name} exited (code ${code}, signal ${signal}); see ${path.relative(ROOT, logDir)}/${name}.log`);
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const proc = { name, child, peakRssMb: 0 };
  procs.push(proc);
  return proc;
}

/** Peak resident set size of a process from /proc (VmHWM), in MB. */
function peakRss(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0; // process already gone: its last sample stands
  }
}

function sampleRss(): void {
  for (const p of procs) p.peakRssMb = Math.max(p.peakRssMb, peakRss(p.child.pid));
}

async function stopProcess(proc: Proc): Promise<void> {
  sampleRss();
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

// ---- receiver -------------------------------------------------------------------------
interface ReceiverStats {
  /** Every arrival, duplicates included. */
  count: number;
  /** Distinct (message, endpoint) arrivals: the only thing rates count. */
  unique: number;
  /** Epoch ms of the first and the last new unique arrival. */
  firstAt: number;
  lastAt: number;
}
class Receiver {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}
  static async start(): Promise<Receiver> {
    const child = fork(path.join(__dirname, 'receiver.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    procs.push({ name: 'receiver', child, peakRssMb: 0 });
    return new Receiver(child, port);
  }
  private ask<T>(cmd: string): Promise<T> {
    return new Promise<T>((resolve) => {
      this.child.once('message', (m: T) => resolve(m));
      this.child.send({ cmd });
    });
  }
  async stats(): Promise<ReceiverStats> {
    return (await this.ask<{ stats: ReceiverStats }>('stats')).stats;
  }
  /** Ingest→arrival latencies (ms) of unique arrivals since the last reset. */
  async latencies(): Promise<number[]> {
    return (await this.ask<{ latencies: number[] }>('latencies')).latencies;
  }
  async reset(): Promise<void> {
    await this.ask('reset');
  }
  /** Waits until `count` unique arrivals (or the timeout). */
  async waitFor(count: number, timeoutMs: number): Promise<ReceiverStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats();
      if (stats.unique >= count) return stats;
      if (Date.now() > deadline) {
        log(`timed out waiting for ${count} unique arrivals (have ${stats.unique})`);
        return stats;
      }
      await sleep(SMOKE ? 20 : 50);
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

// ---- API client ---------------------------------------------------------------------------
class Api {
  readonly pool: Pool;
  constructor(
    readonly url: string,
    public token: string,
  ) {
    this.pool = new Pool(url, { connections: API_CONNECTIONS });
  }
  async call<T>(method: 'GET' | 'POST', p: string, body?: unknown, token = this.token): Promise<{ status: number; body: T }> {
    const res = await this.pool.request({
      method,
      path: p,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
  }
  async must<T>(method: 'GET' | 'POST', p: string, body?: unknown, token?: string): Promise<T> {
    const res = await this.call<T>(method, p, body, token);
    if (res.status >= 300) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

const PAYLOAD_FILL = 'x'.repeat(960); // ≈ 1 KiB payload with the other fields

async function sendMessage(api: Api, appId: string): Promise<void> {
  const res = await api.call('POST', `/api/v1/app/${appId}/msg?with_content=false`, {
    eventType: 'bench.event',
    payload: { sentAt: Date.now(), data: PAYLOAD_FILL },
  });
  if (res.status !== 202) throw new Error(`message create → ${res.status} ${JSON.stringify(res.body)}`);
}

/** Closed loop: `producers` concurrent senders for `seconds`. Returns messages sent and elapsed seconds. */
async function blast(api: Api, appId: string, producers: number, seconds: number): Promise<{ sent: number; seconds: number }> {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (Date.now() < deadline) {
        await sendMessage(api, appId);
        sent += 1;
      }
    }),
  );
  return { sent, seconds: (Date.now() - started) / 1000 };
}

/** Unique arrivals per second over [start, last unique arrival]. */
function rate(stats: ReceiverStats, start: number): number {
  return Math.round(stats.unique / Math.max(0.001, (stats.lastAt - start) / 1000));
}

/** Open loop at `rate` msg/s for `seconds`, in 10 ms ticks. Returns messages sent and each POST's response time (ms). */
async function paced(api: Api, appId: string, rate: number, seconds: number): Promise<{ sent: number; apiMs: number[] }> {
  const total = rate * seconds;
  const start = Date.now();
  let sent = 0;
  const apiMs: number[] = [];
  const timed = async (): Promise<void> => {
    const t0 = performance.now();
    await sendMessage(api, appId);
    apiMs.push(performance.now() - t0);
  };
  const inflight: Promise<void>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
    while (sent < due) {
      inflight.push(timed());
      sent += 1;
    }
    if (inflight.length > 5000) await Promise.all(inflight.splice(0));
    await sleep(10);
  }
  await Promise.all(inflight);
  return { sent, apiMs };
}

async function main(): Promise<void> {
  const dbName = `herald_${runId}`;
  const databaseUrl = `${args.server}/${dbName}`;
  log(`bench ${SMOKE ? '(smoke) ' : ''}database ${dbName}, logs in ${path.relative(ROOT, logDir)}`);
  await ensureDatabase(databaseUrl);
  await runMigrations(databaseUrl);

  const receiver = await Receiver.start();
  const apiPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: args.redis,
    PORT: String(apiPort),
    HERALD_QUEUE_PREFIX: `herald-${runId}`,
    HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
    HERALD_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    HERALD_ENDPOINT_HTTPS_ONLY: 'false',
    HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    HERALD_API_RATE_LIMIT: '1000000',
    HERALD_DISPATCHER_CONCURRENCY: String(CONCURRENCY),
    HERALD_LOG_LEVEL: 'warn',
    HERALD_DISPATCHER_METRICS_PORT: '0',
    HERALD_RETENTION_METRICS_PORT: '0',
  };
  // Node 20 refuses --cpu-prof in NODE_OPTIONS: pass it on the command line.
  const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(logDir, 'profiles')}`] : [];
  const entry = (app: string): string => path.join(ROOT, 'dist/apps', app, 'src/main.js');
  startProcess('api', entry('api'), env, profile);
  const dispatcherArgs = [...profile, ...args['dispatcher-node-args'].split(' ').filter(Boolean)];
  let dispatcher = startProcess('dispatcher', entry('dispatcher'), env, dispatcherArgs);
  startProcess('retention', entry('retention'), env);
  const rssSampler = setInterval(sampleRss, 250);

  const api = new Api(`http://127.0.0.1:${apiPort}`, '');
  const results: Record<string, unknown> = {};
  try {
    await waitForHealth(api);

    // Raw ceiling, in its own process like the dispatcher's sender.
    const raw = !PHASES.has('raw') ? { requestsPerSecond: NaN } : await new Promise<{ requestsPerSecond: number }>((resolve, reject) => {
      const child = fork(path.join(__dirname, 'raw-http.js'), [`http://127.0.0.1:${receiver.port}/`, String(CONCURRENCY), String(PLAN.rawSeconds)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { requestsPerSecond: number }) : reject(new Error(`raw-http exited ${code}`))));
    });
    results['raw_http_per_s'] = Math.round(raw.requestsPerSecond);
    log(`raw ceiling: ${results['raw_http_per_s']} req/s`);

    // Tenant, apps and endpoints through the real API.
    const created = await api.must<{ apiKey: { key: string } }>('POST', '/api/v1/admin/tenants', { name: 'bench' }, ADMIN_TOKEN);
    api.token = created.apiKey.key;
    const single = await api.must<{ id: string }>('POST', '/api/v1/app', { name: 'bench single' });
    await api.must('POST', `/api/v1/app/${single.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/single`, description: 'bench' });
    const fan = await api.must<{ id: string }>('POST', '/api/v1/app', { name: 'bench fanout' });
    for (let i = 0; i < 10; i++) await api.must('POST', `/api/v1/app/${fan.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/fan${i}`, description: `fan ${i}` });

    // Sustained: closed-loop producers through the HTTP API; rate = delivered / (first send → last arrival).
    if (PHASES.has('sustained')) {
      await receiver.reset();
      const sustainedStart = Date.now();
      const blasted = await blast(api, single.id, PLAN.producers, PLAN.sustainedSeconds);
      const sent = blasted.sent;
      const sustained = await receiver.waitFor(sent, 120_000);
      results['sustained'] = {
        sent,
        delivered_unique: sustained.unique,
        duplicates: sustained.count - sustained.unique,
        seconds: (sustained.lastAt - sustainedStart) / 1000,
      };
      results['ingest_per_s'] = Math.round(sent / blasted.seconds);
      results['deliveries_per_s'] = rate(sustained, sustainedStart);
      log(`sustained: ${sent} sent, ${results['deliveries_per_s']} deliveries/s`);
    }

    // Paced steps: latency from the producer's send to the receiver's arrival.
    for (const rate of PHASES.has('paced') ? PLAN.pacedRates : []) {
      await receiver.reset();
      const { sent: n, apiMs } = await paced(api, single.id, rate, PLAN.pacedSeconds);
      apiMs.sort((a, b) => a - b);
      const stats = await receiver.waitFor(n, 60_000);
      const sorted = (await receiver.latencies()).sort((a, b) => a - b);
      results[`paced_${rate}`] = {
        sent: n,
        delivered_unique: stats.unique,
        duplicates: stats.count - stats.unique,
        e2e_p50_ms: percentile(sorted, 50),
        e2e_p90_ms: percentile(sorted, 90),
        e2e_p99_ms: percentile(sorted, 99),
        // The POST's own response time (ingest only), for where the end-to-end time goes.
        api_p50_ms: Number(percentile(apiMs, 50).toFixed(1)),
        api_p99_ms: Number(percentile(apiMs, 99).toFixed(1)),
      };
      log(`paced ${rate}/s: ${JSON.stringify(results[`paced_${rate}`])}`);
    }

    // Fan-out 1 → 10.
    if (PHASES.has('fanout')) {
      await receiver.reset();
      const fanStart = Date.now();
      let fanSent = 0;
      await Promise.all(
        Array.from({ length: PLAN.producers }, async () => {
          while (fanSent < PLAN.fanoutMessages) {
            fanSent += 1;
            await sendMessage(api, fan.id);
          }
        }),
      );
      const fanDone = await receiver.waitFor(fanSent * 10, 120_000);
      results['fanout'] = { messages: fanSent, deliveries: fanSent * 10, delivered_unique: fanDone.unique, duplicates: fanDone.count - fanDone.unique, seconds: (fanDone.lastAt - fanStart) / 1000 };
      results['fanout_deliveries_per_s'] = rate(fanDone, fanStart);
      log(`fan-out: ${results['fanout_deliveries_per_s']} deliveries/s`);
    }

    // Backlog drain: dispatcher stopped, queue a backlog, start it, time first → last arrival.
    if (PHASES.has('drain')) {
      await stopProcess(dispatcher);
      await receiver.reset();
      const drainMessages = Math.ceil(PLAN.drainDeliveries / 10);
      let queued = 0;
      await Promise.all(
        Array.from({ length: PLAN.producers }, async () => {
          while (queued < drainMessages) {
            queued += 1;
            await sendMessage(api, fan.id);
          }
        }),
      );
      log(`drain: ${queued * 10} deliveries queued`);
      const drainBoot = Date.now();
      dispatcher = startProcess('dispatcher-drain', entry('dispatcher'), env, dispatcherArgs);
      const drained = await receiver.waitFor(queued * 10, SMOKE ? 30_000 : 180_000);
      // The rate runs from the first arrival (the dispatcher's boot is not draining).
      results['drain'] = {
        deliveries: queued * 10,
        delivered_unique: drained.unique,
        duplicates: drained.count - drained.unique,
        boot_s: (drained.firstAt - drainBoot) / 1000,
        seconds: (drained.lastAt - drained.firstAt) / 1000,
      };
      results['drain_deliveries_per_s'] = rate(drained, drained.firstAt);
    }
    results['persisted'] = await persistedCounts(databaseUrl);
    results['ratio_deliveries_to_raw'] = Number(((results['deliveries_per_s'] as number) / (results['raw_http_per_s'] as number)).toFixed(3));
  } finally {
    clearInterval(rssSampler);
    sampleRss();
    for (const p of [...procs].reverse()) {
      if (p.name === 'receiver') p.child.send({ cmd: 'stop' });
      else await stopProcess(p);
    }
    await api.pool.close();
    if (!args['keep-db']) await dropDatabase(dbName);
  }
  const rss: Record<string, number> = {};
  for (const p of procs) rss[p.name] = Math.max(rss[p.name] ?? 0, p.peakRssMb);
  results['rss_mb'] = rss;
  printTable(results);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

async function waitForHealth(api: Api): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await api.call<{ workers?: { dispatcher: number } }>('GET', '/api/v1/health');
      if (res.status === 200 && (res.body.workers?.dispatcher ?? 0) > 0) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`the API did not become healthy; see ${logDir}`);
}

/**
 * What the database recorded: every delivery should end `success` with its attempt stored.
 * The receiver sees a request before the dispatcher records it, so poll briefly.
 */
async function persistedCounts(databaseUrl: string): Promise<{ deliveries: number; succeeded: number; attempts: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await client.query<{ deliveries: string; succeeded: string; attempts: string }>(
        `SELECT (SELECT count(*) FROM deliveries) AS deliveries,
                (SELECT count(*) FROM deliveries WHERE status = 'success') AS succeeded,
                (SELECT count(*) FROM attempts) AS attempts`,
      );
      const counts = { deliveries: Number(rows[0]?.deliveries), succeeded: Number(rows[0]?.succeeded), attempts: Number(rows[0]?.attempts) };
      if ((counts.succeeded === counts.deliveries && counts.attempts >= counts.deliveries) || Date.now() > deadline) return counts;
      await sleep(200);
    }
  } finally {
    await client.end();
  }
}

async function dropDatabase(name: string): Promise<void> {
  const client = new Client({ connectionString: `${args.server}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function printTable(r: Record<string, unknown>): void {
  const rows: [string, string][] = [
    ['raw HTTP ceiling (undici → receiver)', `${r['raw_http_per_s']} req/s`],
    ['ingest through the API (closed loop)', `${r['ingest_per_s']} msg/s`],
    ['sustained end-to-end', `${r['deliveries_per_s']} deliveries/s`],
    ['ratio end-to-end / raw', `${r['ratio_deliveries_to_raw']}`],
    ['fan-out 1→10', `${r['fanout_deliveries_per_s']} deliveries/s`],
    ['backlog drain', `${r['drain_deliveries_per_s']} deliveries/s`],
  ];
  const persisted = r['persisted'] as { deliveries: number; succeeded: number; attempts: number } | undefined;
  if (persisted) rows.push(['persisted deliveries / succeeded / attempts', `${persisted.deliveries} / ${persisted.succeeded} / ${persisted.attempts}`]);
  for (const key of Object.keys(r).filter((k) => k.startsWith('paced_'))) {
    const p = r[key] as { e2e_p50_ms: number; e2e_p90_ms: number; e2e_p99_ms: number };
    rows.push([`paced ${key.slice(6)} msg/s latency p50/p90/p99`, `${p.e2e_p50_ms} / ${p.e2e_p90_ms} / ${p.e2e_p99_ms} ms`]);
  }
  for (const [name, mb] of Object.entries(r['rss_mb'] as Record<string, number>)) rows.push([`peak RSS ${name}`, `${mb} MB`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nHerald benchmark${SMOKE ? ' (smoke)' : ''}\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  for (const p of procs) p.child.kill('SIGKILL');
  process.exit(1);
});
