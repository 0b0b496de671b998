import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConnectionConfig } from '@herald/config';

/**
 * A connection to Herald's Redis, whatever its topology: one server or a Sentinel-managed
 * master (ioredis `Redis`), or a Redis Cluster (ioredis `Cluster`). Both speak the same
 * commands, scripts, MULTI and pub/sub; on a cluster every Herald key shares one slot
 * (the prefix is a hash tag, ADR 0012), so nothing Herald sends can cross slots.
 */
export type RedisClient = Redis | Cluster;

/**
 * What the connection is for:
 * - `command`: the process's shared connection; commands issued in the same tick (say, the
 *   rate-limit checks of concurrent requests) go out in one write, and a command fails after
 *   ioredis's retries instead of waiting forever, so a dead Redis surfaces to the caller;
 * - `subscriber`: a connection of its own for SUBSCRIBE (a subscribed connection takes no
 *   other commands); ioredis re-subscribes after every reconnect and failover;
 * - `bullmq`: BullMQ's, whose blocking commands must wait through reconnects
 *   (`maxRetriesPerRequest: null`, required by BullMQ) and which keeps one command per write.
 */
export type RedisRole = 'command' | 'subscriber' | 'bullmq';

export interface CreateRedisOptions {
  role?: RedisRole;
  /** CLIENT SETNAME, visible in CLIENT LIST. */
  name?: string;
  /** ioredis reports reconnects and failovers as 'error' events; by default one stderr line each. */
  onError?: (err: Error) => void;
}

/**
 * The one place Redis connections are made (STYLE 26): every option of every topology and role.
 * ioredis reconnects by itself; on Sentinel it asks the sentinels for the current master on
 * each reconnect; on a cluster it follows MOVED redirections and refreshes the slot map.
 *
 * ioredis's `failoverDetector` (Sentinel) stays off: its `+switch-master` handler closes the
 * connector even while a reconnect is resolving the master, which ends the connection for good
 * (status "end", no more retries) — in 3 of 7 runs of apps/dispatcher/test/redis-sentinel.scale-spec.ts.
 * Without it a failover is noticed when the old master's connections close (a crash, a
 * restart, or Sentinel demoting it).
 */
export function createRedis(connection: RedisConnectionConfig, options: CreateRedisOptions = {}): RedisClient {
  const role = options.role ?? 'command';
  const perRole: RedisOptions =
    role === 'bullmq' ? { maxRetriesPerRequest: null, enableReadyCheck: false } : role === 'command' ? { enableAutoPipelining: true } : {};
  let redis: RedisClient;
  switch (connection.mode) {
    case 'single':
      redis = new Redis(connection.url, { connectionName: options.name, lazyConnect: false, ...perRole });
      break;
    case 'sentinel':
      redis = new Redis({
        sentinels: connection.sentinels,
        name: connection.masterName,
        password: connection.password,
        sentinelPassword: connection.sentinelPassword,
        connectionName: options.name,
        lazyConnect: false,
        ...perRole,
      });
      break;
    case 'cluster': {
      const { enableAutoPipelining, enableReadyCheck, ...nodeOptions } = perRole;
      const clusterOptions: ClusterOptions = {
        redisOptions: { password: connection.password, connectionName: options.name, ...nodeOptions },
        enableAutoPipelining,
        enableReadyCheck,
        lazyConnect: false,
        // While a failover runs (node timeout + election, a few seconds), commands for the lost
        // master's slots are retried rather than failed at once.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
      };
      redis = new Cluster(connection.nodes, clusterOptions);
      break;
    }
  }
  const onError = options.onError ?? ((err: Error) => process.stderr.write(`redis (${options.name ?? 'connection'}): ${err.message}\n`));
  redis.on('error', onError);
  return redis;
}

/** `host:port` of where a connection goes, for logs and error messages (no secrets). */
export function describeRedis(connection: RedisConnectionConfig): string {
  switch (connection.mode) {
    case 'single': {
      const url = new URL(connection.url);
      return `${url.hostname}:${url.port || '6379'}`;
    }
    case 'sentinel':
      return `master "${connection.masterName}" of sentinels ${connection.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
    case 'cluster':
      return `cluster ${connection.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
}
