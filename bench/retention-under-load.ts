import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Api, appEntry, createDatabase, dropDatabase, dropRedisPrefix, freePort, log, paced, percentile, ProcessGroup, queuePrefix, Receiver, ROOT, serviceEnv, sleep, waitForHealth } from './harness';

/**
 * `npm run bench:retention`: does purging a large backlog of expired rows hurt live deliveries?
 * Starts the real API and dispatcher (not the retention worker: the purge is started
 * explicitly) on a throwaway database and Redis prefix, plus the receiver. Tenant A carries
 * live traffic (one app, one endpoint at the receiver); tenant B gets N messages (each with a
 * delivery and an attempt) inserted directly in SQL, all older than its metadata retention.
 * Then, at the same paced rate for tenant A: a phase without purge, a phase while
 * `herald retention run --tenant B` runs (as the operator would start it), and a recovery
 * phase. Prints a table, then one JSON line.
 */
const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    messages: { type: 'string' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    'skip-recovery': { type: 'boolean', default: false },
    'batch-pause-ms': { type: 'string', default: '0' },
    'keep-db': { type: 'boolean', default: false },
    server: { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const SMOKE = args.smoke;
const N = Number(args.messages ?? (SMOKE ? 20_000 : 1_000_000));
const RATE = Number(args.rate);
const BATCH_PAUSE_MS = Number(args['batch-pause-ms']);
const SECONDS = Number(SMOKE && args.seconds === '20' ? 5 : args.seconds);
for (const [name, v] of [['messages', N], ['rate', RATE], ['seconds', SECONDS]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
}
/** The purge phase's load runs until the purge ends, at most this long. */
const PURGE_CAP_SECONDS = 600;
const CONCURRENCY = 200;
const API_CONNECTIONS = 256;
const ADMIN_TOKEN = randomBytes(24).toString('hex');
/** Tenant B's rows are this old: past the default metadata retention (90 days), so they are deleted. */
const AGE_DAYS = 100;
const METADATA_DAYS = 90;

const runId = `bench_ret_${Date.now().toString(36)}`;
const group = new ProcessGroup(runId);

interface PacedFigures {
  seconds: number;
  sent: number;
  delivered_unique: number;
  duplicates: number;
  e2e_p50_ms: number;
  e2e_p90_ms: number;
  e2e_p99_ms: number;
  e2e_max_ms: number;
  api_p50_ms: number;
  api_p99_ms: number;
}

interface PurgeCounts {
  payloadsErased: number;
  responsesErased: number;
  messagesDeleted: number;
  attemptsDeleted: number;
  deliveriesDeleted: number;
}
interface RetentionRunJson {
  durationMs: number;
  complete: boolean;
  totals: PurgeCounts;
  failures: unknown[];
}

async function pacedPhase(api: Api, receiver: Receiver, appId: string, until?: Promise<unknown>): Promise<PacedFigures> {
  await receiver.reset();
  const start = Date.now();
  const { sent, apiMs } = await paced(api, appId, RATE, until ? PURGE_CAP_SECONDS : SECONDS, until);
  const seconds = (Date.now() - start) / 1000;
  apiMs.sort((a, b) => a - b);
  const stats = await receiver.waitFor(sent, 60_000);
  const sorted = (await receiver.latencies()).sort((a, b) => a - b);
  return {
    seconds: Number(seconds.toFixed(1)),
    sent,
    delivered_unique: stats.unique,
    duplicates: stats.count - stats.unique,
    e2e_p50_ms: percentile(sorted, 50),
    e2e_p90_ms: percentile(sorted, 90),
    e2e_p99_ms: percentile(sorted, 99),
    e2e_max_ms: sorted[sorted.length - 1] ?? NaN,
    api_p50_ms: Number(percentile(apiMs, 50).toFixed(1)),
    api_p99_ms: Number(percentile(apiMs, 99).toFixed(1)),
  };
}

/** Tenant B's backlog: N messages with one delivery and one attempt each, AGE_DAYS old. */
async function insertBacklog(sql: Client, tenantId: string, appId: string, endpointId: string): Promise<void> {
  // ~1 KiB ciphertext stand-ins. Rows stay under PostgreSQL's TOAST threshold (~2 KiB), so they
  // are stored inline and uncompressed whatever their content: size, not randomness, is what counts.
  await sql.query(
    `INSERT INTO messages (id, tenant_id, app_id, event_type, payload_enc, payload_size, payload_expires_at, created_at)
     SELECT 'msg_bench' || lpad(i::text, 22, '0'), $1, $2, 'bench.event', decode(repeat(md5(i::text), 64), 'hex'), 1000,
            now() - interval '${AGE_DAYS - METADATA_DAYS} days' - i * interval '1 millisecond',
            now() - interval '${AGE_DAYS} days' - i * interval '1 millisecond'
     FROM generate_series(1, $3::int) AS i`,
    [tenantId, appId, N],
  );
  await sql.query(
    `INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, attempt_count, last_attempt_at, created_at, updated_at)
     SELECT 'dlv_bench' || lpad(i::text, 22, '0'), $1, $2, 'msg_bench' || lpad(i::text, 22, '0'), $3, 'success', 1,
            now() - interval '${AGE_DAYS} days' - i * interval '1 millisecond',
            now() - interval '${AGE_DAYS} days' - i * interval '1 millisecond', now() - interval '${AGE_DAYS} days'
     FROM generate_series(1, $4::int) AS i`,
    [tenantId, appId, endpointId, N],
  );
  await sql.query(
    `INSERT INTO attempts (id, tenant_id, app_id, message_id, endpoint_id, delivery_id, url, status, response_status,
                           response_enc, duration_ms, trigger_type, created_at)
     SELECT 'atmpt_bench' || lpad(i::text, 22, '0'), $1, $2, 'msg_bench' || lpad(i::text, 22, '0'), $3, 'dlv_bench' || lpad(i::text, 22, '0'),
            'http://127.0.0.1/b', 0, 204, decode(repeat(md5(i::text), 4), 'hex'), 10, 0,
            now() - interval '${AGE_DAYS} days' - i * interval '1 millisecond'
     FROM generate_series(1, $4::int) AS i`,
    [tenantId, appId, endpointId, N],
  );
}

/** `herald retention run --tenant <id>` as a child process with the services' environment. */
function runPurge(env: NodeJS.ProcessEnv, tenantId: string): Promise<{ json: RetentionRunJson; wallSeconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps/cli/src/main.js'), 'retention', 'run', '--tenant', tenantId], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  group.add('purge-cli', child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.pipe(createWriteStream(path.join(group.logDir, 'purge-cli.log')));
  const killer = setTimeout(() => child.kill('SIGTERM'), PURGE_CAP_SECONDS * 1000);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      clearTimeout(killer);
      group.sampleRss();
      const wallSeconds = (performance.now() - started) / 1000;
      const at = out.indexOf('{');
      if (code !== 0 || at < 0) return reject(new Error(`retention run exited ${code}: ${out.slice(0, 2000)}; see ${group.logDir}/purge-cli.log`));
      resolve({ json: JSON.parse(out.slice(at)) as RetentionRunJson, wallSeconds });
    });
  });
}

