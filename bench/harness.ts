import { execFile, execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { ensureDatabase, runMigrations } from '@herald/db';
import { deleteRedisPrefix } from '@herald/queue';

/**
 * What the benchmarks share: the built processes started with their logs and peak RSS, the
 * receiver process behind an IPC wrapper, a small API client, the paced (open-loop) sender,
 * percentiles and the throwaway database.
 */
export const ROOT = path.resolve(__dirname, '../..');

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The entry point of a built app (`npm run build` first). */
export const appEntry = (app: string): string => path.join(ROOT, 'dist/apps', app, 'src/main.js');

// ---- processes ----------------------------------------------------------------------------
export interface Proc {
  name: string;
  child: ChildProcess;
  peakRssMb: number;
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

/** The processes of one bench run; each one's output goes to bench-results/<run>/<name>.log. */
export class ProcessGroup {
  readonly procs: Proc[] = [];
  readonly logDir: string;

  constructor(readonly runId: string) {
    this.logDir = path.join(ROOT, 'bench-results', runId);
    mkdirSync(this.logDir, { recursive: true });
  }

  start(name: string, entry: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Proc {
    const out = createWriteStream(path.join(this.logDir, `${name}.log`));
    const child = spawn(process.execPath, [...nodeArgs, entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGTERM') log(`${name} exited (code ${code}, signal ${signal}); see ${path.relative(ROOT, this.logDir)}/${name}.log`);
    });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    return this.add(name, child);
  }

  add(name: string, child: ChildProcess): Proc {
    const proc = { name, child, peakRssMb: 0 };
    this.procs.push(proc);
    return proc;
  }

  sampleRss(): void {
    for (const p of this.procs) p.peakRssMb = Math.max(p.peakRssMb, peakRss(p.child.pid));
  }

  async stop(proc: Proc): Promise<void> {
    this.sampleRss();
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops everything, last started first; the receiver is asked to stop over IPC. */
  async stopAll(): Promise<void> {
    this.sampleRss();
    for (const p of [...this.procs].reverse()) {
      if (p.name === 'receiver') p.child.send({ cmd: 'stop' });
      else await this.stop(p);
    }
  }

  /** For a crash: no goodbyes. */
  killAll(): void {
    for (const p of this.procs) p.child.kill('SIGKILL');
  }

  /** Peak RSS per process name (a restarted process keeps its highest figure). */
  rssByName(): Record<string, number> {
    const rss: Record<string, number> = {};
    for (const p of this.procs) rss[p.name] = Math.max(rss[p.name] ?? 0, p.peakRssMb);
    return rss;
  }
}

// ---- CPU per process ----------------------------------------------------------------------
/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux x86). */
const CLOCK_TICKS = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, every thread) of a process, in ms; undefined once it is gone. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Processes of this machine whose command name is one of `names`, by pid. */
function processesNamed(names: Map<string, string>): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const group = names.get(readFileSync(`/proc/${entry}/comm`, 'utf8').trim());
      if (group) found.set(Number(entry), group);
    } catch {
      // exited while listed
    }
  }
  return found;
}

/** CPU ms per process at one moment, each process with its group's name. */
export type CpuReading = Map<number, { group: string; ms: number }>;

/**
 * CPU time per process group between two readings, from /proc: Herald's processes by name (a
 * restarted dispatcher counts as the dispatcher), PostgreSQL (every process of this machine's
 * server: backends, WAL writer, checkpointer), Redis, the load generator (this process) and the
 * receiver. Divided by a phase's deliveries it gives CPU per delivery, which on a shared
 * machine moves far less than rates do. A process that exits between the readings loses its
 * share of the window (the bench keeps its processes up through each phase).
 */
export class CpuMeter {
  private static readonly SERVERS = new Map([
    ['postgres', 'postgresql'],
    ['redis-server', 'redis'],
  ]);

  constructor(private readonly group: ProcessGroup) {}

