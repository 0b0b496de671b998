declare const tenantBrand: unique symbol;

/**
 * Proof that a request is acting for one tenant. Every repository method takes one, so a
 * query without a tenant cannot be written by accident (STYLE 5). Only authentication,
 * OperatorDb.scopeFor and the decoding of job data and tasks create scopes (lint enforces it:
 * tools/eslint/tenancy-rules.mjs); writes take a TenantTx opened for one (unit-of-work.ts).
 */
export interface TenantScope {
  readonly tenantId: string;
  readonly [tenantBrand]: true;
}

export function tenantScope(tenantId: string): TenantScope {
  if (!tenantId) throw new Error('tenant id is required');
  return { tenantId } as TenantScope;
}