async function main(): Promise<void> {
  const dbName = `herald_${runId}`;
  const databaseUrl = `${args.server}/${dbName}`;
  log(`retention under load ${SMOKE ? '(smoke) ' : ''}— ${N} messages, ${RATE} msg/s; database ${dbName}, logs in ${path.relative(ROOT, group.logDir)}`);
  await createDatabase(databaseUrl);

  const receiver = await Receiver.start(group, SMOKE ? 20 : 50);
  const apiPort = await freePort();
  const env = serviceEnv({ databaseUrl, redisUrl: args.redis, apiPort, runId, adminToken: ADMIN_TOKEN, masterKey: randomBytes(32).toString('base64'), concurrency: CONCURRENCY, deliveryTimeoutMs: 15_000 });
  group.start('api', appEntry('api'), env);
  group.start('dispatcher', appEntry('dispatcher'), env);
  const rssSampler = setInterval(() => group.sampleRss(), 250);
  const api = new Api(`http://127.0.0.1:${apiPort}`, '', API_CONNECTIONS);
  const sql = new Client({ connectionString: databaseUrl });
  await sql.connect();
  const results: Record<string, unknown> = { messages: N, rate: RATE };
  try {
    await waitForHealth(api, group.logDir);

    // Tenant A: live traffic. Tenant B: the purge target. Both through the operator API.
    const a = await api.must<{ apiKey: { key: string } }>('POST', '/api/v1/admin/tenants', { name: 'bench live' }, ADMIN_TOKEN);
    api.token = a.apiKey.key;
    const appA = await api.must<{ id: string }>('POST', '/api/v1/app', { name: 'bench live' });
    await api.must('POST', `/api/v1/app/${appA.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/live`, description: 'bench' });
    const b = await api.must<{ tenant: { id: string }; apiKey: { key: string } }>('POST', '/api/v1/admin/tenants', { name: 'bench purge' }, ADMIN_TOKEN);
    const tenantB = b.tenant.id;
    const appB = await api.must<{ id: string }>('POST', '/api/v1/app', { name: 'bench purge' }, b.apiKey.key);
    const epB = await api.must<{ id: string }>('POST', `/api/v1/app/${appB.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/purged`, description: 'never called' }, b.apiKey.key);
    const policy = await sql.query<{ metadata_retention_days: number }>('SELECT metadata_retention_days FROM tenant_settings WHERE tenant_id = $1', [tenantB]);
    if (policy.rows[0]?.metadata_retention_days !== METADATA_DAYS) throw new Error(`tenant B's metadata retention is ${policy.rows[0]?.metadata_retention_days}, expected ${METADATA_DAYS}`);

    log(`inserting ${N} messages + deliveries + attempts for tenant B…`);
    let t0 = performance.now();
    await insertBacklog(sql, tenantB, appB.id, epB.id);
    const insertSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await sql.query('VACUUM ANALYZE messages, deliveries, attempts');
    const vacuumSeconds = (performance.now() - t0) / 1000;
    const sizes = await sql.query<{ payload_bytes: number; messages_mb: number; deliveries_mb: number; attempts_mb: number }>(
      `SELECT (SELECT avg(pg_column_size(payload_enc))::int FROM (SELECT payload_enc FROM messages WHERE tenant_id = $1 LIMIT 1000) s) AS payload_bytes,
              (pg_total_relation_size('messages') / 1048576)::int AS messages_mb,
              (pg_total_relation_size('deliveries') / 1048576)::int AS deliveries_mb,
              (pg_total_relation_size('attempts') / 1048576)::int AS attempts_mb`,
      [tenantB],
    );
    results['setup'] = { insert_s: Number(insertSeconds.toFixed(1)), vacuum_analyze_s: Number(vacuumSeconds.toFixed(1)), ...sizes.rows[0] };
    log(`setup: ${JSON.stringify(results['setup'])}`);

    // Warm-up (connections, JIT), not measured.
    await paced(api, appA.id, RATE, SMOKE ? 1 : 3);
    await sleep(1000);

    results['paced_without_purge'] = await pacedPhase(api, receiver, appA.id);
    log(`without purge: ${JSON.stringify(results['paced_without_purge'])}`);

    const purge = runPurge({ ...env, HERALD_RETENTION_BATCH_PAUSE_MS: String(BATCH_PAUSE_MS) }, tenantB);
    results['paced_with_purge'] = await pacedPhase(api, receiver, appA.id, purge);
    const { json, wallSeconds } = await purge;
    log(`with purge: ${JSON.stringify(results['paced_with_purge'])}`);
    const seconds = json.durationMs / 1000;
    const t = json.totals;
    const rows = t.messagesDeleted + t.deliveriesDeleted + t.attemptsDeleted + t.payloadsErased + t.responsesErased;
    const perS = (n: number): number => Math.round(n / seconds);
    results['purge'] = {
      batch_pause_ms: BATCH_PAUSE_MS,
      messages: t.messagesDeleted,
      seconds: Number(seconds.toFixed(1)),
      process_wall_s: Number(wallSeconds.toFixed(1)),
      complete: json.complete,
      rows,
      rows_per_s: perS(rows),
      messages_per_s: perS(t.messagesDeleted),
      by_kind: Object.fromEntries(Object.entries(t).map(([k, n]) => [k, { rows: n, per_s: perS(n) }])),
    };
    log(`purge: ${JSON.stringify(results['purge'])}`);

    if (!args['skip-recovery']) {
      results['paced_after_purge'] = await pacedPhase(api, receiver, appA.id);
      log(`after purge: ${JSON.stringify(results['paced_after_purge'])}`);
    }

    results['verify'] = await verify(sql, tenantB);
    const v = results['verify'] as Record<string, number>;
    if (t.messagesDeleted !== N || t.deliveriesDeleted !== N || t.attemptsDeleted !== N) throw new Error(`purge counts ${JSON.stringify(t)} ≠ ${N} each`);
    if (v['b_expired_messages'] || v['b_expired_deliveries'] || v['b_expired_attempts']) throw new Error(`tenant B still has expired rows: ${JSON.stringify(v)}`);
    if (v['a_succeeded'] !== v['a_deliveries']) throw new Error(`tenant A deliveries not all success: ${JSON.stringify(v)}`);
  } finally {
    clearInterval(rssSampler);
    await group.stopAll();
    await sql.end();
    await api.pool.close();
    if (!args['keep-db']) {
      await dropDatabase(args.server, dbName);
      await dropRedisPrefix(args.redis, queuePrefix(runId));
    }
  }
  results['rss_mb'] = group.rssByName();
  printTable(results);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

