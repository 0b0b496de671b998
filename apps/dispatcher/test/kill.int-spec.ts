import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditLogRepository, AuditService, OperatorDb, TenantKeyRepository, TenantKeysService, TenantProvisioningRepository, TenantProvisioningService } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { createRedis } from '@herald/queue';
import {
  createApplication,
  createEndpoint,
  createTenant,
  createTestDatabase,
  deleteRedisPrefix,
  dropTestDatabase,
  singleRedisUrl,
  startWebhookReceiver,
  TEST_ADMIN_TOKEN,
  TEST_MASTER_KEYS,
  testConfig,
  type WebhookReceiver,
} from '@herald/testing';

const MAIN = join(__dirname, '..', '..', '..', 'dist', 'apps', 'dispatcher', 'src', 'main.js');
const MESSAGES = 5_000;

/**
 * End to end: the real dispatcher process (built by `npm run build`) is SIGKILLed mid-load and
 * started again; every message must still arrive at least once. Duplicates are expected
 * (at-least-once) and reported.
 */
describe('dispatcher process: SIGKILL mid-flight', () => {
  let db: { url: string; name: string };
  let prisma: PrismaService;
  let receiver: WebhookReceiver;
  let child: ChildProcess | undefined;
  const prefix = `${inject('queuePrefix')}-kill-${randomBytes(4).toString('hex')}`;

  const start = (env: Record<string, string>): { proc: ChildProcess; exited: Promise<number | null>; output: () => string } => {
    const proc = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    proc.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    return { proc, exited, output: () => output };
  };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    db = await createTestDatabase();
    const config = testConfig({ DATABASE_URL: db.url, HERALD_QUEUE_PREFIX: prefix });
    prisma = new PrismaService(config);
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const redis = createRedis(testConfig().redis.connection);
    await deleteRedisPrefix(redis, prefix);
    await redis.quit();
    await prisma?.$disconnect();
    await receiver?.close();
    if (db) await dropTestDatabase(db.name);
  });

  it('delivers every message at least once across a SIGKILL and restart', async () => {
    const config = testConfig({ DATABASE_URL: db.url, HERALD_QUEUE_PREFIX: prefix });
    const keys = new TenantKeysService(new TenantKeyRepository(prisma), config);
    const services = { prisma, keys, provisioning: new TenantProvisioningService(new OperatorDb(prisma, new AuditService(new AuditLogRepository(prisma))), new TenantProvisioningRepository(), keys, config) };
    const { scope } = await createTenant(services);
    const app = await createApplication(services, scope);
    const endpoint = await createEndpoint(services, scope, app.id, { url: `${receiver.url}/kill` });

    // 5,000 committed messages with pending deliveries, as ingest leaves them (nobody woken:
    // the dispatcher's first lane sweep at boot finds them).
    const now = new Date();
    const messages = await Promise.all(
      Array.from({ length: MESSAGES }, async (_, i) => {
        const text = JSON.stringify({ type: 'load.test', i });
        return { id: newId('msg'), tenantId: scope.tenantId, appId: app.id, eventType: 'load.test', payloadEnc: new Uint8Array(await keys.encrypt(scope, text)), payloadSize: text.length, payloadExpiresAt: new Date(now.getTime() + 86_400_000) };
      }),
    );
    const deliveries = messages.map((m) => ({ id: newId('dlv'), tenantId: scope.tenantId, appId: app.id, messageId: m.id, endpointId: endpoint.id, status: 'pending', nextAttemptAt: now }));
    await prisma.message.createMany({ data: messages });
    await prisma.delivery.createMany({ data: deliveries });

    const env: Record<string, string> = {
      NODE_ENV: 'test',
      TZ: 'UTC',
      DATABASE_URL: db.url,
      REDIS_URL: singleRedisUrl(config),
      HERALD_QUEUE_PREFIX: prefix,
      HERALD_MASTER_KEYS: TEST_MASTER_KEYS,
      HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      HERALD_DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
      HERALD_ENDPOINT_HTTPS_ONLY: 'false',
      HERALD_DISPATCHER_METRICS_PORT: '0',
      HERALD_OUTBOX_SWEEP_SECONDS: '2',
      // Claims of the killed process come back when their lease ends (timeout + 5 s).
      HERALD_DELIVERY_TIMEOUT_MS: '3000',
      HERALD_ENDPOINT_MAX_IN_FLIGHT: '50',
      HERALD_LOG_LEVEL: 'warn',
    };
    const unique = (): number => new Set(receiver.requests.map((r) => r.headers['webhook-id'] as string)).size;

    const first = start(env);
    child = first.proc;
    const startedAt = Date.now();
    await receiver.waitFor(() => unique() >= MESSAGES * 0.3 || first.proc.exitCode !== null, 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\ndispatcher output:\n${first.output()}`);
    });
    if (first.proc.exitCode !== null) throw new Error(`dispatcher exited with ${first.proc.exitCode}:\n${first.output()}`);
    first.proc.kill('SIGKILL');
    await first.exited;
    const atKill = { unique: unique(), requests: receiver.requests.length, seconds: (Date.now() - startedAt) / 1000 };

    const second = start(env);
    child = second.proc;
    const restartedAt = Date.now();
    await receiver.waitFor(() => unique() >= MESSAGES || second.proc.exitCode !== null, 45_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\ndispatcher output:\n${second.output()}`);
    });
    if (second.proc.exitCode !== null) throw new Error(`dispatcher exited with ${second.proc.exitCode}:\n${second.output()}`);
    const total = { unique: unique(), requests: receiver.requests.length, seconds: (Date.now() - restartedAt) / 1000 };

    // Graceful stop: SIGTERM drains and exits on its own.
    await new Promise((r) => setTimeout(r, 500));
    second.proc.kill('SIGTERM');
    const stopped = await Promise.race([second.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    expect(stopped).toBe(true);

    const succeeded = await prisma.delivery.count({ where: { tenantId: scope.tenantId, status: 'success' } });
    console.log(
      `kill test: ${atKill.unique} unique (${atKill.requests} requests) in ${atKill.seconds.toFixed(1)} s before SIGKILL ` +
        `(${Math.round(atKill.unique / atKill.seconds)} deliveries/s incl. boot); after restart all ${total.unique} unique in ${total.seconds.toFixed(1)} s; ` +
        `${total.requests} requests, ${total.requests - total.unique} duplicates; ${succeeded} deliveries recorded as success`,
    );
    expect(total.unique).toBe(MESSAGES);
    expect(succeeded).toBe(MESSAGES);
  }, 120_000);
});
