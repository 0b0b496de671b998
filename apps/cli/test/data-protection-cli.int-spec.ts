import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogRepository, AuditService, OperatorDb, TenantKeyRepository, TenantKeysService, TenantProvisioningRepository, TenantProvisioningService } from '@herald/tenancy';
import { keyIdOf } from '@herald/crypto';
import { newId, PrismaService } from '@herald/db';
import { createApplication, createTenant, createTestDatabase, dropTestDatabase, testConfig, type Services } from '@herald/testing';

const run = promisify(execFile);
const MAIN = join(__dirname, '..', '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');
const key = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;

/** The built CLI (`npm run herald -- …` without the rebuild), against a database of its own. */
describe('herald retention run / keys rewrap', () => {
  const k1 = key('k1');
  const k2 = key('k2');
  let db: { url: string; name: string };
  let prisma: PrismaService;
  let services: Services;

  const cli = async (args: string[], ring: string) => {
    const env = { PATH: process.env['PATH'] ?? '', NODE_ENV: 'test', DATABASE_URL: db.url, HERALD_MASTER_KEYS: ring, HERALD_LOG_LEVEL: 'warn' };
    const { stdout } = await run(process.execPath, [MAIN, ...args], { env, timeout: 30_000 });
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
    db = await createTestDatabase();
    const config = testConfig({ DATABASE_URL: db.url, HERALD_MASTER_KEYS: k1 });
    prisma = new PrismaService(config);
    const keys = new TenantKeysService(new TenantKeyRepository(prisma), config);
    services = { prisma, keys, provisioning: new TenantProvisioningService(new OperatorDb(prisma, new AuditService(new AuditLogRepository(prisma))), new TenantProvisioningRepository(), keys, config) };
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    if (db) await dropTestDatabase(db.name);
  });

  it('runs retention now for one tenant and prints the counts', async () => {
    const { scope } = await createTenant(services);
    const app = await createApplication(services, scope);
    const created = new Date(Date.now() - 400 * 86_400_000);
    await prisma.message.create({
      data: { id: newId('msg'), tenantId: scope.tenantId, appId: app.id, eventType: 'e', payloadEnc: new Uint8Array([1]), payloadSize: 1, payloadExpiresAt: created, createdAt: created },
    });
    const out = await cli(['retention', 'run', '--tenant', scope.tenantId], k1);
    expect(out).toMatchObject({ complete: true, tenantsChecked: 1, failures: [], totals: { messagesDeleted: 1 } });
  });

  it('re-wraps data keys with the new first master key and prints the counts', async () => {
    const { tenantId } = await createTenant(services);
    const out = await cli(['keys', 'rewrap'], `${k2},${k1}`);
    expect(out).toMatchObject({ activeKid: 'k2', failures: [], alreadyCurrent: 0 });
    expect(out['rewrapped']).toBe(out['checked']);
    const row = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { dataKeyWrapped: true } });
    expect(keyIdOf(Buffer.from(row.dataKeyWrapped!))).toBe('k2');
    expect(await cli(['keys', 'rewrap'], `${k2},${k1}`)).toMatchObject({ rewrapped: 0, alreadyCurrent: out['checked'] });
  });
});
