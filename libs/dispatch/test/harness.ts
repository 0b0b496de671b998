import { randomBytes } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { inject } from 'vitest';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { TenancyModule, TenantKeysService, TenantProvisioningService, type TenantScope } from '@herald/tenancy';
import { DbModule, newId, PrismaService } from '@herald/db';
import { DeliveryWakeups } from '@herald/deliveries';
import { DispatchModule, EndpointHealthService, LaneScheduler, LaneSweepService } from '../src';
import { createRedis, REDIS, RedisModule, type RedisClient } from '@herald/queue';
import { createTestDatabase, deleteRedisPrefix, dropTestDatabase, startWebhookReceiver, testConfig, type Services, type WebhookReceiver } from '@herald/testing';

export interface DispatchHarness {
  app: INestApplicationContext;
  config: HeraldConfig;
  prisma: PrismaService;
  keys: TenantKeysService;
  services: Services;
  redis: RedisClient;
  prefix: string;
  sweep: LaneSweepService;
  scheduler: LaneScheduler;
  health: EndpointHealthService;
  /**
   * Inserts a message and one pending delivery per endpoint, as ingest does, and (unless
   * `wake: false`) publishes the wake-up ingest publishes; returns ids.
   */
  insertMessage(
    scope: TenantScope,
    appId: string,
    endpointIds: string[],
    payload: unknown,
    options?: { wake?: boolean; nextAttemptAt?: Date; eventId?: string; triggerType?: number },
  ): Promise<{ messageId: string; deliveryIds: string[] }>;
  /** Deletes every Redis key of this harness's prefix (a "Redis lost its data" event, for this test only). */
  wipeRedis(): Promise<number>;
  waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

/** A receiver that answers after `delayMs` and records how many requests it held at once. */
export async function slowReceiver(delayMs: number): Promise<WebhookReceiver & { maxConcurrent: () => number }> {
  let current = 0;
  let max = 0;
  const r = await startWebhookReceiver({
    handler: async () => {
      current += 1;
      max = Math.max(max, current);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      current -= 1;
      return { status: 200 };
    },
  });
  return Object.assign(r, { maxConcurrent: () => max });
}

/**
 * The harness with its own dispatcher stopped (no sweep, no scheduler): for specs that drive
 * the repositories and services by hand, so nothing claims or sends behind their back.
 */
export async function startIdleDispatchHarness(env: Record<string, string> = {}): Promise<DispatchHarness> {
  const h = await startDispatchHarness(env);
  await h.sweep.stop();
  await h.scheduler.stop(1_000);
  return h;
}

/**
 * The dispatcher (DispatchModule with its real dependencies) against a database and a Redis
 * prefix of its own: the lane sweep reads every tenant's deliveries, so sharing the run's
 * database would make it deliver other test files' messages.
 */
export async function startDispatchHarness(env: Record<string, string> = {}): Promise<DispatchHarness> {
  const db = await createTestDatabase();
  const prefix = `${inject('queuePrefix')}-dispatch-${randomBytes(4).toString('hex')}`;
  const config = testConfig({
    DATABASE_URL: db.url,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    HERALD_RETRY_SCHEDULE: '1,1,1',
    HERALD_DISPATCHER_METRICS_PORT: '0',
    HERALD_DISPATCHER_CONCURRENCY: '50',
    HERALD_LOG_LEVEL: 'warn',
    ...env,
  });

  @Module({ imports: [ConfigModule.forRoot(config), DbModule, RedisModule, TenancyModule, DispatchModule] })
  class TestDispatcherModule {}

  const app = await NestFactory.createApplicationContext(TestDispatcherModule, { logger: ['error', 'warn'] });
  await app.init();
  const prisma = app.get(PrismaService);
  const keys = app.get(TenantKeysService);
  const redis = app.get<RedisClient>(REDIS);
  const wakeups = app.get(DeliveryWakeups);
  const services: Services = { prisma, keys, provisioning: app.get(TenantProvisioningService) };

  const harness: DispatchHarness = {
    app,
    config,
    prisma,
    keys,
    services,
    redis,
    prefix,
    sweep: app.get(LaneSweepService),
    scheduler: app.get(LaneScheduler),
    health: app.get(EndpointHealthService),
    async insertMessage(scope, appId, endpointIds, payload, options = {}) {
      const messageId = newId('msg');
      const text = JSON.stringify(payload);
      const now = new Date();
      const deliveryIds = endpointIds.map(() => newId('dlv'));
      await prisma.$transaction([
        prisma.message.create({
          data: {
            id: messageId,
            tenantId: scope.tenantId,
            appId,
            eventType: 'test.event',
            eventId: options.eventId ?? null,
            payloadEnc: new Uint8Array(await keys.encrypt(scope, text)),
            payloadSize: Buffer.byteLength(text),
            payloadExpiresAt: new Date(now.getTime() + 86_400_000),
          },
        }),
        prisma.delivery.createMany({
          data: endpointIds.map((endpointId, i) => ({
            id: deliveryIds[i] ?? newId('dlv'),
            tenantId: scope.tenantId,
            appId,
            messageId,
            endpointId,
            status: 'pending',
            nextAttemptAt: options.nextAttemptAt ?? now,
            triggerType: options.triggerType ?? 0,
          })),
        }),
      ]);
      if (options.wake !== false) wakeups.notify(endpointIds.map((endpointId) => ({ tenantId: scope.tenantId, endpointId })));
      return { messageId, deliveryIds };
    },
    wipeRedis: () => deleteRedisPrefix(redis, prefix),
    async waitFor(probe, timeoutMs = 15_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await app.close();
      const r = createRedis(config.redis.connection);
      try {
        await deleteRedisPrefix(r, prefix);
      } finally {
        await r.quit();
      }
      await dropTestDatabase(db.name);
    },
  };
  return harness;
}
