import { isValidCidr, rfc3339DateTime } from '@herald/api-core';
import { z } from 'zod';
import { nameText } from './platform.schemas';

export const API_KEY_SCOPES = ['all', 'read', 'send'] as const;
export const MAX_ALLOWED_CIDRS = 100;

export const apiKeyInSchema = z.object({
  name: nameText(),
  scopes: z
    .array(z.enum(API_KEY_SCOPES))
    .min(1, 'must name at least one scope')
    .max(API_KEY_SCOPES.length * 2)
    .optional()
    .transform((scopes) => [...new Set(scopes ?? ['all'])]),
  expiresAt: rfc3339DateTime.nullish().transform((v) => v ?? null),
  allowedCidrs: z
    .array(z.string().max(64).refine(isValidCidr, 'must be a CIDR such as 203.0.113.0/24 or 2001:db8::/32'))
    .max(MAX_ALLOWED_CIDRS)
    .nullish()
    .transform((v) => [...new Set(v ?? [])]),
});
export type ApiKeyIn = z.output<typeof apiKeyInSchema>;

const apiKeyFields = {
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  expiresAt: z.iso.datetime().nullable(),
  allowedCidrs: z.array(z.string()),
  createdAt: z.iso.datetime(),
};

/** Listing: never the key, only its first characters to recognise it. */
export const apiKeyOutSchema = z.object({ ...apiKeyFields, prefix: z.string() });
export type ApiKeyOut = z.output<typeof apiKeyOutSchema>;

/** Creation: the only response that carries the secret `key`. */
export const apiKeyCreatedOutSchema = z.object({ ...apiKeyFields, key: z.string() });
export type ApiKeyCreatedOut = z.output<typeof apiKeyCreatedOutSchema>;
