declare const tenantBrand: unique symbol;

/**
 * Proof that a request is acting for one tenant. Every repository method takes one, so a
 * query without a tenant cannot be written by accident (STYLE 5). Only the auth layer and
 * the workers (from a job's tenant id) create scopes.
 */
export interface TenantScope {
  readonly tenantId: string;
  readonly [tenantBrand]: true;
}

export function tenantScope(tenantId: string): TenantScope {
  if (!tenantId) throw new Error('tenant id is required');
  return { tenantId } as TenantScope;
}