  read(): CpuReading {
    const reading: CpuReading = new Map();
    const add = (pid: number | undefined, group: string): void => {
      const ms = pid === undefined ? undefined : cpuMs(pid);
      if (pid !== undefined && ms !== undefined) reading.set(pid, { group, ms });
    };
    for (const [pid, group] of processesNamed(CpuMeter.SERVERS)) add(pid, group);
    for (const p of this.group.procs) add(p.child.pid, p.name.replace(/-\d+$/, '').replace(/-drain$/, ''));
    add(process.pid, 'load_generator');
    return reading;
  }

  /**
   * CPU µs per delivery (to 0.1 µs) of each group and their total, between `start` and now;
   * `extraMs` adds CPU that processes outside the group reported themselves.
   */
  perDelivery(start: CpuReading, deliveries: number, extraMs: Record<string, number> = {}): Record<string, number> {
    const ms: Record<string, number> = { ...extraMs };
    for (const [pid, { group, ms: now }] of this.read()) ms[group] = (ms[group] ?? 0) + now - (start.get(pid)?.ms ?? 0);
    const tenths = (n: number): number => Math.round(n * 10) / 10;
    const us: Record<string, number> = {};
    let total = 0;
    for (const [group, spent] of Object.entries(ms).sort(([a], [b]) => a.localeCompare(b))) {
      us[group] = tenths((spent * 1000) / Math.max(1, deliveries));
      total += us[group];
    }
    us['total'] = tenths(total);
    return us;
  }
}

// ---- receiver -------------------------------------------------------------------------
export interface ReceiverStats {
  /** Every arrival, duplicates included. */
  count: number;
  /** Distinct (message, endpoint) arrivals: the only thing rates count. */
  unique: number;
  /** Epoch ms of the first and the last new unique arrival. */
  firstAt: number;
  lastAt: number;
  /** Requests to /hang/… (never answered) received, and held open now. */
  hung: number;
  holding: number;
}

export class Receiver {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    private readonly pollMs: number,
  ) {}
  static async start(group: ProcessGroup, pollMs: number): Promise<Receiver> {
    const child = fork(path.join(__dirname, 'receiver.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    group.add('receiver', child);
    return new Receiver(child, port, pollMs);
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
      await sleep(this.pollMs);
    }
  }
}

