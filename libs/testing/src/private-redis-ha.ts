import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, killProcess, spawnRedisServer } from './private-services';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Highly available Redis topologies of a test's own, from Debian's `redis-server`, on loopback
 * ports of their own: a Sentinel set (a master, a replica, three sentinels) and a Cluster
 * (three masters, three replicas). Both require passwords, as production ones should, so the
 * tests also cover Herald's password settings. Each can fail its master over (SIGKILL) and
 * tells when the new master serves.
 */

/** `count` distinct free loopback ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < count * 10; tries++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`could not find ${count} free ports`);
  return [...ports];
}

/** One command to one server, on a connection of its own that is closed afterwards. */
export async function redisCommand(port: number, password: string | undefined, ...args: (string | number)[]): Promise<unknown> {
  const redis = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const [command, ...rest] = args;
    return await redis.call(String(command), ...rest.map(String));
  } finally {
    redis.disconnect();
  }
}

/** Polls `probe` until it returns a value (not undefined), at most `timeoutMs`; probe errors count as "not yet". */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(100);
  }
}

function infoField(info: unknown, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(String(info))?.[1]?.trim();
}

export interface Failover {
  /** Port of the master that was SIGKILLed. */
  from: number;
  /** Port of the replica that replaced it. */
  to: number;
  /** From the kill to the new master serving, as its peers report it. */
  ms: number;
}

export interface PrivateRedisSentinelSet {
  masterName: string;
  /** Environment that points Herald at this set (sentinels, master name, passwords). */
  env: Record<string, string>;
  /** The current master's port, as the sentinels report it. */
  masterPort(): Promise<number>;
  /** SIGKILLs the current master; resolves once the sentinels have promoted the replica. */
  failover(): Promise<Failover>;
  stop(): Promise<void>;
}

/**
 * A master and a replica (both password-protected) watched by three sentinels (quorum 2,
 * down after 1 s). Resolves when the replica is in sync and every sentinel knows the others.
 */
