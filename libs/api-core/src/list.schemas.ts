import { idPattern, type IdPrefix } from '@herald/db';
import { z } from 'zod';
import { rfc3339DateTime } from './input.schemas';

/**
 * The query fields and the envelope of every list the API serves (Svix's, and Herald's own
 * lists of API keys, audit entries and tenants). Paging itself is in list.paging.ts.
 */

export const MAX_LIST_LIMIT = 250;
export const DEFAULT_LIST_LIMIT = 50;

export type ListOrder = 'ascending' | 'descending';

/** Svix list envelope. */
export interface ListResponse<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

/** A parsed `iterator`: the sort key to continue from; `prev` when it is a `prevIterator` ('-' prefix). */
export interface ListCursor {
  key: string;
  prev: boolean;
}

/** What a list's iterators hold: ids of one kind, or (event types) names. */
export type IteratorKind = IdPrefix | 'name';

const NAME_PATTERN = /^[a-zA-Z0-9\-_.]{1,256}$/;

const limit = z
  .string()
  .regex(/^\d{1,9}$/, 'must be a non-negative integer')
  .optional()
  // Svix caps list pages at 250; a larger limit is clamped, not refused.
  .transform((v) => (v === undefined ? DEFAULT_LIST_LIMIT : Math.min(Math.max(Number(v), 1), MAX_LIST_LIMIT)));

/**
 * An `iterator` query value: a key of the list's kind, '-' in front for a `prevIterator`.
 * Anything else is a 422 whose message does not repeat the value.
 */
export function iteratorQuery(kind: IteratorKind) {
  const pattern = kind === 'name' ? NAME_PATTERN : idPattern(kind);
  return z
    .string()
    .optional()
    .transform((raw, ctx): ListCursor | undefined => {
      if (raw === undefined) return undefined;
      const prev = raw.startsWith('-');
      const key = prev ? raw.slice(1) : raw;
      if (!pattern.test(key)) {
        ctx.addIssue({ code: 'custom', message: 'invalid iterator: pass the iterator or prevIterator of a page of this list' });
        return z.NEVER;
      }
      return { key, prev };
    });
}

export const orderQuery = z.enum(['ascending', 'descending']).optional();

/** `limit` and `iterator`, which every list takes (add `order: orderQuery` where Svix has it). */
export function listQueryFields(kind: IteratorKind) {
  return { limit, iterator: iteratorQuery(kind) };
}

/** `before`/`after` of the lists ordered by creation time (messages, attempts). */
export const timeRangeQueryFields = {
  before: rfc3339DateTime.optional(),
  after: rfc3339DateTime.optional(),
};

/** The Svix list envelope around `item`, for the OpenAPI document. */
export function listResponseSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), iterator: z.string().nullable(), prevIterator: z.string().nullable(), done: z.boolean() });
}
