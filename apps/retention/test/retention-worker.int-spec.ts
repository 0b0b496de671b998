import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HeraldConfig } from '@herald/config';
import { AuditService, TenantKeysService, TenantProvisioningService } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { createRedis, JOB_RETENTION_RUN, RETENTION_QUEUE, type RetentionJobData } from '@herald/queue';
import { RETENTION_SCHEDULER_ID, type RetentionRunSummary } from '@herald/retention';
import { createApplication, createTenant, createTestDatabase, deleteRedisPrefix, dropTestDatabase, testConfig, type Services } from '@herald/testing';
import { MetricsServer } from '@herald/observability';
import { RetentionModule } from '../src/retention.module';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('retention process wiring: job scheduler, worker, /metrics', () => {
  let app: INestApplicationContext;
  let db: { url: string; name: string };
  let config: HeraldConfig;
  let port: number;
  let prisma: PrismaService;
  let services: Services;
  const prefix = `${inject('queuePrefix')}-retention-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    // A database of its own: a retention run reads every tenant.
    db = await createTestDatabase();
    port = await freePort();
    config = testConfig({ DATABASE_URL: db.url, HERALD_QUEUE_PREFIX: prefix, HERALD_RETENTION_METRICS_PORT: String(port), HOST: '127.0.0.1' });
    app = await NestFactory.createApplicationContext(RetentionModule.forRoot(config), { logger: ['error', 'warn'] });
    await app.init();
    prisma = app.get(PrismaService);
    const keys = app.get(TenantKeysService);
    services = { prisma, keys, provisioning: app.get(TenantProvisioningService) };
    expect(app.get(AuditService)).toBeDefined();
  });

  afterAll(async () => {
    await app?.close();
    // This test's queue keys (scheduler, jobs, heartbeat) go with it.
    const redis = createRedis(testConfig().redis.connection);
    await deleteRedisPrefix(redis, prefix);
    await redis.quit();
    if (db) await dropTestDatabase(db.name);
  });

  async function insertOldMessage(tenantId: string, appId: string): Promise<string> {
    const id = newId('msg');
    const created = new Date(Date.now() - 400 * 86_400_000);
    await prisma.message.create({
      data: { id, tenantId, appId, eventType: 'e', payloadEnc: new Uint8Array([1]), payloadSize: 1, payloadExpiresAt: created, createdAt: created },
    });
    return id;
  }

  it('upserts one job scheduler, runs retention jobs, and serves the counters on /metrics', async () => {
    const queue = app.get<Queue<RetentionJobData>>(getQueueToken(RETENTION_QUEUE));
    const scheduler = await queue.getJobScheduler(RETENTION_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ every: config.retention.intervalMinutes * 60_000, name: JOB_RETENTION_RUN });
    expect(await queue.getJobSchedulersCount()).toBe(1);

    const { scope } = await createTenant(services);
    const application = await createApplication(services, scope);
    const first = await insertOldMessage(scope.tenantId, application.id);
    // The scheduler's first run may come at once; either way this message goes.
    const job = await queue.add(JOB_RETENTION_RUN, { tenantId: scope.tenantId });
    await waitFor(async () => (await prisma.message.count({ where: { id: first } })) === 0, 'the old message to be purged');
    await waitFor(async () => (await job.getState()) === 'completed', 'the queued run to complete');

    // A queued run for one tenant reports its counts as the job's result.
    const second = await insertOldMessage(scope.tenantId, application.id);
    const next = await queue.add(JOB_RETENTION_RUN, { tenantId: scope.tenantId });
    await waitFor(async () => (await next.getState()) === 'completed', 'the second run to complete');
    const done = await queue.getJob(next.id!);
    const summary = done!.returnvalue as unknown as RetentionRunSummary;
    expect(summary).toMatchObject({ complete: true, tenantsChecked: 1, tenantsPurged: 1, totals: { messagesDeleted: 1 } });
    expect(await prisma.message.count({ where: { id: second } })).toBe(0);

    expect(app.get(MetricsServer).port).toBe(port);
    const res = await request(`http://127.0.0.1:${port}/metrics`);
    expect(res.statusCode).toBe(200);
    const text = await res.body.text();
    expect(text).toMatch(/herald_retention_purged_rows_total\{kind="message_deleted",process="retention"\} 2/);
    expect(text).toContain('# TYPE herald_retention_run_duration_seconds histogram');
    expect(text).toContain('herald_retention_last_success_timestamp_seconds');
  });
});
