import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { Api, appEntry, CpuMeter, createDatabase, dropDatabase, dropRedisPrefix, freePort, log, paced, percentile, ProcessGroup, queuePrefix, Receiver, ROOT, sendMessage, serviceEnv, setPayloadBytes, settle, SHIPPED, sleep, waitForHealth, type ReceiverStats } from './harness';

/**
 * `npm run bench`: starts the real API, dispatcher and retention worker against local
 * PostgreSQL/Redis (a throwaway database and Redis prefix), a receiver on 127.0.0.1, and
 * measures in one run: the raw HTTP ceiling, sustained end-to-end rate, paced latency,
 * fan-out, backlog drain and peak RSS. Prints a table, then one JSON line.
 * `--smoke` runs tiny counts (used by `npm test` so the bench never rots).
 */
const { values: args } = parseArgs({
  allowNegative: true,
  options: {
    smoke: { type: 'boolean', default: false },
    // Writes V8 CPU profiles of the API and the dispatcher to bench-results/<run>/profiles.
    profile: { type: 'boolean', default: false },
    // For quick experiments: a subset of phases (raw,sustained,paced,fanout,drain,fairness) and paced rates.
    // `raw` samples the ceiling around the sustained phase and the drain, so it needs one of them.
    only: { type: 'string', default: 'raw,sustained,paced,fanout,drain,fairness' },
    rates: { type: 'string' },
    // Seconds of each paced rate (8 by default): longer ones take in their own write-back.
    'paced-seconds': { type: 'string' },
    // Each message's payload in bytes (994 by default, ≈ 1 KiB). The raw ceiling keeps its
    // 1 KiB body, so with another size the ratios compare builds, not Herald with the ceiling.
    'payload-bytes': { type: 'string' },
    // A checkpoint and `sync` before each phase and ceiling sample (`settle` in harness.ts);
    // `--no-settle` measures each phase with the earlier phases' write-back still to come.
    // Off by default with --smoke (see SETTLE).
    settle: { type: 'boolean' },
    // Extra Node flags for the dispatcher (e.g. heap limits), space-separated.
    // The heap caps of `npm start` and the Dockerfile, so the bench measures what ships. With a
    // small old space V8 also shrinks the young generation; a fixed semi-space keeps scavenges rare.
    'dispatcher-node-args': { type: 'string', default: SHIPPED.dispatcherNodeArgs },
    // Dispatcher processes (they share the work through PostgreSQL claims, as replicas do).
    dispatchers: { type: 'string', default: '1' },
    'api-node-args': { type: 'string', default: SHIPPED.apiNodeArgs },
    // Extra settings for every Herald process, e.g. `--service-env HERALD_ENDPOINT_MAX_IN_FLIGHT=20` (repeatable);
    // `NAME=` with no value removes a shipped one (`MALLOC_MMAP_THRESHOLD_=`: glibc's own default).
    'service-env': { type: 'string', multiple: true, default: [] },
    'keep-db': { type: 'boolean', default: false },
    server: { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const SMOKE = args.smoke;
/** Ratios are printed to four places: to three, 0.0996 read as 0.1, which looks like the 0.10 bar met. */
const RATIO_DIGITS = 4;
/**
 * The smoke run shares the machine and the PostgreSQL server with the parallel test suite: a
 * checkpoint and a machine-wide `sync` there can stall the other specs' commits (while it
 * settled, two timing-bound specs failed in four CI runs, none in the five before), and its tiny
 * phases have no write-back to wait for. `--settle` turns it on anyway.
 */
const SETTLE = args.settle ?? !SMOKE;
const PLAN = SMOKE
  ? { rawSeconds: 1, sustainedSeconds: 2, pacedRates: [100], pacedSeconds: 2, fanoutMessages: 20, drainDeliveries: 500, producers: 8 }
  : { rawSeconds: 5, sustainedSeconds: 15, pacedRates: [500, 1000, 2000, 3000], pacedSeconds: 8, fanoutMessages: 1500, drainDeliveries: 50_000, producers: 256 };
/**
 * Fairness (issue 11): a noisy tenant whose endpoints accept connections and never answer
 * sends a burst; once the burst is accepted, a quiet tenant with one healthy endpoint sends at
 * a steady rate. Its latency is compared with the same rate while the noisy tenant is idle.
 */
const FAIRNESS = SMOKE
  ? { noisyEndpoints: 2, noisyMessages: 40, quietRate: 10, quietSeconds: 3, idleSeconds: 2, timeoutMs: 1_000 }
  : { noisyEndpoints: 20, noisyMessages: 4_000, quietRate: 50, quietSeconds: 30, idleSeconds: 10, timeoutMs: 5_000 };
const PHASES = new Set(args.only.split(','));
/** A flag's value as a positive number (else the run stops before it starts). */
function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${flag} wants positive numbers, got ${text}`);
  return value;
}
if (args.rates) PLAN.pacedRates = args.rates.split(',').map((rate) => positive('rates', rate));
if (args['paced-seconds']) PLAN.pacedSeconds = positive('paced-seconds', args['paced-seconds']);
const PAYLOAD_BYTES = args['payload-bytes'] ? positive('payload-bytes', args['payload-bytes']) : 994;
setPayloadBytes(PAYLOAD_BYTES);
const CONCURRENCY = 200;
/** Closed-loop producers need enough requests in flight for the API's group commits to fill. */
const API_CONNECTIONS = 256;
const ADMIN_TOKEN = randomBytes(24).toString('hex');

const runId = `bench_${Date.now().toString(36)}`;
const group = new ProcessGroup(runId);
const logDir = group.logDir;

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

/** The phases whose rates the issue's targets divide by the raw ceiling. */
type RatedPhase = 'sustained' | 'drain';

const mean = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));

/** Unique arrivals per second over [start, last unique arrival]. */
function rate(stats: ReceiverStats, start: number): number {
  return Math.round(stats.unique / Math.max(0.001, (stats.lastAt - start) / 1000));
}

async function main(): Promise<void> {
  const dbName = `herald_${runId}`;
  const databaseUrl = `${args.server}/${dbName}`;
  log(`bench ${SMOKE ? '(smoke) ' : ''}database ${dbName}, logs in ${path.relative(ROOT, logDir)}`);
  await createDatabase(databaseUrl);

  const receiver = await Receiver.start(group, SMOKE ? 20 : 50);
  const apiPort = await freePort();
  const env = serviceEnv({
    databaseUrl,
    redisUrl: args.redis,
    apiPort,
    runId,
    adminToken: ADMIN_TOKEN,
    masterKey: randomBytes(32).toString('base64'),
    concurrency: CONCURRENCY,
    // The fairness phase's dead endpoints time out at this; healthy phases never reach it.
    deliveryTimeoutMs: FAIRNESS.timeoutMs,
  });
  for (const setting of args['service-env']) {
    const eq = setting.indexOf('=');
    if (eq <= 0) throw new Error(`--service-env wants NAME=VALUE, got ${setting}`);
    const [name, value] = [setting.slice(0, eq), setting.slice(eq + 1)];
    if (value === '') delete env[name];
    else env[name] = value;
  }
  // Node 20 refuses --cpu-prof in NODE_OPTIONS: pass it on the command line.
  const profile = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(logDir, 'profiles')}`] : [];
  group.start('api', appEntry('api'), env, [...profile, ...args['api-node-args'].split(' ').filter(Boolean)]);
  const dispatcherArgs = [...profile, ...args['dispatcher-node-args'].split(' ').filter(Boolean)];
  const dispatcherCount = Math.max(1, Number(args.dispatchers) || 1);
  const startDispatchers = (name: string): ReturnType<typeof group.start>[] =>
    Array.from({ length: dispatcherCount }, (_, i) => group.start(i === 0 ? name : `${name}-${i + 1}`, appEntry('dispatcher'), env, dispatcherArgs));
  let dispatchers = startDispatchers('dispatcher');
  group.start('retention', appEntry('retention'), env);
  const rssSampler = setInterval(() => group.sampleRss(), 250);

  const api = new Api(`http://127.0.0.1:${apiPort}`, '', API_CONNECTIONS);
  const cpu = new CpuMeter(group);
  const results: Record<string, unknown> = { payload_bytes: PAYLOAD_BYTES };
  // CPU µs per delivery of each process, per phase: steadier than the rates on a shared machine.
  const cpuPerDelivery: Record<string, Record<string, number>> = {};
  // Each process's peak RSS so far at the end of each phase: the phase where it rises set the peak.
  const rssAfter: Record<string, Record<string, number>> = {};
  // How long each settle took, in run order (`--no-settle`: empty).
  const settledMs: Record<string, number> = {};
  const settled = async (before: string): Promise<void> => {
    if (!SETTLE) return;
    settledMs[before] = await settle(databaseUrl);
    log(`settled before ${before} in ${settledMs[before]} ms`);
  };
  const markRss = (phase: string): void => {
    group.sampleRss();
    rssAfter[phase] = group.rssByName();
  };
  try {
    await waitForHealth(api, logDir);
    markRss('startup');

    // Raw ceiling, in its own process like the dispatcher's sender, measured right before and
    // right after each rated phase (sustained, drain): this machine's speed drifts by up to half
    // within one run, so each phase's ratio uses the mean of the two samples around it. Every
    // sample is printed.
    const rawSamples: number[] = [];
    const brackets: Record<RatedPhase, number[]> = { sustained: [], drain: [] };
    const measureRaw = async (phase: RatedPhase, when: 'before' | 'after'): Promise<void> => {
      if (!PHASES.has('raw')) return;
      await settled(`raw_${when}_${phase}`);
      const cpuStart = cpu.read();
      const raw = await rawCeiling(receiver.port);
      const perS = Math.round(raw.requestsPerSecond);
      rawSamples.push(perS);
      brackets[phase].push(perS);
      // Per request of the ceiling: its client is a process of its own, which reports its CPU.
      cpuPerDelivery[`raw_${when}_${phase}`] = cpu.perDelivery(cpuStart, raw.requests, { load_generator: raw.cpuMs });
      results['raw_http_samples'] = rawSamples;
      results['raw_http_per_s'] = mean(rawSamples);
      results[`raw_http_${phase}_per_s`] = mean(brackets[phase]);
      log(`raw ceiling ${when} ${phase}: ${perS} req/s`);
    };

    // Tenant, apps and endpoints through the real API.
    const created = await api.must<{ apiKey: { key: string } }>('POST', '/api/v1/admin/tenants', { name: 'bench' }, ADMIN_TOKEN);
    api.token = created.apiKey.key;
    const single = await api.must<{ id: string }>('POST', '/api/v1/app', { name: 'bench single' });
    await api.must('POST', `/api/v1/app/${single.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/single`, description: 'bench' });
    const fan = await api.must<{ id: string }>('POST', '/api/v1/app', { name: 'bench fanout' });
    for (let i = 0; i < 10; i++) await api.must('POST', `/api/v1/app/${fan.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/fan${i}`, description: `fan ${i}` });

    // Sustained: closed-loop producers through the HTTP API; rate = delivered / (first send → last arrival).
    if (PHASES.has('sustained')) {
      await measureRaw('sustained', 'before');
      await settled('sustained');
      await receiver.reset();
      const sustainedStart = Date.now();
      const cpuStart = cpu.read();
      const blasted = await blast(api, single.id, PLAN.producers, PLAN.sustainedSeconds);
      const sent = blasted.sent;
      const sustained = await receiver.waitFor(sent, 120_000);
      cpuPerDelivery['sustained'] = cpu.perDelivery(cpuStart, sustained.unique);
      results['sustained'] = {
        sent,
        delivered_unique: sustained.unique,
        duplicates: sustained.count - sustained.unique,
        seconds: (sustained.lastAt - sustainedStart) / 1000,
      };
      results['ingest_per_s'] = Math.round(sent / blasted.seconds);
      results['deliveries_per_s'] = rate(sustained, sustainedStart);
      log(`sustained: ${sent} sent, ${results['deliveries_per_s']} deliveries/s`);
      markRss('sustained');
      await measureRaw('sustained', 'after');
    }

    // Paced steps: latency from the producer's send to the receiver's arrival.
    for (const rate of PHASES.has('paced') ? PLAN.pacedRates : []) {
      await settled(`paced_${rate}`);
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
      markRss(`paced_${rate}`);
    }

    // Fan-out 1 → 10.
    if (PHASES.has('fanout')) {
      await settled('fanout');
      await receiver.reset();
      const fanStart = Date.now();
      const cpuStart = cpu.read();
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
      cpuPerDelivery['fanout'] = cpu.perDelivery(cpuStart, fanDone.unique);
      results['fanout'] = { messages: fanSent, deliveries: fanSent * 10, delivered_unique: fanDone.unique, duplicates: fanDone.count - fanDone.unique, seconds: (fanDone.lastAt - fanStart) / 1000 };
      results['fanout_deliveries_per_s'] = rate(fanDone, fanStart);
      log(`fan-out: ${results['fanout_deliveries_per_s']} deliveries/s`);
      markRss('fanout');
    }

    // Backlog drain: dispatcher stopped, queue a backlog, start it, time first → last arrival.
    if (PHASES.has('drain')) {
      await Promise.all(dispatchers.map((d) => group.stop(d)));
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
      await measureRaw('drain', 'before');
      await settled('drain');
      // After the ceiling's requests, which the receiver counts too.
      await receiver.reset();
      const drainBoot = Date.now();
      dispatchers = startDispatchers('dispatcher-drain');
      // From the first arrival, as the rate: the dispatcher's boot is not draining.
      const first = await receiver.waitFor(1, 30_000);
      const cpuStart = cpu.read();
      const drained = await receiver.waitFor(queued * 10, SMOKE ? 30_000 : 180_000);
      cpuPerDelivery['drain'] = cpu.perDelivery(cpuStart, drained.unique - first.unique);
      // The rate runs from the first arrival (the dispatcher's boot is not draining).
      results['drain'] = {
        deliveries: queued * 10,
        delivered_unique: drained.unique,
        duplicates: drained.count - drained.unique,
        boot_s: (drained.firstAt - drainBoot) / 1000,
        seconds: (drained.lastAt - drained.firstAt) / 1000,
      };
      results['drain_deliveries_per_s'] = rate(drained, drained.firstAt);
      markRss('drain');
      await measureRaw('drain', 'after');
    }
    results['persisted'] = await persistedCounts(databaseUrl);
    if (PHASES.has('fairness')) {
      await settled('fairness');
      results['fairness'] = await fairness(api, receiver, databaseUrl);
      markRss('fairness');
    }
    const ratio = (figure: unknown, phase: RatedPhase): number | null => {
      const q = quotient(figure, results[`raw_http_${phase}_per_s`]);
      return q === null ? null : Number(q.toFixed(RATIO_DIGITS));
    };
    results['ratio_deliveries_to_raw'] = ratio(results['deliveries_per_s'], 'sustained');
    results['ratio_drain_to_raw'] = ratio(results['drain_deliveries_per_s'], 'drain');
    results['cpu_us_per_delivery'] = cpuPerDelivery;
    // The same ratios by CPU: a raw request's CPU (the two samples around the phase) over a
    // delivery's. CPU per unit of work drifts less than rates do, so these say what the rates
    // would if the phase and its ceiling ran on the same machine.
    const cpuRatio = (phase: RatedPhase): number | null => {
      const rawCpu = (['before', 'after'] as const).flatMap((when) => cpuPerDelivery[`raw_${when}_${phase}`]?.['total'] ?? []);
      const spent = cpuPerDelivery[phase]?.['total'];
      return rawCpu.length > 0 && spent ? Number((rawCpu.reduce((a, b) => a + b, 0) / rawCpu.length / spent).toFixed(RATIO_DIGITS)) : null;
    };
    results['cpu_ratio_deliveries_to_raw'] = cpuRatio('sustained');
    results['cpu_ratio_drain_to_raw'] = cpuRatio('drain');
  } finally {
    clearInterval(rssSampler);
    await group.stopAll();
    await api.pool.close();
    if (!args['keep-db']) {
      await dropDatabase(args.server, dbName);
      await dropRedisPrefix(args.redis, queuePrefix(runId));
    }
  }
  results['settled_ms'] = settledMs;
  results['rss_mb'] = group.rssByName();
  results['rss_mb_after'] = rssAfter;
  results['targets_met'] = targetsMet(results);
  printTable(results);
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

/** A phase's rate over its ceiling, unrounded; null when either is missing. */
function quotient(figure: unknown, ceiling: unknown): number | null {
  return typeof figure === 'number' && typeof ceiling === 'number' && ceiling > 0 ? figure / ceiling : null;
}

/**
 * Issue 11's bars. Each is judged on the unrounded figures, so a ratio just under a bar is not
 * rounded over it.
 */
const TARGETS = { sustainedRatio: 0.1, drainRatio: 0.2, paced1000P99Ms: 100, peakRssMb: 300, quietP99Ms: 2000 };

/** Which of {@link TARGETS} this run met; null where the phase that measures one did not run. */
function targetsMet(r: Record<string, unknown>): Record<string, boolean | null> {
  const sustained = quotient(r['deliveries_per_s'], r['raw_http_sustained_per_s']);
  const drain = quotient(r['drain_deliveries_per_s'], r['raw_http_drain_per_s']);
  const paced = r['paced_1000'] as { e2e_p99_ms: number } | undefined;
  const rss = r['rss_mb'] as Record<string, number>;
  const served = Object.entries(rss).filter(([name]) => name === 'api' || name.startsWith('dispatcher'));
  const f = r['fairness'] as Record<string, number> | undefined;
  return {
    sustained_ratio: sustained === null ? null : sustained >= TARGETS.sustainedRatio,
    drain_ratio: drain === null ? null : drain >= TARGETS.drainRatio,
    paced_1000_p99: paced ? paced.e2e_p99_ms <= TARGETS.paced1000P99Ms : null,
    peak_rss: served.length > 0 ? served.every(([, mb]) => mb <= TARGETS.peakRssMb) : null,
    // Quiet p99 is NaN when no quiet message arrived: that fails like any other miss.
    fairness: f
      ? f['quiet_p99_ms']! <= TARGETS.quietP99Ms && f['quiet_arrived'] === f['quiet_sent'] && f['noisy_delivered_or_parked'] === f['noisy_deliveries'] && f['noisy_failed'] === 0
      : null,
  };
}

/** undici keep-alive POSTs straight to the receiver, in a process of its own (bench/raw-http.ts). */
function rawCeiling(receiverPort: number): Promise<{ requestsPerSecond: number; requests: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'raw-http.js'), [`http://127.0.0.1:${receiverPort}/`, String(CONCURRENCY), String(PLAN.rawSeconds)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { requestsPerSecond: number; requests: number; cpuMs: number }) : reject(new Error(`raw-http exited ${code}`))));
  });
}

