import { resolve } from 'node:path';
import type { z } from 'zod';
import { envSchema } from './config.schema';

type ParsedEnv = z.output<typeof envSchema>;

export interface MasterKey {
  kid: string;
  key: Buffer;
}

export interface RedisNode {
  host: string;
  port: number;
}

/** How to reach Redis: one server (REDIS_URL), a Sentinel-managed master, or a Cluster. */
export type RedisConnectionConfig =
  | { mode: 'single'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; masterName: string; password: string | undefined; sentinelPassword: string | undefined }
  | { mode: 'cluster'; nodes: RedisNode[]; password: string | undefined };

/** Herald's configuration, validated once at boot and injected everywhere. */
export interface HeraldConfig {
  env: 'development' | 'production' | 'test';
  db: { url: string; connectTimeoutMs: number };
  redis: {
    connection: RedisConnectionConfig;
    /**
     * Prefix of every Redis key and channel Herald uses. On a cluster it is HERALD_QUEUE_PREFIX
     * in braces (a hash tag), so all of Herald's keys share one slot (ADR 0012).
     */
    queuePrefix: string;
  };
  api: { host: string; port: number; rateLimitPerSecond: number; authFailuresPerMinute: number; maxPayloadBytes: number; maxInFlightBodyBytes: number; bodyWaitMs: number; trustProxy: string[]; webUiDir: string };
  delivery: {
    retryScheduleSeconds: number[];
    timeoutMs: number;
    httpsOnly: boolean;
    allowedCidrs: string[];
    failureDisableAfterHours: number;
    /** Requests in flight per dispatcher process. */
    concurrency: number;
    maxInFlightBytes: number;
    /** Fraction of the slots one tenant may hold. */
    tenantShare: number;
    /** Default per-endpoint bound on requests in flight. */
    endpointMaxInFlight: number;
    circuit: { failureThreshold: number; probeMinSeconds: number; probeMaxSeconds: number };
    /** DNS servers for endpoint hosts; empty = the system's. */
    dnsServers: string[];
    outboxSweepSeconds: number;
    /** PEM file of extra CAs trusted for deliveries (tests, private deployments). */
    caFile: string | undefined;
    /** Dispatcher /metrics port; 0 = off. */
    metricsPort: number;
  };
  retention: {
    defaultPayloadRetentionDays: number;
    intervalMinutes: number;
    /** Retention worker /metrics port; 0 = off. */
    metricsPort: number;
    /** Rows per retention statement. */
    batchSize: number;
    batchPauseMs: number;
  };
  /** Background tasks (recover, replays, expunge-all), run by the retention workers. */
  tasks: {
    pollMs: number;
    leaseSeconds: number;
    batchSize: number;
    batchPauseMs: number;
  };
  security: { adminToken: string; masterKeys: MasterKey[] };
  log: { level: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Fixed development-only values so `npm start` works with nothing set. Production refuses
// to start without real ones (see below), so these can never protect real data.
const DEV_ADMIN_TOKEN = 'herald-dev-admin-token-change-me';
const DEV_MASTER_KEY: MasterKey = { kid: 'dev', key: Buffer.alloc(32, 7) };

export function loadConfig(source: Record<string, string | undefined>): HeraldConfig {
  // Empty strings mean "unset" (as in docker-compose `VAR=`).
  const env = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const value = name.includes('TOKEN') || name.includes('KEYS') || name.includes('PASSWORD') ? '(secret)' : JSON.stringify(env[name]);
        return `${name}=${value}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const missing: string[] = [];
  if (production && !e.HERALD_ADMIN_TOKEN) missing.push('HERALD_ADMIN_TOKEN: required when NODE_ENV=production (at least 24 characters)');
  if (production && !e.HERALD_MASTER_KEYS) missing.push('HERALD_MASTER_KEYS: required when NODE_ENV=production (kid:base64-32-byte-key,…)');
  if (missing.length > 0) throw new ConfigError(missing);
  const connection = redisConnection(e, env['REDIS_URL'] !== undefined);

  return {
    env: e.NODE_ENV,
    db: { url: e.DATABASE_URL, connectTimeoutMs: e.HERALD_DB_CONNECT_TIMEOUT_MS },
    redis: { connection, queuePrefix: connection.mode === 'cluster' ? `{${e.HERALD_QUEUE_PREFIX}}` : e.HERALD_QUEUE_PREFIX },
    api: {
      host: e.HOST,
      port: e.PORT,
      rateLimitPerSecond: e.HERALD_API_RATE_LIMIT,
      authFailuresPerMinute: e.HERALD_AUTH_FAILURE_LIMIT,
      maxPayloadBytes: e.HERALD_MAX_PAYLOAD_BYTES,
      maxInFlightBodyBytes: e.HERALD_API_MAX_INFLIGHT_BODY_BYTES,
      bodyWaitMs: e.HERALD_API_BODY_WAIT_MS,
      trustProxy: e.HERALD_TRUST_PROXY,
      webUiDir: resolve(e.HERALD_WEB_UI_DIR),
    },
    delivery: {
      retryScheduleSeconds: e.HERALD_RETRY_SCHEDULE,
      timeoutMs: e.HERALD_DELIVERY_TIMEOUT_MS,
      httpsOnly: e.HERALD_ENDPOINT_HTTPS_ONLY ?? production,
      allowedCidrs: e.HERALD_DELIVERY_ALLOWED_CIDRS,
      failureDisableAfterHours: e.HERALD_ENDPOINT_FAILURE_DISABLE_AFTER_HOURS,
      concurrency: e.HERALD_DISPATCHER_CONCURRENCY,
      maxInFlightBytes: e.HERALD_DISPATCHER_MAX_INFLIGHT_BYTES,
      tenantShare: e.HERALD_DISPATCHER_TENANT_SHARE,
      endpointMaxInFlight: e.HERALD_ENDPOINT_MAX_IN_FLIGHT,
      circuit: {
        failureThreshold: e.HERALD_CIRCUIT_FAILURE_THRESHOLD,
        probeMinSeconds: e.HERALD_CIRCUIT_PROBE_MIN_SECONDS,
        probeMaxSeconds: Math.max(e.HERALD_CIRCUIT_PROBE_MAX_SECONDS, e.HERALD_CIRCUIT_PROBE_MIN_SECONDS),
      },
      dnsServers: e.HERALD_DNS_SERVERS,
      outboxSweepSeconds: e.HERALD_OUTBOX_SWEEP_SECONDS,
      caFile: e.HERALD_DELIVERY_CA_FILE,
      metricsPort: e.HERALD_DISPATCHER_METRICS_PORT,
    },
    retention: {
      defaultPayloadRetentionDays: e.HERALD_DEFAULT_PAYLOAD_RETENTION_DAYS,
      intervalMinutes: e.HERALD_RETENTION_INTERVAL_MINUTES,
      metricsPort: e.HERALD_RETENTION_METRICS_PORT,
      batchSize: e.HERALD_RETENTION_BATCH_SIZE,
      batchPauseMs: e.HERALD_RETENTION_BATCH_PAUSE_MS,
    },
    tasks: {
      pollMs: e.HERALD_TASK_POLL_MS,
      leaseSeconds: e.HERALD_TASK_LEASE_SECONDS,
      batchSize: e.HERALD_TASK_BATCH_SIZE,
      batchPauseMs: e.HERALD_TASK_BATCH_PAUSE_MS,
    },
    security: {
      adminToken: e.HERALD_ADMIN_TOKEN ?? DEV_ADMIN_TOKEN,
      masterKeys: e.HERALD_MASTER_KEYS ?? [DEV_MASTER_KEY],
    },
    log: { level: e.HERALD_LOG_LEVEL },
  };
}

/** Picks the Redis topology; settings that contradict each other stop the boot, each named. */
function redisConnection(e: ParsedEnv, redisUrlSet: boolean): RedisConnectionConfig {
  const problems: string[] = [];
  const sentinels = e.HERALD_REDIS_SENTINELS;
  const cluster = e.HERALD_REDIS_CLUSTER_NODES;
  if (sentinels && cluster) problems.push('HERALD_REDIS_SENTINELS and HERALD_REDIS_CLUSTER_NODES: set one of them (Sentinel or Cluster), not both');
  if ((sentinels || cluster) && redisUrlSet) {
    problems.push(`REDIS_URL: not used with ${sentinels ? 'HERALD_REDIS_SENTINELS' : 'HERALD_REDIS_CLUSTER_NODES'}; unset it (the password goes in HERALD_REDIS_PASSWORD)`);
  }
  if (sentinels && !e.HERALD_REDIS_SENTINEL_MASTER) problems.push('HERALD_REDIS_SENTINEL_MASTER: required with HERALD_REDIS_SENTINELS (the master group name)');
  if (!sentinels && e.HERALD_REDIS_SENTINEL_MASTER) problems.push('HERALD_REDIS_SENTINEL_MASTER: only used with HERALD_REDIS_SENTINELS, which is not set');
  if (!sentinels && e.HERALD_REDIS_SENTINEL_PASSWORD) problems.push('HERALD_REDIS_SENTINEL_PASSWORD: only used with HERALD_REDIS_SENTINELS, which is not set');
  if (!sentinels && !cluster && e.HERALD_REDIS_PASSWORD) {
    problems.push('HERALD_REDIS_PASSWORD: only used with HERALD_REDIS_SENTINELS or HERALD_REDIS_CLUSTER_NODES; with REDIS_URL put it in the URL (redis://:password@host:port)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (sentinels && e.HERALD_REDIS_SENTINEL_MASTER) {
    return {
      mode: 'sentinel',
      sentinels,
      masterName: e.HERALD_REDIS_SENTINEL_MASTER,
      password: e.HERALD_REDIS_PASSWORD,
      sentinelPassword: e.HERALD_REDIS_SENTINEL_PASSWORD,
    };
  }
  if (cluster) return { mode: 'cluster', nodes: cluster, password: e.HERALD_REDIS_PASSWORD };
  return { mode: 'single', url: e.REDIS_URL };
}

/** A copy safe to log: secrets replaced by a marker. */
export function maskConfig(config: HeraldConfig): Record<string, unknown> {
  return {
    ...config,
    db: { url: maskUrl(config.db.url) },
    redis: { ...config.redis, connection: maskRedis(config.redis.connection) },
    security: { adminToken: '***', masterKeys: config.security.masterKeys.map((k) => `${k.kid}:***`) },
  };
}

function maskRedis(connection: RedisConnectionConfig): Record<string, unknown> {
  switch (connection.mode) {
    case 'single':
      return { ...connection, url: maskUrl(connection.url) };
    case 'sentinel':
      return { ...connection, password: connection.password && '***', sentinelPassword: connection.sentinelPassword && '***' };
    case 'cluster':
      return { ...connection, password: connection.password && '***' };
  }
}

function maskUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Reads the process environment. The one sanctioned reader of `process.env`. */
export function loadConfigFromProcess(): HeraldConfig {
  // eslint-disable-next-line no-restricted-properties -- the config lib is the one place allowed to read the environment
  return loadConfig(process.env);
}
