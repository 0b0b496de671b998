import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma } from '@herald/db';
import { AuditService } from './audit.service';
import { tenantScope, type TenantScope } from './tenancy';
import { bindTenantTx, type TenantTx } from './unit-of-work';

declare const operatorTxBrand: unique symbol;

/**
 * A transaction opened by OperatorDb, not yet bound to a tenant: what operator statements that
 * run before the tenant is known (locking a claimed task of any tenant) take. Only
 * OperatorDb.transaction makes one.
 */
export type OperatorTx = Prisma.TransactionClient & { readonly [operatorTxBrand]: true };

/**
 * The one operator-level access path: deliberate cross-tenant work (outbox and lane sweeps,
 * retention, key rewrap, health, the operator overview, background-task claims). Tenant
 * requests use TenantUnitOfWork; a service that injects this says by its constructor that it
 * reads across tenants.
 */
@Injectable()
export class OperatorDb {
  constructor(
    private readonly prisma: PrismaService,
    private readonly auditLog: AuditService,
  ) {}

  /** The process's client, for cross-tenant reads. */
  get client(): PrismaService {
    return this.prisma;
  }

  /**
   * The scope of a tenant the operator names (an admin route's path, a row found by a sweep):
   * operator work acts for one tenant at a time through the same tenant-bound repositories.
   */
  scopeFor(tenantId: string): TenantScope {
    return tenantScope(tenantId);
  }

  /** A transaction not bound to a tenant (e.g. claiming a task of any tenant). */
  transaction<T>(work: (db: OperatorTx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction((db) => work(db as OperatorTx));
  }

  /**
   * Binds an operator transaction to one tenant once the operator work knows which (a claimed
   * task's tenant, a tenant being created or re-keyed): from here on its writes are that tenant's.
   */
  forTenant(db: OperatorTx, scope: TenantScope): TenantTx {
    return bindTenantTx(db, scope, this.auditLog);
  }

  /** Fails loudly at boot when PostgreSQL is unreachable (STYLE 12). */
  assertReachable(): Promise<void> {
    return this.prisma.assertReachable();
  }
}
