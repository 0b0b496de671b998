import type { ProvisionedTenant } from '@herald/tenancy';
import type { ApiKeyCreatedOut, ApiKeyOut } from './api-key.schemas';
import type { ProvisionedTenantOut, TenantOut } from './tenant.schemas';

export interface TenantRow {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  keyPrefix: string;
  scopes: string[];
  expiresAt: Date | null;
  allowedCidrs: string[];
  createdAt: Date;
}

export function tenantOut(row: TenantRow): TenantOut {
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

export function apiKeyOut(row: ApiKeyRow): ApiKeyOut {
  return {
    id: row.id,
    name: row.name,
    prefix: row.keyPrefix,
    scopes: row.scopes as ApiKeyOut['scopes'],
    expiresAt: row.expiresAt?.toISOString() ?? null,
    allowedCidrs: row.allowedCidrs,
    createdAt: row.createdAt.toISOString(),
  };
}

export function apiKeyCreatedOut(row: Omit<ApiKeyRow, 'keyPrefix'>, key: string): ApiKeyCreatedOut {
  return {
    id: row.id,
    name: row.name,
    key,
    scopes: row.scopes as ApiKeyCreatedOut['scopes'],
    expiresAt: row.expiresAt?.toISOString() ?? null,
    allowedCidrs: row.allowedCidrs,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The operator API's and the CLI's answer to "create a tenant". */
export function provisionedTenantOut(created: ProvisionedTenant): ProvisionedTenantOut {
  return {
    tenant: tenantOut(created.tenant),
    apiKey: apiKeyCreatedOut({ ...created.apiKey, expiresAt: null, allowedCidrs: [] }, created.apiKey.key),
  };
}
