import type { OperatorDb, TenantScope, TenantTx, TenantUnitOfWork } from '@herald/tenancy';
import type { Prisma } from '@herald/db';
import type { ApplicationData, ApplicationRepository } from './application.repository';

/**
 * Type-level test of tenancy by construction, compiled by `tsc -p tsconfig.json` (npm run
 * typecheck) and never run: each line under `@ts-expect-error` must fail to compile, or tsc
 * reports the directive as unused. The runtime half is tenant-unit-of-work.int-spec.ts.
 */
export function repositoriesRequireATenantTransaction(
  apps: ApplicationRepository,
  uow: TenantUnitOfWork,
  raw: Prisma.TransactionClient,
  scope: TenantScope,
  tx: TenantTx,
  data: ApplicationData,
): void {
  // @ts-expect-error a bare Prisma transaction carries no tenant
  void apps.create(raw, 'app_x', data);
  // @ts-expect-error a scope alone is not an open transaction
  void apps.create(scope, 'app_x', data);
  // @ts-expect-error a look-alike {db, scope, audit} is not a TenantTx: only the unit of work makes one
  void apps.create({ db: raw, scope, audit: tx.audit }, 'app_x', data);
  // @ts-expect-error a tenant id string is not a scope
  void apps.find('tnt_x', 'app_x');
  // @ts-expect-error nor is an object that merely has a tenant id
  void apps.find({ tenantId: 'tnt_x' }, 'app_x');
  // @ts-expect-error the unit of work opens only for a scope
  void uow.run('tnt_x', async () => undefined);
  // The one way in: a scope from authentication, a transaction from the unit of work.
  void uow.run(scope, (open) => apps.create(open, 'app_x', data));
}

/** Operator work binds a transaction to a tenant only if OperatorDb opened it. */
export function operatorTransactionsComeFromOperatorDb(operator: OperatorDb, raw: Prisma.TransactionClient, scope: TenantScope): void {
  // @ts-expect-error any Prisma transaction is not an operator transaction
  void operator.forTenant(raw, scope);
  void operator.transaction(async (db) => operator.forTenant(db, scope));
}
