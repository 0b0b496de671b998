import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@herald/config';
import { runMigrations } from '@herald/db';
import { createRedis, RETENTION_QUEUE } from '@herald/queue';
import { RETENTION_SCHEDULER_ID } from '@herald/retention';
import {
  assertBuilt,
  awaitDeliveries,
  fleetEnv,
  freePort,
  heraldHttp,
  percentile,
  provisionFleetTenant,
  startHeraldProcess,
  startPrivatePostgres,
  startPrivateRedis,
  startProducer,
  startWebhookReceiver,
  stoppedCleanly,
  waitUntilReady,
  type HeraldApp,
  type HeraldHttp,
  type HeraldProcess,
  type PrivatePostgres,
  type PrivateRedis,
  type ProcessExit,
  type WebhookReceiver,
} from '@herald/testing';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PREFIX = 'replicas';

interface Replica {
  app: HeraldApp;
  /** The API's port (0 for workers). */
  port: number;
  proc: HeraldProcess;
}

/**
 * Replicas: 2 APIs, 3 dispatchers and 2 retention workers share one PostgreSQL and one Redis
 * (private instances). A producer sends through both APIs while every process is restarted in
 * turn with SIGTERM (a rolling restart): each must exit cleanly, every accepted message must
 * reach every endpoint, signed, duplicates are counted (graceful restarts should cause almost
 * none), and the two retention workers together run retention once per period.
 */
describe('replicas: 2 APIs, 3 dispatchers, 2 retention workers, rolling restart under load', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  const receivers: WebhookReceiver[] = [];
  const fleet: Replica[] = [];
  const retired: HeraldProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    [pg, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    await pg.createDatabase('herald');
    await runMigrations(pg.url('herald'));
    // One receiver takes up to 300 ms to answer, so every dispatcher stopped has requests in
    // flight: a graceful stop lets them finish and records them (else they would be sent again).
    const slow = await startWebhookReceiver({
      handler: async () => {
        await sleep(Math.floor(Math.random() * 300));
        return { status: 200 };
      },
    });
    receivers.push(await startWebhookReceiver(), slow);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...fleet.map((r) => r.proc), ...retired].map((p) => p.stop('SIGKILL')));
    await Promise.all(receivers.map((r) => r.close()));
    await redis?.stop();
    await pg?.stop();
  });

  it('loses nothing, duplicates little, and runs leader-only work once', async () => {
    const env = {
      ...fleetEnv({ databaseUrl: pg.url('herald'), redis: { REDIS_URL: redis.url }, prefix: PREFIX }),
      HERALD_OUTBOX_SWEEP_SECONDS: '2',
      HERALD_RETENTION_INTERVAL_MINUTES: '1',
    };
    const startReplica = (app: HeraldApp, port = 0): HeraldProcess => startHeraldProcess(app, port ? { ...env, PORT: String(port) } : env);
    const fleetStarted = Date.now();
    for (const app of ['api', 'api', 'dispatcher', 'dispatcher', 'dispatcher', 'retention', 'retention'] as const) {
      const port = app === 'api' ? await freePort() : 0;
      fleet.push({ app, port, proc: startReplica(app, port) });
    }
    const apis = (): HeraldHttp[] => fleet.filter((r) => r.app === 'api').map((r) => heraldHttp(r.port));
    const outputs = (): string => [...fleet.map((r) => r.proc), ...retired].map((p) => `--- ${p.app} ${p.child.pid}:\n${p.output()}`).join('\n');
    const full = { dispatcher: 3, retention: 2 };
    for (const api of apis()) await waitUntilReady(api, full, 120_000, outputs);

    const [first] = apis();
    if (!first) throw new Error('no API in the fleet');
    const tenant = await provisionFleetTenant(first, receivers, 'replicas');
    const producer = startProducer({ apis, tenant, durationMs: 240_000, workers: 4, pauseMs: 20, label: 'replicas' });
    await sleep(4_000);

    // The rolling restart: one process at a time, SIGTERM, wait for its exit, start its
    // successor, wait until the fleet is whole again.
    const restarts: string[] = [];
    const exits: ProcessExit[] = [];
    for (const replica of [...fleet]) {
      const began = Date.now();
      exits.push(await replica.proc.stop('SIGTERM'));
      retired.push(replica.proc);
      const stoppedMs = Date.now() - began;
      replica.proc = startReplica(replica.app, replica.port);
      for (const api of apis()) await waitUntilReady(api, full, 120_000, outputs);
      restarts.push(`${replica.app} ${stoppedMs}+${Date.now() - began - stoppedMs} ms`);
      await sleep(2_000);
    }
    producer.stop();
    await producer.done;

    const report = await awaitDeliveries(tenant, producer.accepted, 120_000);
    const elapsed = Date.now() - fleetStarted;

    // Retention: the scheduler's iterations that ran, across both workers and their restarts.
    const connection = createRedis(loadConfig({ REDIS_URL: redis.url }).redis.connection, { role: 'bullmq' });
    const queue = new Queue(RETENTION_QUEUE, { connection, prefix: PREFIX });
    let runIds: string[];
    let schedulers: number;
    try {
      const jobs = await queue.getJobs(['completed', 'failed', 'active']);
      runIds = jobs.map((j) => j.id ?? '').filter((id) => id.startsWith(`repeat:${RETENTION_SCHEDULER_ID}:`));
      schedulers = await queue.getJobSchedulersCount();
    } finally {
      await queue.close();
      connection.disconnect();
    }
    const periods = elapsed / 60_000;

    console.log(
      `replicas: ${producer.sent()} messages sent, ${producer.accepted.size} accepted (refusals ${JSON.stringify(Object.fromEntries(producer.refusals))}); ` +
        `${report.unique} deliveries, ${report.requests} requests, ${report.duplicates} duplicates (${((100 * report.duplicates) / Math.max(1, report.unique)).toFixed(2)} %), ` +
        `missing ${JSON.stringify(report.missing)}; arrival p50 ${percentile(report.latencies, 50)} ms p99 ${percentile(report.latencies, 99)} ms; ` +
        `restarts (stop+ready): ${restarts.join(', ')}; exits ${JSON.stringify(exits.map((e) => e.signal ?? e.code))}; ` +
        `retention runs ${runIds.length} in ${(elapsed / 1000).toFixed(0)} s (every 60 s)`,
    );
    expect(exits.map(stoppedCleanly), outputs()).toEqual(fleet.map(() => true));
    expect(producer.accepted.size).toBeGreaterThan(300);
    expect(report.missing, outputs()).toEqual(tenant.endpoints.map(() => 0));
    expect(report.unique).toBe(tenant.endpoints.length * producer.accepted.size);
    expect(report.badSignatures).toBe(0);
    // Graceful stops finish and record what they sent: measured 0 duplicates in 3 runs; a dispatcher
    // that dies on SIGTERM instead leaves its requests in flight to be sent again when their leases end.
    expect(report.duplicates).toBeLessThanOrEqual(3);
    expect(schedulers).toBe(1);
    expect(new Set(runIds).size).toBe(runIds.length);
    expect(runIds.length).toBeGreaterThanOrEqual(1);
    expect(runIds.length).toBeLessThanOrEqual(Math.floor(periods) + 1);
    for (const replica of fleet) expect(replica.proc.running(), `${replica.app} exited:\n${replica.proc.output()}`).toBe(true);
  }, 600_000);
});