// ---- API client ---------------------------------------------------------------------------
export class Api {
  readonly pool: Pool;
  constructor(
    readonly url: string,
    public token: string,
    connections: number,
  ) {
    this.pool = new Pool(url, { connections });
  }
  headers(token = this.token): Record<string, string> {
    return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  }
  async call<T>(method: 'GET' | 'POST', p: string, body?: unknown, token = this.token): Promise<{ status: number; body: T }> {
    const res = await this.pool.request({ method, path: p, headers: this.headers(token), body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.body.text();
    return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
  }
  async must<T>(method: 'GET' | 'POST', p: string, body?: unknown, token?: string): Promise<T> {
    const res = await this.call<T>(method, p, body, token);
    if (res.status >= 300) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

/** Waits until the API answers healthy with a dispatcher heartbeat. */
export async function waitForHealth(api: Api, logDir: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const res = await api.call<{ workers?: { dispatcher: number } }>('GET', '/api/v1/health/ready');
      if (res.status === 200 && (res.body.workers?.dispatcher ?? 0) > 0) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`the API did not become healthy; see ${logDir}`);
}

/** `{"sentAt":<13 digits>,"data":""}`: the payload's bytes besides its filler. */
const PAYLOAD_FRAME_BYTES = 34;
/** 994-byte payloads (≈ 1 KiB) unless `setPayloadBytes` says otherwise. */
let payloadFill = 'x'.repeat(960);

/** Every message's payload from now on is `bytes` long (`--payload-bytes`). */
export function setPayloadBytes(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < PAYLOAD_FRAME_BYTES) throw new Error(`a payload size is a whole number of bytes, at least ${PAYLOAD_FRAME_BYTES}: got ${bytes}`);
  payloadFill = 'x'.repeat(bytes - PAYLOAD_FRAME_BYTES);
}

/**
 * What `JSON.stringify({eventType, payload: {sentAt, data}})` gives, spliced from constant text:
 * the load generator shares the two cores with Herald, so it does no more per message than
 * the raw ceiling's client (a fixed body, the response read but not parsed).
 */
const messageBody = (sentAt: number): string => `{"eventType":"bench.event","payload":{"sentAt":${sentAt},"data":"${payloadFill}"}}`;

export async function sendMessage(api: Api, appId: string): Promise<void> {
  const res = await api.pool.request({
    method: 'POST',
    path: `/api/v1/app/${appId}/msg?with_content=false`,
    headers: api.headers(),
    body: messageBody(Date.now()),
  });
  if (res.statusCode !== 202) throw new Error(`message create → ${res.statusCode} ${await res.body.text()}`);
  await res.body.dump();
}

/**
 * Open loop at `rate` msg/s, in 10 ms ticks, for `seconds` — or, with `until`, until that
 * promise settles (`seconds` is then the cap). Returns messages sent and each POST's response time (ms).
 */
export async function paced(api: Api, appId: string, rate: number, seconds: number, until?: Promise<unknown>): Promise<{ sent: number; apiMs: number[] }> {
  let stop = false;
  void until?.then(
    () => (stop = true),
    () => (stop = true),
  );
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
  while (sent < total && !stop) {
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

// ---- database -----------------------------------------------------------------------------
/** Creates and migrates a throwaway database. */
export async function createDatabase(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  await runMigrations(databaseUrl);
}

/**
 * Puts what earlier phases wrote on disk before the next one is measured: a checkpoint, then
 * `sync`. The kernel writes dirty pages back once they are ~30 s old, in bursts, and a commit's
 * WAL flush waits behind them: without this, the saturated sustained phase's writes landed in
 * the paced phase that follows it and set its tail (docs/performance.md, thirteenth pass).
 * Returns the time it took (ms).
 */
export async function settle(databaseUrl: string): Promise<number> {
  const started = Date.now();
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
  await new Promise<void>((resolve, reject) => execFile('sync', (err) => (err ? reject(err) : resolve())));
  return Date.now() - started;
}

export async function dropDatabase(server: string, name: string): Promise<void> {
  const client = new Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A bench run's Redis key prefix (HERALD_QUEUE_PREFIX of its processes). */
export const queuePrefix = (runId: string): string => `herald-${runId}`;

/**
 * Deletes a run's Redis keys. The retention worker's repeatable job stays scheduled under the
 * run's prefix after its processes stop (nine keys a run); nothing reads them again.
 */
export async function dropRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    await deleteRedisPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/**
 * How Herald's processes run as shipped (`npm start` and docker/): their Node flags and glibc's
 * malloc setting. The bench starts them the same way, so it measures what ships;
 * bench/shipped-settings.spec.ts checks that the launch files agree with this.
 */
export const SHIPPED = {
  apiNodeArgs: '--max-old-space-size=160 --max-semi-space-size=32',
  dispatcherNodeArgs: '--max-old-space-size=160 --max-semi-space-size=16',
  /** A fixed mmap threshold: glibc's arenas no longer keep freed large blocks (ADR 0019). */
  env: { MALLOC_MMAP_THRESHOLD_: '131072' },
} as const;

/** The environment of the api/dispatcher/retention processes (and the CLI) in a bench run. */
export function serviceEnv(opts: {
  databaseUrl: string;
  redisUrl: string;
  apiPort: number;
  runId: string;
  adminToken: string;
  masterKey: string;
  concurrency: number;
  deliveryTimeoutMs: number;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    ...SHIPPED.env,
    NODE_ENV: 'production',
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    PORT: String(opts.apiPort),
    HERALD_QUEUE_PREFIX: queuePrefix(opts.runId),
    HERALD_ADMIN_TOKEN: opts.adminToken,
    HERALD_MASTER_KEYS: `bench:${opts.masterKey}`,
    HERALD_ENDPOINT_HTTPS_ONLY: 'false',
    HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    HERALD_API_RATE_LIMIT: '1000000',
    HERALD_DISPATCHER_CONCURRENCY: String(opts.concurrency),
    HERALD_DELIVERY_TIMEOUT_MS: String(opts.deliveryTimeoutMs),
    HERALD_LOG_LEVEL: 'warn',
    HERALD_DISPATCHER_METRICS_PORT: '0',
    HERALD_RETENTION_METRICS_PORT: '0',
  };
}
