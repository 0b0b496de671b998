import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HeraldConfig } from '@herald/config';
import { createRedis, type RedisClient } from '@herald/queue';
import { RetentionLifecycleService, RetentionProcessor } from '@herald/retention';
import { createTestDatabase, deleteRedisPrefix, dropTestDatabase, testConfig } from '@herald/testing';
import { RetentionModule } from '../src/retention.module';

const EVERY_MS = 3_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Two retention processes on one Redis prefix and one database, scheduled every 3 s: the
 * fleet runs retention once per period (not once per process), and when Redis loses the
 * schedule, the processes put it back.
 */
describe('retention fleet: two workers, one run per period', () => {
  let db: { url: string; name: string };
  let config: HeraldConfig;
  let redis: RedisClient;
  const apps: INestApplicationContext[] = [];
  /** Completed scheduler iterations, by job id, with the worker that ran each. */
  const runs: { worker: number; jobId: string; at: number }[] = [];
  const prefix = `${inject('queuePrefix')}-retention-fleet-${randomBytes(4).toString('hex')}`;

  const wipePrefix = (): Promise<number> => deleteRedisPrefix(redis, prefix);

  beforeAll(async () => {
    // A database of its own: a retention run reads every tenant.
    db = await createTestDatabase();
    config = testConfig({ DATABASE_URL: db.url, HERALD_QUEUE_PREFIX: prefix, HERALD_RETENTION_METRICS_PORT: '0' });
    // Minutes are the configured unit; a fleet test cannot wait for minutes.
    config.retention.intervalMinutes = EVERY_MS / 60_000;
    redis = createRedis(config.redis.connection);
    for (const worker of [0, 1]) {
      const app = await NestFactory.createApplicationContext(RetentionModule.forRoot(config), { logger: ['error'] });
      app.get(RetentionProcessor).worker.on('completed', (job) => runs.push({ worker, jobId: job.id ?? '?', at: Date.now() }));
      await app.init();
      apps.push(app);
    }
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    if (redis) {
      await wipePrefix();
      await redis.quit();
    }
    if (db) await dropTestDatabase(db.name);
  });

  it('runs once per period across both processes, and recreates the schedule when Redis loses it', async () => {
    const started = Date.now();
    await sleep(5 * EVERY_MS + 1_000);
    const elapsed = Date.now() - started;
    const ids = runs.map((r) => r.jobId);
    // Each run is one iteration of the one scheduler: unique ids, one per period.
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.startsWith('repeat:retention-run:'))).toBe(true);
    const periods = elapsed / EVERY_MS;
    expect(runs.length).toBeGreaterThanOrEqual(Math.floor(periods) - 1);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil(periods) + 1);
    const millis = ids.map((id) => Number(id.split(':').pop())).sort((a, b) => a - b);
    for (let i = 1; i < millis.length; i++) expect(millis[i]! - millis[i - 1]!).toBeGreaterThanOrEqual(EVERY_MS);

    // Redis loses everything of this prefix (schedule included): the processes put it back.
    expect(await wipePrefix()).toBeGreaterThan(0);
    const before = runs.length;
    const lostAt = Date.now();
    const deadline = lostAt + 4 * EVERY_MS;
    while (runs.length === before && Date.now() < deadline) await sleep(100);
    expect(runs.length, 'a run after the schedule was lost').toBeGreaterThan(before);
    expect(await apps[0]!.get(RetentionLifecycleService).ensureScheduler()).toBe(false);
    console.log(`retention fleet: ${before} runs in ${elapsed} ms (every ${EVERY_MS} ms) by workers ${JSON.stringify(runs.slice(0, before).map((r) => r.worker))}; schedule back ${runs[before]!.at - lostAt} ms after it was lost`);
  }, 60_000);
});
