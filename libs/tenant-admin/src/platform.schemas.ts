import { lastQueryValues, listQueryFields, type IteratorKind } from '@herald/api-core';
import { z } from 'zod';

/** The query of Herald's own lists (API keys, audit entries, tenants): newest first, `limit` and `iterator`. */
export function newestFirstListQuerySchema(kind: IteratorKind) {
  return z.preprocess(lastQueryValues, z.object(listQueryFields(kind)));
}
export const apiKeyListQuerySchema = newestFirstListQuerySchema('key');
export const auditLogListQuerySchema = newestFirstListQuerySchema('aud');
export const tenantListQuerySchema = newestFirstListQuerySchema('tnt');
export type HeraldListQuery = z.output<typeof apiKeyListQuerySchema>;

/** Path `{id}` of the Herald resources; an unknown id of any shape is a 404. */
export const idPathSchema = z.object({ id: z.string().min(1).max(256) });
export type IdPath = z.output<typeof idPathSchema>;

export const noNul = (s: string): boolean => !s.includes('\u0000');

/** A name or label: trimmed, 1..max characters, no NUL (PostgreSQL text cannot hold it). */
export function nameText(max = 256) {
  return z.string().trim().min(1, 'must not be empty').max(max).refine(noNul, 'must not contain NUL characters');
}
