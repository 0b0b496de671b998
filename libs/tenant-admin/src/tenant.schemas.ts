import { z } from 'zod';
import { apiKeyCreatedOutSchema } from './api-key.schemas';
import { nameText } from './platform.schemas';

const tenantName = nameText();

export const tenantInSchema = z.object({ name: tenantName });
export type TenantIn = z.output<typeof tenantInSchema>;

export const tenantPatchSchema = z.object({ name: tenantName.optional() });
export type TenantPatch = z.output<typeof tenantPatchSchema>;

export const tenantOutSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type TenantOut = z.output<typeof tenantOutSchema>;

/** POST /admin/tenants: the tenant and its first API key (the key's secret shown once). */
export const provisionedTenantOutSchema = z.object({ tenant: tenantOutSchema, apiKey: apiKeyCreatedOutSchema });
export type ProvisionedTenantOut = z.output<typeof provisionedTenantOutSchema>;
