import { z } from 'zod';
import { noNul } from './platform.schemas';

const days = z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(3650);

/**
 * PATCH /tenant/settings: every field optional; `null` clears the nullable ones.
 * `operationalWebhookSecret` is read-only (generated when a URL is first set) and ignored here.
 */
export const tenantSettingsPatchSchema = z.object({
  payloadRetentionDays: days.optional(),
  attemptRetentionDays: days.optional(),
  metadataRetentionDays: days.optional(),
  operationalWebhookUrl: z.string().min(1).max(2048).refine(noNul, 'must not contain NUL characters').nullable().optional(),
  throttleRate: z.number().int().min(1).max(65_535).nullable().optional(),
  sendSvixHeaders: z.boolean().optional(),
});
export type TenantSettingsPatch = z.output<typeof tenantSettingsPatchSchema>;

export const tenantSettingsOutSchema = z.object({
  payloadRetentionDays: z.number().int(),
  attemptRetentionDays: z.number().int(),
  metadataRetentionDays: z.number().int(),
  operationalWebhookUrl: z.string().nullable(),
  /** `whsec_…`; only keys with scope `all` see it (audited); others get null. */
  operationalWebhookSecret: z.string().nullable(),
  throttleRate: z.number().int().nullable(),
  sendSvixHeaders: z.boolean(),
});
export type TenantSettingsOut = z.output<typeof tenantSettingsOutSchema>;
