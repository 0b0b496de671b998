import { Injectable } from '@nestjs/common';
import { PrismaService, type Prisma } from '@herald/db';
import { AuditService, type AuditContext, type AuditEvent } from './audit.service';
import type { TenantScope } from './tenancy';

declare const tenantTxBrand: unique symbol;

/**
 * An open transaction bound to one tenant. Repositories' write methods take one in place of a
 * client and a scope, so a write cannot run outside a transaction, nor for another tenant than
 * the one the transaction was opened for. Only TenantUnitOfWork makes them (and OperatorDb, for
 * operator work that acts for one tenant at a time).
 */
export interface TenantTx {
  readonly scope: TenantScope;
  /** The transaction's client: for repositories only (services never build queries). */
  readonly db: Prisma.TransactionClient;
  /** Appends to the tenant's audit chain; committed exactly when the change it records is. */
  audit(ctx: AuditContext, event: AuditEvent): Promise<void>;
  readonly [tenantTxBrand]: true;
}

/** Internal to this lib (not exported): binds an open transaction to a scope. */
export function bindTenantTx(db: Prisma.TransactionClient, scope: TenantScope, auditLog: AuditService): TenantTx {
  if (!scope?.tenantId) throw new Error('a tenant transaction needs a tenant scope');
  return Object.freeze({
    scope,
    db,
    audit: (ctx: AuditContext, event: AuditEvent) => auditLog.record(db, scope, ctx, event),
  }) as unknown as TenantTx;
}

/**
 * The tenant-bound unit of work: the one way services open a transaction. It hands the work a
 * TenantTx for the caller's scope, which the tenant repositories and the audit writer require.
 * Deliberate cross-tenant access goes through OperatorDb instead.
 */
@Injectable()
export class TenantUnitOfWork {
  constructor(
    private readonly prisma: PrismaService,
    private readonly auditLog: AuditService,
  ) {}

  run<T>(scope: TenantScope, work: (tx: TenantTx) => Promise<T>): Promise<T> {
    // Checked before opening the transaction: no connection is taken for a missing scope.
    if (!scope?.tenantId) return Promise.reject(new Error('a tenant transaction needs a tenant scope'));
    return this.prisma.$transaction((db) => work(bindTenantTx(db, scope, this.auditLog)));
  }
}