export async function startPrivateRedisSentinelSet(): Promise<PrivateRedisSentinelSet> {
  const masterName = 'herald-ha';
  const password = 'test-redis-data-password';
  const sentinelPassword = 'test-redis-sentinel-password';
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-sentinel-'));
  const [masterPort, replicaPort, ...sentinelPorts] = await freePorts(5);
  if (masterPort === undefined || replicaPort === undefined) throw new Error('no ports');
  const servers = new Map<number, ChildProcess>();
  const stop = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((p) => killProcess(p)));
    servers.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const dataServer = async (port: number, extra: string[]): Promise<void> => {
      const data = path.join(dir, String(port));
      mkdirSync(data);
      // No diskless-sync delay: the replica is in sync at once, not after Redis's default 5 s.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', '--dir', data, '--requirepass', password, '--masterauth', password];
      servers.set(port, await spawnRedisServer([...args, ...extra], port));
    };
    await dataServer(masterPort, []);
    await dataServer(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);
    for (const port of sentinelPorts) {
      const file = path.join(dir, `sentinel-${port}.conf`);
      // Sentinels rewrite their file as they learn the topology: each needs its own, writable.
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `requirepass ${sentinelPassword}`,
          `sentinel sentinel-pass ${sentinelPassword}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel auth-pass ${masterName} ${password}`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 5000`,
          '',
        ].join('\n'),
      );
      servers.set(port, await spawnRedisServer([file, '--sentinel'], port));
    }
    await until('the replica to sync', 30_000, async () => (infoField(await redisCommand(replicaPort, password, 'INFO', 'replication'), 'master_link_status') === 'up' ? true : undefined));
    await until('the sentinels to know each other and the replica', 30_000, async () => {
      for (const port of sentinelPorts) {
        const peers = (await redisCommand(port, sentinelPassword, 'SENTINEL', 'SENTINELS', masterName)) as unknown[];
        const replicas = (await redisCommand(port, sentinelPassword, 'SENTINEL', 'REPLICAS', masterName)) as unknown[];
        if (peers.length !== 2 || replicas.length !== 1) return undefined;
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const currentMaster = async (): Promise<number> => {
    const answers = await Promise.all(
      sentinelPorts.map(async (port) => {
        const addr = (await redisCommand(port, sentinelPassword, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
        return Number(addr[1]);
      }),
    );
    return answers[0] ?? Number.NaN;
  };

  return {
    masterName,
    env: {
      HERALD_REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      HERALD_REDIS_SENTINEL_MASTER: masterName,
      HERALD_REDIS_PASSWORD: password,
      HERALD_REDIS_SENTINEL_PASSWORD: sentinelPassword,
    },
    masterPort: currentMaster,
    async failover() {
      const from = await currentMaster();
      const started = Date.now();
      await killProcess(servers.get(from));
      servers.delete(from);
      const to = await until('the sentinels to promote the replica', 60_000, async () => {
        const port = await currentMaster();
        if (port === from) return undefined;
        const role = (await redisCommand(port, password, 'ROLE')) as unknown[];
        return role[0] === 'master' ? port : undefined;
      });
      return { from, to, ms: Date.now() - started };
    },
    stop,
  };
}

export interface PrivateRedisCluster {
  /** Environment that points Herald at this cluster (seed nodes, password). */
  env: Record<string, string>;
  /** Port of the master that serves `key`'s slot. */
  masterOf(key: string): Promise<number>;
  /** Ports of the nodes not killed. */
  liveNodes(): number[];
  /** SIGKILLs the master serving `key`'s slot; resolves once its replica serves the slot and the cluster is ok. */
  failover(key: string): Promise<Failover>;
  stop(): Promise<void>;
}

type SlotRange = [number, number, [string, number, ...unknown[]], ...unknown[]];

/**
 * Three masters and three replicas (`redis-cli --cluster create … --cluster-replicas 1`),
 * password-protected, node timeout 1 s. Resolves when every node reports the cluster ok.
 */
export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const password = 'test-redis-cluster-password';
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-cluster-'));
  const ports = await freePorts(12);
  const nodePorts = ports.slice(0, 6);
  const busPorts = ports.slice(6);
  const servers = new Map<number, ChildProcess>();
  const stop = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((p) => killProcess(p)));
    servers.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  const live = (): number[] => nodePorts.filter((p) => servers.has(p));
  const clusterOk = async (port: number): Promise<boolean> => infoField(await redisCommand(port, password, 'CLUSTER', 'INFO'), 'cluster_state') === 'ok';
  try {
    for (const [i, port] of nodePorts.entries()) {
      const data = path.join(dir, String(port));
      mkdirSync(data);
      servers.set(
        port,
        await spawnRedisServer(
          [
            '--port', String(port),
            '--cluster-port', String(busPorts[i]),
            '--bind', '127.0.0.1',
            '--cluster-enabled', 'yes',
            '--cluster-config-file', path.join(data, 'nodes.conf'),
            '--cluster-node-timeout', '1000',
            '--save', '',
            '--appendonly', 'no',
            '--repl-diskless-sync-delay', '0',
            '--dir', data,
            '--requirepass', password,
            '--masterauth', password,
          ],
          port,
        ),
      );
    }
    await run('redis-cli', ['-a', password, '--no-auth-warning', '--cluster', 'create', ...nodePorts.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });
    await until('every node to report the cluster ok and every replica in sync', 60_000, async () => {
      for (const port of nodePorts) {
        if (!(await clusterOk(port))) return undefined;
        const replication = await redisCommand(port, password, 'INFO', 'replication');
        // A replica that never synced may not fail over ("disconnected from master for longer than allowed").
        if (infoField(replication, 'role') === 'slave' && infoField(replication, 'master_link_status') !== 'up') return undefined;
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const masterOf = async (key: string): Promise<number> => {
    const port = live()[0];
    if (port === undefined) throw new Error('no live node');
    const slot = Number(await redisCommand(port, password, 'CLUSTER', 'KEYSLOT', key));
    const ranges = (await redisCommand(port, password, 'CLUSTER', 'SLOTS')) as SlotRange[];
    const range = ranges.find(([start, end]) => slot >= start && slot <= end);
    if (!range) throw new Error(`no node serves slot ${slot}`);
    return Number(range[2][1]);
  };

  return {
    env: { HERALD_REDIS_CLUSTER_NODES: nodePorts.map((p) => `127.0.0.1:${p}`).join(','), HERALD_REDIS_PASSWORD: password },
    masterOf,
    liveNodes: live,
    async failover(key) {
      const from = await masterOf(key);
      const started = Date.now();
      await killProcess(servers.get(from));
      servers.delete(from);
      const to = await until(`a replica to take over ${key}'s slot`, 60_000, async () => {
        const port = await masterOf(key);
        if (port === from) return undefined;
        const role = (await redisCommand(port, password, 'ROLE')) as unknown[];
        if (role[0] !== 'master') return undefined;
        for (const node of live()) if (!(await clusterOk(node))) return undefined;
        return port;
      });
      return { from, to, ms: Date.now() - started };
    },
    stop,
  };
}
