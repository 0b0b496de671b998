import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * PostgreSQL and Redis instances of a test's own, on loopback ports of their own, from
 * Debian's binaries — for tests that kill, restart or fail over them (the machine's shared
 * services on 5432/6379 are never touched).
 */

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`no PostgreSQL under ${root}`);
  return path.join(root, version, 'bin');
}

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user. */
async function asPostgres(file: string, args: string[]): Promise<string> {
  const isRoot = process.getuid?.() === 0;
  const { stdout } = isRoot ? await run('runuser', ['-u', 'postgres', '--', file, ...args]) : await run(file, args);
  return stdout;
}

export interface PrivatePostgres {
  port: number;
  /** A connection URL to `database` (created with `createDatabase`). */
  url(database: string): string;
  createDatabase(name: string): Promise<void>;
  /** `pg_ctl -m immediate restart`: a crash and a recovery; resolves when it accepts connections again. */
  restartImmediate(): Promise<void>;
  /** `pg_ctl -m immediate stop`, keeping the data: the server is down until `startAgain`. */
  stopServer(): Promise<void>;
  /** Starts the server stopped by `stopServer` again; resolves when it accepts connections. */
  startAgain(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  await asPostgres(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB`;
  const pgCtl = (args: string[]): Promise<string> => asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '60', ...args]);
  await pgCtl(['start']);
  const url = (database: string): string => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    async createDatabase(name) {
      await asPostgres(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', `CREATE DATABASE "${name}"`]);
    },
    async restartImmediate() {
      await pgCtl(['-m', 'immediate', 'restart']);
    },
    async stopServer() {
      await pgCtl(['-m', 'immediate', 'stop']);
    },
    async startAgain() {
      await pgCtl(['start']);
    },
    async stop() {
      if (existsSync(path.join(data, 'postmaster.pid'))) await pgCtl(['-m', 'immediate', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL: the data is gone (nothing is persisted). */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Spawns `redis-server` with `args` and resolves once it accepts TCP connections on `port`
 * (bounded); the child is killed if it does not come up.
 */
export async function spawnRedisServer(args: string[], port: number): Promise<ChildProcess> {
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return proc;
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`redis-server on ${port} did not start (${args.join(' ')})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL, and wait for the exit. */
export async function killProcess(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = await spawnRedisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], port);
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    await killProcess(proc);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