/** Tenant B's rows older than its policy (must be none) and tenant A's delivery outcomes (polled: the receiver sees a request before the dispatcher records it). */
async function verify(sql: Client, tenantB: string): Promise<Record<string, number>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { rows } = await sql.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM messages WHERE tenant_id = $1 AND created_at < now() - make_interval(days => $2)) AS b_expired_messages,
              (SELECT count(*) FROM deliveries WHERE tenant_id = $1 AND created_at < now() - make_interval(days => $2)) AS b_expired_deliveries,
              (SELECT count(*) FROM attempts WHERE tenant_id = $1 AND created_at < now() - make_interval(days => $2)) AS b_expired_attempts,
              (SELECT count(*) FROM deliveries WHERE tenant_id <> $1) AS a_deliveries,
              (SELECT count(*) FROM deliveries WHERE tenant_id <> $1 AND status = 'success') AS a_succeeded`,
      [tenantB, METADATA_DAYS],
    );
    const v = Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, n]) => [k, Number(n)]));
    if (v['a_succeeded'] === v['a_deliveries'] || Date.now() > deadline) return v;
    await sleep(200);
  }
}

function printTable(r: Record<string, unknown>): void {
  const rows: [string, string][] = [];
  const setup = r['setup'] as { insert_s: number; vacuum_analyze_s: number; payload_bytes: number; messages_mb: number; deliveries_mb: number; attempts_mb: number };
  rows.push(['backlog insert (SQL) / VACUUM ANALYZE', `${setup.insert_s} s / ${setup.vacuum_analyze_s} s`]);
  rows.push(['tables messages / deliveries / attempts', `${setup.messages_mb} / ${setup.deliveries_mb} / ${setup.attempts_mb} MB (payload ${setup.payload_bytes} B)`]);
  const purge = r['purge'] as { messages: number; seconds: number; rows: number; rows_per_s: number; messages_per_s: number; process_wall_s: number };
  rows.push(['purge', `${purge.messages} messages, ${purge.rows} rows in ${purge.seconds} s (CLI process ${purge.process_wall_s} s)`]);
  rows.push(['purge rate', `${purge.messages_per_s} messages/s = ${purge.rows_per_s} rows/s`]);
  for (const key of ['paced_without_purge', 'paced_with_purge', 'paced_after_purge']) {
    const p = r[key] as PacedFigures | undefined;
    if (!p) continue;
    rows.push([`${key.slice(6).replace(/_/g, ' ')}: e2e p50/p90/p99/max`, `${p.e2e_p50_ms} / ${p.e2e_p90_ms} / ${p.e2e_p99_ms} / ${p.e2e_max_ms} ms (${p.delivered_unique}/${p.sent} in ${p.seconds} s)`]);
    rows.push([`${key.slice(6).replace(/_/g, ' ')}: API p50/p99`, `${p.api_p50_ms} / ${p.api_p99_ms} ms`]);
  }
  for (const [name, mb] of Object.entries(r['rss_mb'] as Record<string, number>)) rows.push([`peak RSS ${name}`, `${mb} MB`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nHerald retention under load${SMOKE ? ' (smoke)' : ''} — ${r['messages']} expired messages, live load ${r['rate']} msg/s\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  group.killAll();
  process.exit(1);
});
