import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { TEST_ADMIN_TOKEN, TEST_MASTER_KEYS } from '@herald/testing';

// These tests run the BUILT processes (`npm test` builds before vitest), as `npm start` does.
const ROOT = path.resolve(__dirname, '../../..');
const entry = (app: string): string => path.join(ROOT, 'dist/apps', app, 'src/main.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    HERALD_QUEUE_PREFIX: `${inject('queuePrefix')}-proc`,
    HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
    HERALD_LOG_LEVEL: 'warn',
    ...extra,
  };
}

function run(app: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [entry(app)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out`)), ms))]);

describe('the three processes', () => {
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it.each([
    ['HERALD_RETRY_SCHEDULE', '5,abc', /HERALD_RETRY_SCHEDULE/],
    ['HERALD_MASTER_KEYS', 'nokey', /HERALD_MASTER_KEYS/],
    // Sentinel without the name of the master to follow: a contradiction refused at boot.
    ['HERALD_REDIS_SENTINELS', '127.0.0.1:26379', /HERALD_REDIS_SENTINEL_MASTER: required with HERALD_REDIS_SENTINELS/],
    // Traces asked for in a way Herald cannot export: refused rather than silently dropped.
    ['OTEL_TRACES_EXPORTER', 'zipkin', /OTEL_TRACES_EXPORTER: "zipkin" is not supported/],
  ])('refuse to start with %s=%s, naming the variable, before listening', async (name, value, message) => {
    const port = await freePort();
    for (const app of ['api', 'dispatcher', 'retention']) {
      const proc = run(app, baseEnv({ [name]: value, PORT: String(port) }));
      started.push(proc.child);
      const code = await withTimeout(proc.exited, 15_000, `${app} exit`);
      expect(code).not.toBe(0);
      expect(proc.output()).toMatch(message);
    }
    // Nothing ever listened on the port.
    await expect(request(`http://127.0.0.1:${port}/api/v1/health`)).rejects.toThrow();
  });

  it('start, report each other through health, and stop gracefully on SIGTERM', async () => {
    const port = await freePort();
    const env = baseEnv({ PORT: String(port) });
    const procs = ['api', 'dispatcher', 'retention'].map((app) => run(app, env));
    started.push(...procs.map((p) => p.child));

    let report: { status?: string; workers?: { dispatcher: number; retention: number } } = {};
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const res = await request(`http://127.0.0.1:${port}/api/v1/health/ready`);
        report = (await res.body.json()) as typeof report;
        if (res.statusCode === 200 && report.workers?.dispatcher && report.workers.retention) break;
      } catch {
        // not listening yet: poll again
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(report).toMatchObject({ status: 'ok', workers: { dispatcher: 1, retention: 1 } });

    for (const p of procs) p.child.kill('SIGTERM');
    const codes = await withTimeout(Promise.all(procs.map((p) => p.exited)), 20_000, 'graceful shutdown');
    // Nest re-raises the signal after closing, so a clean stop shows as "killed by SIGTERM" (null code).
    for (const [i, p] of procs.entries()) {
      expect(p.child.signalCode === 'SIGTERM' || codes[i] === 0, p.output()).toBe(true);
    }
  });
});
