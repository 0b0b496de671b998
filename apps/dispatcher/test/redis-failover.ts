import { expect } from 'vitest';
import { loadConfig } from '@herald/config';
import {
  assertBuilt,
  awaitDeliveries,
  createTestDatabase,
  dropTestDatabase,
  fleetEnv,
  freePort,
  heraldHttp,
  percentile,
  provisionFleetTenant,
  redisCommand,
  startHeraldProcess,
  startProducer,
  startWebhookReceiver,
  waitUntilReady,
  type Failover,
  type HeraldProcess,
  type WebhookReceiver,
} from '@herald/testing';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A highly available Redis of the test's own (Sentinel set or Cluster). */
export interface HaRedis {
  name: string;
  /** Environment pointing Herald at it. */
  env: Record<string, string>;
  password: string;
  /** SIGKILLs the master that holds Herald's keys (`probeKey`'s slot on a cluster). */
  failover(probeKey: string): Promise<Failover>;
  /**
   * Servers a subscriber may be connected to after `failover`: the master behind Sentinel; any
   * live node of a cluster (ioredis subscribes through one node of its choice, and picks
   * another when that one goes).
   */
  subscriberNodes(failover: Failover): number[];
}

/**
 * The built API, dispatcher and retention worker against a highly available Redis and a
 * database of their own; a producer sends through the API while the master holding Herald's
 * keys is SIGKILLed. Every accepted message must reach every endpoint, signed; the processes
 * must be back on the new master (its CLIENT LIST names them, fresh heartbeats land there,
 * the API's rate limit consults it again), health ready again, and wake-ups working again
 * (the lane sweep is slowed to 30 s, so prompt deliveries after the failover come from
 * wake-ups received through the new master).
 */
export async function runRedisFailover(redis: HaRedis): Promise<void> {
  assertBuilt();
  const db = await createTestDatabase();
  const receivers: WebhookReceiver[] = [await startWebhookReceiver(), await startWebhookReceiver()];
  const procs: HeraldProcess[] = [];
  const prefix = `ha-${redis.name}`;
  // What Herald itself will use as its key prefix (hash-tagged on a cluster).
  const keyPrefix = loadConfig({ ...redis.env, HERALD_QUEUE_PREFIX: prefix }).redis.queuePrefix;
  try {
    const port = await freePort();
    const env = { ...fleetEnv({ databaseUrl: db.url, redis: redis.env, prefix }), PORT: String(port), HERALD_OUTBOX_SWEEP_SECONDS: '30' };
    for (const app of ['api', 'dispatcher', 'retention'] as const) procs.push(startHeraldProcess(app, env));
    const api = heraldHttp(port);
    const outputs = (): string => procs.map((p) => `--- ${p.app}:\n${p.output()}`).join('\n');
    await waitUntilReady(api, { dispatcher: 1, retention: 1 }, 90_000, outputs);

    const tenant = await provisionFleetTenant(api, receivers, redis.name);
    const producer = startProducer({ apis: () => [api], tenant, durationMs: 24_000, workers: 2, pauseMs: 40, label: redis.name });
    await sleep(8_000);
    const failover = await redis.failover(`${keyPrefix}:heartbeat:dispatcher`);
    const failedOverAt = Date.now();
    const readyAfterMs = await waitUntilReady(api, { dispatcher: 1, retention: 1 }, 60_000, outputs);
    const failOpenBefore = await rateLimitFailOpens(api.base);
    await producer.done;

    const report = await awaitDeliveries(tenant, producer.accepted, 90_000);
    // Messages accepted well after the failover: delivered on wake-ups, not by the 30 s sweep.
    const settledAt = failedOverAt + readyAfterMs + 3_000;
    const lateIds = new Set([...producer.accepted].filter(([, at]) => at > settledAt).map(([id]) => id));
    const late = await awaitDeliveries(tenant, new Map([...producer.accepted].filter(([id]) => lateIds.has(id))), 1_000);

    // The processes are connected to the new master and write there.
    const clients = async (port: number): Promise<{ name: string; channels: number }[]> =>
      String(await redisCommand(port, redis.password, 'CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => ({ name: / name=(\S*)/.exec(line)?.[1] ?? '', channels: Number(/ sub=(\d+)/.exec(line)?.[1] ?? 0) }));
    const names = new Set((await clients(failover.to)).map((c) => c.name));
    // The dispatcher's wake-up subscription: a connection subscribed to one channel.
    const subscribers = (await Promise.all(redis.subscriberNodes(failover).map(clients)))
      .flat()
      .filter((c) => c.name.endsWith('herald-wake') && c.channels === 1)
      .map((c) => c.name);
    const beats = await Promise.all(
      (['dispatcher', 'retention'] as const).map(async (kind) => {
        const last = (await redisCommand(failover.to, redis.password, 'ZRANGE', `${keyPrefix}:heartbeat:${kind}`, '-1', '-1', 'WITHSCORES')) as string[];
        return Number(last[1] ?? 0);
      }),
    );
    const failOpenAfter = await rateLimitFailOpens(api.base);

    console.log(
      `${redis.name}: master ${failover.from} → ${failover.to} in ${failover.ms} ms; API ready ${readyAfterMs} ms later; ` +
        `${producer.sent()} messages sent, ${producer.accepted.size} accepted (refusals ${JSON.stringify(Object.fromEntries(producer.refusals))}); ` +
        `${report.unique} deliveries, ${report.duplicates} duplicates, missing ${JSON.stringify(report.missing)}; ` +
        `after the failover ${lateIds.size} messages, arrival p50 ${percentile(late.latencies, 50)} ms p99 ${percentile(late.latencies, 99)} ms; ` +
        `clients on the new master: ${[...names].filter((n) => n.startsWith('herald')).sort().join(',')}; wake-up subscribers: ${subscribers.join(',')}`,
    );
    expect(producer.accepted.size).toBeGreaterThan(100);
    expect(report.missing, outputs()).toEqual(tenant.endpoints.map(() => 0));
    expect(report.unique).toBe(tenant.endpoints.length * producer.accepted.size);
    expect(report.badSignatures).toBe(0);
    expect(report.duplicates / report.unique).toBeLessThanOrEqual(0.02);
    expect(readyAfterMs).toBeLessThan(60_000);
    // Command connections (api, dispatcher, retention) and BullMQ's on the new master; the dispatcher's subscriber back.
    expect([...names], outputs()).toEqual(expect.arrayContaining(['herald', 'herald-bullmq']));
    expect(subscribers, outputs()).toHaveLength(1);
    for (const [i, beat] of beats.entries()) expect(beat, `${['dispatcher', 'retention'][i]} heartbeat\n${outputs()}`).toBeGreaterThan(failedOverAt);
    expect(failOpenAfter).toBe(failOpenBefore);
    expect(lateIds.size).toBeGreaterThan(30);
    expect(late.missing).toEqual(tenant.endpoints.map(() => 0));
    expect(percentile(late.latencies, 50)).toBeLessThan(2_000);
    for (const proc of procs) expect(proc.running(), `${proc.app} exited:\n${proc.output()}`).toBe(true);
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await Promise.all(receivers.map((r) => r.close()));
    await dropTestDatabase(db.name);
  }
}

/** The API's count of requests let through unchecked because Redis did not answer. */
async function rateLimitFailOpens(base: string): Promise<number> {
  const res = await fetch(`${base}/metrics`);
  const match = /^herald_api_rate_limit_fail_open_total(?:\{[^}]*\})? (\d+)/m.exec(await res.text());
  return Number(match?.[1] ?? 0);
}
