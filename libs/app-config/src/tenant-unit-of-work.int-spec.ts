import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditLogRepository, AuditService, OperatorDb, SYSTEM_AUDIT_CONTEXT, TenantKeyRepository, TenantKeysService, TenantProvisioningRepository, TenantProvisioningService, type TenantScope, TenantUnitOfWork } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';
import { createTenant, testConfig } from '@herald/testing';
import { ApplicationRepository, type ApplicationData } from './application.repository';

const DATA: ApplicationData = { name: 'uow app', uid: null, throttleRate: null, metadata: {} };

/**
 * Tenancy by construction: a tenant repository's writes take a TenantTx, which only
 * TenantUnitOfWork.run (or OperatorDb.forTenant) makes, for one scope. The type-level half is
 * tenant-unit-of-work.test-d.ts (compiled by `tsc -p tsconfig.json`); this runtime half runs
 * against the real PostgreSQL.
 */
describe('tenant unit of work', () => {
  const config = testConfig({ DATABASE_URL: inject('databaseUrl') });
  const prisma = new PrismaService(config);
  const auditLog = new AuditService(new AuditLogRepository(prisma));
  const keys = new TenantKeysService(new TenantKeyRepository(prisma), config);
  const services = { prisma, keys, provisioning: new TenantProvisioningService(new OperatorDb(prisma, auditLog), new TenantProvisioningRepository(), keys, config) };
  const uow = new TenantUnitOfWork(prisma, auditLog);
  const apps = new ApplicationRepository(prisma);
  let a: TenantScope;
  let b: TenantScope;

  beforeAll(async () => {
    a = (await createTenant(services)).scope;
    b = (await createTenant(services)).scope;
  });
  afterAll(async () => {
    await prisma.$disconnect();
  });

  const auditCount = (scope: TenantScope) => prisma.auditLogEntry.count({ where: { tenantId: scope.tenantId, action: 'uow.test' } });

  it("writes through a repository land in the transaction's tenant, with its audit entry", async () => {
    const row = await uow.run(a, async (tx) => {
      expect(tx.scope).toBe(a);
      const created = await apps.create(tx, newId('app'), DATA);
      await tx.audit(SYSTEM_AUDIT_CONTEXT, { action: 'uow.test', target: { type: 'application', id: created.id } });
      return created;
    });
    expect(await prisma.application.findUniqueOrThrow({ where: { id: row.id }, select: { tenantId: true } })).toEqual({ tenantId: a.tenantId });
    expect(await auditCount(a)).toBe(1);
    // Another tenant's scope finds nothing of it.
    expect(await apps.find(b, row.id)).toBeNull();
  });

  it('rolls back the writes and the audit entry together when the work throws', async () => {
    const id = newId('app');
    const before = await auditCount(b);
    await expect(
      uow.run(b, async (tx) => {
        await apps.create(tx, id, DATA);
        await tx.audit(SYSTEM_AUDIT_CONTEXT, { action: 'uow.test', target: { type: 'application', id } });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await prisma.application.count({ where: { id } })).toBe(0);
    expect(await auditCount(b)).toBe(before);
  });

  it('refuses to open a transaction without a scope, and its scope cannot be swapped', async () => {
    let ran = false;
    const work = async () => {
      ran = true;
    };
    await expect(uow.run(undefined as unknown as TenantScope, work)).rejects.toThrow(/tenant scope/);
    await expect(uow.run({ tenantId: '' } as TenantScope, work)).rejects.toThrow(/tenant scope/);
    expect(ran).toBe(false);
    await uow.run(a, async (tx) => {
      expect(() => {
        (tx as { scope: TenantScope }).scope = b;
      }).toThrow(TypeError);
      expect(tx.scope).toBe(a);
    });
  });
});
