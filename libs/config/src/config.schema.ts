import { z } from 'zod';

/**
 * Every environment variable Herald reads, in one place, with its default and meaning.
 * `process.env` is read nowhere else (lint rule `no-restricted-properties`).
 */
const csv = (s: string): string[] =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);

const booleanString = z
  .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1');

const positiveInt = z.coerce.number({ message: 'expected a number' }).int('expected an integer').positive('expected a positive integer');

const cidrList = z
  .string()
  .transform(csv)
  .refine((items) => items.every((c) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(c)), {
    message: 'expected a comma-separated list of CIDRs like 10.0.0.0/8,::1/128',
  });

/** `host:port,…` (IPv6 hosts in brackets) → [{host, port}]: Sentinel and Cluster seed addresses. */
const hostPortList = z
  .string()
  .transform(csv)
  .superRefine((items, ctx) => {
    if (items.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one host:port' });
    for (const item of items) {
      const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `expected host:port entries, comma-separated (got "${item}")` });
        return;
      }
    }
  })
  .transform((items) =>
    items.map((item) => {
      const at = item.lastIndexOf(':');
      return { host: item.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(item.slice(at + 1)) };
    }),
  );

const masterKeyRing = z
  .string()
  .transform(csv)
  .superRefine((entries, ctx) => {
    if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one key' });
    for (const entry of entries) {
      const [kid, key, extra] = entry.split(':');
      if (extra !== undefined || !kid || !key || !/^[A-Za-z0-9_-]{1,32}$/.test(kid)) {
        ctx.addIssue({ code: 'custom', message: 'expected kid:base64key entries, comma-separated' });
        return;
      }
      if (Buffer.from(key, 'base64').length !== 32) {
        ctx.addIssue({ code: 'custom', message: `key "${kid}" must be 32 bytes, base64-encoded` });
      }
    }
  })
  .transform((entries) =>
    entries.map((entry) => {
      const [kid, key] = entry.split(':') as [string, string];
      return { kid, key: Buffer.from(key, 'base64') };
    }),
  );

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** PostgreSQL connection string. */
  DATABASE_URL: z.url({ message: 'expected a postgresql:// URL' }).default('postgresql://postgres:postgres@127.0.0.1:5432/herald'),
  /** How long to wait for a PostgreSQL connection (a new one, or a free one from the pool) before the request fails (503). */
  HERALD_DB_CONNECT_TIMEOUT_MS: positiveInt.max(300000).default(5000),
  /** Redis connection string (wake-ups, rate limits, heartbeats, retention jobs): one server. */
  REDIS_URL: z.url({ message: 'expected a redis:// URL' }).default('redis://127.0.0.1:6379'),
  /** Redis Sentinel addresses, host:port comma-separated: Herald follows the master they name (instead of REDIS_URL). */
  HERALD_REDIS_SENTINELS: hostPortList.optional(),
  /** The master group the sentinels watch (`sentinel monitor <name> …`); required with HERALD_REDIS_SENTINELS. */
  HERALD_REDIS_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a master name (letters, digits, . _ -)').optional(),
  /** Password of the sentinels themselves, if they require one (secret). */
  HERALD_REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Redis Cluster seed nodes, host:port comma-separated (instead of REDIS_URL); Herald's keys are hash-tagged into one slot. */
  HERALD_REDIS_CLUSTER_NODES: hostPortList.optional(),
  /** Password of the Redis servers behind Sentinel or Cluster (secret); with REDIS_URL, the password goes in the URL. */
  HERALD_REDIS_PASSWORD: z.string().min(1).optional(),
  /** API listen port. */
  PORT: positiveInt.max(65535).default(8071),
  /** Address the API binds. */
  HOST: z.string().default('127.0.0.1'),
  /** Operator token for /api/v1/admin (secret). */
  HERALD_ADMIN_TOKEN: z.string().min(24, 'expected at least 24 characters').optional(),
  /** Master key ring `kid:base64key,…`, first is active (secret). */
  HERALD_MASTER_KEYS: masterKeyRing.optional(),
  /** Seconds between tries after the first. */
  HERALD_RETRY_SCHEDULE: z
    .string()
    .default('5,300,1800,7200,18000,36000,36000')
    .transform(csv)
    .pipe(z.array(z.string().regex(/^\d+$/, 'expected whole seconds').transform(Number)).min(1, 'expected at least one delay')),
  /** Timeout of one outbound delivery request. */
  HERALD_DELIVERY_TIMEOUT_MS: positiveInt.default(15000),
  /** Reject http:// endpoint URLs (default true in production). */
  HERALD_ENDPOINT_HTTPS_ONLY: booleanString.optional(),
  /** Networks exempt from the private-address block. */
  HERALD_DELIVERY_ALLOWED_CIDRS: cidrList.default([]),
  /** Disable an endpoint after this many hours of nothing but failures. */
  HERALD_ENDPOINT_FAILURE_DISABLE_AFTER_HOURS: positiveInt.default(120),
  /** Default (and maximum) payload retention for new tenants. */
  HERALD_DEFAULT_PAYLOAD_RETENTION_DAYS: positiveInt.max(3650).default(90),
  /** API requests per second per API key (burst 2×). */
  HERALD_API_RATE_LIMIT: positiveInt.default(1000),
  /** Failed authentications per minute per client address (IPv6: per /64) before it gets 429 (docs/decisions/0013). */
  HERALD_AUTH_FAILURE_LIMIT: positiveInt.default(100),
  /** Largest accepted request body, bytes. */
  HERALD_MAX_PAYLOAD_BYTES: positiveInt.default(1048576),
  /** Bytes of received request bodies the API parses and stores at once (bounds its memory); more wait. */
  HERALD_API_MAX_INFLIGHT_BODY_BYTES: positiveInt.min(65536).default(4194304),
  /** How long a request body waits for that budget before the request answers 503 with Retry-After. */
  HERALD_API_BODY_WAIT_MS: positiveInt.max(300000).default(10000),
  /** Folder of the built web UI (console and app portal) the API serves; relative paths start at the working directory. */
  HERALD_WEB_UI_DIR: z.string().min(1).default('dist/console'),
  /** Proxies whose X-Forwarded-For is believed. */
  HERALD_TRUST_PROXY: cidrList.default([]),
  /** Requests in flight per dispatcher process (its slots). */
  HERALD_DISPATCHER_CONCURRENCY: positiveInt.max(10000).default(200),
  /** Bytes of payload in flight per dispatcher process at most (bounds its memory). */
  HERALD_DISPATCHER_MAX_INFLIGHT_BYTES: positiveInt.min(1048576).default(33554432),
  /** Share of a dispatcher's slots one tenant may hold at most (0–1]: the rest stays free for the others. */
  HERALD_DISPATCHER_TENANT_SHARE: z.coerce.number({ message: 'expected a number' }).gt(0, 'expected more than 0').max(1, 'expected at most 1').default(0.5),
  /** Requests in flight per endpoint, fleet-wide, unless the endpoint sets its own (maxInFlight). */
  HERALD_ENDPOINT_MAX_IN_FLIGHT: positiveInt.max(1000).default(10),
  /** Failed attempts in a row that open an endpoint's circuit breaker (its deliveries are parked). */
  HERALD_CIRCUIT_FAILURE_THRESHOLD: positiveInt.max(1000).default(5),
  /** Seconds before the first probe of an open circuit; doubles after each failed probe… */
  HERALD_CIRCUIT_PROBE_MIN_SECONDS: positiveInt.max(86400).default(5),
  /** …up to this many seconds. */
  HERALD_CIRCUIT_PROBE_MAX_SECONDS: positiveInt.max(86400).default(300),
  /** DNS servers for resolving endpoint hosts (ip[:port], comma-separated); empty: the system's. */
  HERALD_DNS_SERVERS: z
    .string()
    .transform(csv)
    .refine((items) => items.every((s) => /^(\[[0-9a-fA-F:]+\]|[0-9.]+)(:\d{1,5})?$|^[0-9a-fA-F:]+$/.test(s)), { message: 'expected ip[:port] entries, comma-separated' })
    .default([]),
  /** Redis key prefix for queues (lets tests and benches run side by side). */
  HERALD_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/, 'expected letters, digits, : _ -').default('herald'),
  /** pino log level. */
  HERALD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Extra CA certificates (PEM file) trusted for outbound deliveries, besides the public roots. */
  HERALD_DELIVERY_CA_FILE: z.string().min(1).optional(),
  /** Port of the dispatcher's Prometheus /metrics (0 = off), bound to HOST. */
  HERALD_DISPATCHER_METRICS_PORT: z.coerce.number({ message: 'expected a number' }).int('expected an integer').min(0).max(65535).default(9465),
  /** Seconds between outbox sweeps (lane discovery: finds due deliveries nobody was told about). */
  HERALD_OUTBOX_SWEEP_SECONDS: positiveInt.default(5),
  /** Minutes between retention runs. */
  HERALD_RETENTION_INTERVAL_MINUTES: positiveInt.default(60),
  /** Port of the retention worker's Prometheus /metrics (0 = off), bound to HOST. */
  HERALD_RETENTION_METRICS_PORT: z.coerce.number({ message: 'expected a number' }).int('expected an integer').min(0).max(65535).default(9466),
  /** Rows per retention statement (each its own short transaction). */
  HERALD_RETENTION_BATCH_SIZE: positiveInt.max(50000).default(2000),
  /** Pause between retention batches, ms: gives live traffic the machine back between statements. */
  HERALD_RETENTION_BATCH_PAUSE_MS: z.coerce.number({ message: 'expected a number' }).int('expected an integer').min(0).max(10000).default(0),
  /** How often a retention worker looks for background tasks to run (recover, replays, expunge-all), ms. */
  HERALD_TASK_POLL_MS: positiveInt.max(60000).default(1000),
  /** How long a worker holds a background task without committing a step before another may take it over, seconds. */
  HERALD_TASK_LEASE_SECONDS: positiveInt.max(3600).default(30),
  /** Rows per background-task step (each step its own short transaction, committed with the task's cursor). */
  HERALD_TASK_BATCH_SIZE: positiveInt.max(10000).default(500),
  /** Pause between two steps of a background task, ms: leaves the database to live traffic between statements. */
  HERALD_TASK_BATCH_PAUSE_MS: z.coerce.number({ message: 'expected a number' }).int('expected an integer').min(0).max(10000).default(0),
});

export type HeraldEnv = z.input<typeof envSchema>;