/** The fairness phase: quiet tenant latency, idle and under a noisy tenant's dead endpoints. */
async function fairness(api: Api, receiver: Receiver, databaseUrl: string): Promise<Record<string, number>> {
  const tenant = async (name: string): Promise<Api> => {
    const created = await api.must<{ apiKey: { key: string } }>('POST', '/api/v1/admin/tenants', { name }, ADMIN_TOKEN);
    return new Api(api.url, created.apiKey.key, API_CONNECTIONS);
  };
  const quiet = await tenant('fairness quiet');
  const noisy = await tenant('fairness noisy');
  try {
    const quietApp = await quiet.must<{ id: string }>('POST', '/api/v1/app', { name: 'quiet' });
    await quiet.must('POST', `/api/v1/app/${quietApp.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/quiet` });
    const noisyApp = await noisy.must<{ id: string }>('POST', '/api/v1/app', { name: 'noisy' });
    for (let i = 0; i < FAIRNESS.noisyEndpoints; i++) await noisy.must('POST', `/api/v1/app/${noisyApp.id}/endpoint`, { url: `http://127.0.0.1:${receiver.port}/hang/noisy-${i}` });

    // The quiet tenant alone.
    await receiver.reset();
    const idle = await paced(quiet, quietApp.id, FAIRNESS.quietRate, FAIRNESS.idleSeconds);
    await receiver.waitFor(idle.sent, 30_000);
    const idleLatencies = (await receiver.latencies()).sort((a, b) => a - b);

    // The noisy burst, accepted by the API; then the quiet tenant's steady rate.
    await receiver.reset();
    let queued = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (queued < FAIRNESS.noisyMessages) {
          queued += 1;
          await sendMessage(noisy, noisyApp.id);
        }
      }),
    );
    log(`fairness: noisy burst of ${queued} messages (${queued * FAIRNESS.noisyEndpoints} deliveries to endpoints that never answer) accepted`);
    const busy = await paced(quiet, quietApp.id, FAIRNESS.quietRate, FAIRNESS.quietSeconds);
    const arrived = await receiver.waitFor(busy.sent, 60_000);
    const latencies = (await receiver.latencies()).sort((a, b) => a - b);

    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // 'pending' and 'sending' (the old dispatcher's in-flight state, so the same harness can drive it) are parked.
      const { rows } = await client.query<{ total: string; ok: string; failed: string; attempted: string }>(
        `SELECT (SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.app_id = $1) AS total,
                (SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.app_id = $1 AND d.status IN ('success', 'pending', 'sending')) AS ok,
                (SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.app_id = $1 AND d.status = 'failed') AS failed,
                (SELECT count(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.app_id = $1 AND d.attempt_count > 0) AS attempted`,
        [noisyApp.id],
      );
      const row = rows[0]!;
      const open = await client
        .query<{ n: string }>(`SELECT count(*) AS n FROM endpoints WHERE app_id = $1 AND circuit_state <> 'closed'`, [noisyApp.id])
        .then((r) => Number(r.rows[0]?.n ?? 0))
        // A build without circuit breakers (the before figures) has no such column.
        .catch(() => -1);
      const result = {
        quiet_idle_p50_ms: percentile(idleLatencies, 50),
        quiet_idle_p99_ms: percentile(idleLatencies, 99),
        quiet_p50_ms: percentile(latencies, 50),
        quiet_p99_ms: percentile(latencies, 99),
        quiet_arrived: arrived.unique,
        quiet_sent: busy.sent,
        noisy_deliveries: Number(row.total),
        noisy_delivered_or_parked: Number(row.ok),
        noisy_failed: Number(row.failed),
        noisy_attempted: Number(row.attempted),
        noisy_requests_received: arrived.hung,
        noisy_circuits_open: open,
      };
      log(`fairness: ${JSON.stringify(result)}`);
      return result;
    } finally {
      await client.end();
    }
  } finally {
    await quiet.pool.close();
    await noisy.pool.close();
  }
}

