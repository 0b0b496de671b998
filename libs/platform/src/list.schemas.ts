import { MAX_LIST_LIMIT } from '@herald/core';
import { z } from 'zod';

const DEFAULT_LIST_LIMIT = 50;

/** Fastify gives a repeated query key as an array: the last value wins. */
function lastValues(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v[v.length - 1] : v]));
}

/** `limit` (clamped to 1..250, as Svix does) and `iterator` (an id; '-' prefix pages backwards). */
export const listQuerySchema = z.preprocess(
  lastValues,
  z.object({
    limit: z
      .string()
      .regex(/^\d{1,9}$/, 'must be a non-negative integer')
      .optional()
      .transform((v) => (v === undefined ? DEFAULT_LIST_LIMIT : Math.min(Math.max(Number(v), 1), MAX_LIST_LIMIT))),
    iterator: z
      .string()
      .regex(/^-?[A-Za-z0-9_]{1,64}$/, 'invalid iterator')
      .optional(),
  }),
);
export type ListQuery = z.output<typeof listQuerySchema>;

/** The Svix list envelope around `item`, for the OpenAPI document. */
export function listOutSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), iterator: z.string().nullable(), prevIterator: z.string().nullable(), done: z.boolean() });
}

/** Path `{id}` of the Herald resources; an unknown id of any shape is a 404. */
export const idPathSchema = z.object({ id: z.string().min(1).max(256) });
export type IdPath = z.output<typeof idPathSchema>;

export const noNul = (s: string): boolean => !s.includes('\u0000');

/** A name or label: trimmed, 1..max characters, no NUL (PostgreSQL text cannot hold it). */
export function nameText(max = 256) {
  return z.string().trim().min(1, 'must not be empty').max(max).refine(noNul, 'must not contain NUL characters');
}