/**
 * What the database recorded: every delivery should end `success` with its attempt stored.
 * The receiver sees a request before the dispatcher records it, so poll briefly.
 */
async function persistedCounts(databaseUrl: string): Promise<{ deliveries: number; succeeded: number; attempts: number; payload_bytes: [number, number] }> {
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
      if ((counts.succeeded === counts.deliveries && counts.attempts >= counts.deliveries) || Date.now() > deadline) {
        // The stored payloads' smallest and largest size (what --payload-bytes asked for): read
        // once, as no message is added while the counts settle.
        const sizes = await client.query<{ smallest: number; largest: number }>('SELECT min(payload_size) AS smallest, max(payload_size) AS largest FROM messages');
        return { ...counts, payload_bytes: [Number(sizes.rows[0]?.smallest), Number(sizes.rows[0]?.largest)] };
      }
      await sleep(200);
    }
  } finally {
    await client.end();
  }
}

function printTable(r: Record<string, unknown>): void {
  const rows: [string, string][] = [
    ['raw HTTP ceiling (undici → receiver), all samples', `${((r['raw_http_samples'] as number[] | undefined) ?? []).join(', ')} req/s (mean ${r['raw_http_per_s']})`],
    ['raw HTTP ceiling around sustained, mean', `${r['raw_http_sustained_per_s']} req/s`],
    ['ingest through the API (closed loop)', `${r['ingest_per_s']} msg/s`],
    ['sustained end-to-end', `${r['deliveries_per_s']} deliveries/s`],
    ['ratio end-to-end / raw', `${r['ratio_deliveries_to_raw']}`],
    ['fan-out 1→10', `${r['fanout_deliveries_per_s']} deliveries/s`],
    ['raw HTTP ceiling around drain, mean', `${r['raw_http_drain_per_s']} req/s`],
    ['backlog drain', `${r['drain_deliveries_per_s']} deliveries/s`],
    ['ratio drain / raw', `${r['ratio_drain_to_raw']}`],
    ['by CPU: raw request / delivery, end-to-end and drain', `${r['cpu_ratio_deliveries_to_raw']} and ${r['cpu_ratio_drain_to_raw']}`],
  ];
  const persisted = r['persisted'] as { deliveries: number; succeeded: number; attempts: number } | undefined;
  if (persisted) rows.push(['persisted deliveries / succeeded / attempts', `${persisted.deliveries} / ${persisted.succeeded} / ${persisted.attempts}`]);
  for (const key of Object.keys(r).filter((k) => k.startsWith('paced_'))) {
    const p = r[key] as { e2e_p50_ms: number; e2e_p90_ms: number; e2e_p99_ms: number };
    rows.push([`paced ${key.slice(6)} msg/s latency p50/p90/p99`, `${p.e2e_p50_ms} / ${p.e2e_p90_ms} / ${p.e2e_p99_ms} ms`]);
  }
  const f = r['fairness'] as Record<string, number> | undefined;
  if (f) {
    rows.push(['fairness: quiet tenant p50/p99 alone', `${f['quiet_idle_p50_ms']} / ${f['quiet_idle_p99_ms']} ms`]);
    rows.push(['fairness: quiet tenant p50/p99 under noise', `${f['quiet_p50_ms']} / ${f['quiet_p99_ms']} ms (${f['quiet_arrived']}/${f['quiet_sent']} arrived)`]);
    rows.push(['fairness: noisy delivered or parked / total', `${f['noisy_delivered_or_parked']} / ${f['noisy_deliveries']} (failed ${f['noisy_failed']}, circuits open ${f['noisy_circuits_open']})`]);
  }
  for (const [phase, us] of Object.entries((r['cpu_us_per_delivery'] as Record<string, Record<string, number>> | undefined) ?? {})) {
    rows.push([`CPU per ${phase.startsWith('raw') ? 'request' : 'delivery'}, ${phase} (µs)`, Object.entries(us).map(([name, n]) => `${name} ${n}`).join(', ')]);
  }
  for (const [name, mb] of Object.entries(r['rss_mb'] as Record<string, number>)) rows.push([`peak RSS ${name}`, `${mb} MB`]);
  const met = Object.entries(r['targets_met'] as Record<string, boolean | null>).filter(([, ok]) => ok !== null);
  rows.push(['issue 11 targets met', met.map(([name, ok]) => `${name} ${ok ? 'yes' : 'NO'}`).join(', ')]);
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nHerald benchmark${SMOKE ? ' (smoke)' : ''}\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  group.killAll();
  process.exit(1);
});
