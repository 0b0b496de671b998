import { lastQueryValues, listQueryFields, orderQuery, rfc3339DateTime } from '@herald/api-core';
import { z } from 'zod';
import { metadataSchema, rateLimitFields, sameRateLimit, svixName } from './management.schemas';

/**
 * Endpoint bodies. The event filter is `eventTypes` in the 1.1.1 spec and `filterTypes` in
 * the svix client: either is accepted (both are returned). The client may also send
 * `version`, `headers` (on create) and `secret` (on patch).
 */

export const MAX_ENDPOINT_CHANNELS = 10;

/** A set of names (1..maxItems, no repeats); `null` or absent = none. */
const uniqueList = (item: z.ZodString, maxItems?: number) => {
  const list = maxItems === undefined ? z.array(item).min(1) : z.array(item).min(1).max(maxItems);
  return list.refine((items) => new Set(items).size === items.length, 'items must be unique').nullish();
};

export const eventFilterSchema = uniqueList(svixName(256));
const channels = uniqueList(svixName(128), MAX_ENDPOINT_CHANNELS);
export const endpointUrlSchema = z.string().min(1).max(65_536);
export const endpointSecretInputSchema = z.string().max(256).nullish();
const version = z.number().int().min(1).max(1_000_000).nullish();
const headers = z.record(z.string(), z.string());

function oneEventFilter(body: { eventTypes?: string[] | null; filterTypes?: string[] | null }, ctx: z.RefinementCtx): void {
  if (body.eventTypes !== undefined && body.filterTypes !== undefined && JSON.stringify(body.eventTypes) !== JSON.stringify(body.filterTypes)) {
    ctx.addIssue({ code: 'custom', path: ['filterTypes'], message: 'eventTypes and filterTypes are the same setting; give one, or the same list' });
  }
}

function endpointRefinements(body: { eventTypes?: string[] | null; filterTypes?: string[] | null; throttleRate?: number | null; rateLimit?: number | null }, ctx: z.RefinementCtx): void {
  oneEventFilter(body, ctx);
  sameRateLimit(body, ctx);
}

const writableFields = {
  uid: svixName(256).nullish(),
  url: endpointUrlSchema,
  description: z.string().max(65_536).optional(),
  version,
  ...rateLimitFields(1),
  disabled: z.boolean().optional(),
  eventTypes: eventFilterSchema,
  filterTypes: eventFilterSchema,
  channels,
  metadata: metadataSchema.optional(),
  /** Herald: requests in flight to this endpoint at most (null: the operator default). */
  maxInFlight: z.number().int().min(1).max(1000).nullish(),
};

export const endpointInSchema = z.object({ ...writableFields, secret: endpointSecretInputSchema, headers: headers.nullish() }).superRefine(endpointRefinements);
export type EndpointIn = z.output<typeof endpointInSchema>;

export const endpointUpdateSchema = z.object(writableFields).superRefine(endpointRefinements);
export type EndpointUpdate = z.output<typeof endpointUpdateSchema>;

export const endpointPatchSchema = z
  .object({
    ...writableFields,
    ...rateLimitFields(0),
    url: endpointUrlSchema.optional(),
    description: z.string().max(65_536).optional(),
    disabled: z.boolean().optional(),
    metadata: metadataSchema.optional(),
    secret: endpointSecretInputSchema,
  })
  .superRefine(endpointRefinements);
export type EndpointPatch = z.output<typeof endpointPatchSchema>;

export const endpointListQuerySchema = z.preprocess(lastQueryValues, z.object({ ...listQueryFields('ep'), order: orderQuery }));
export type EndpointListQuery = z.output<typeof endpointListQuerySchema>;

/** A JSON object, as Svix requires (`{}`: generate a new secret, default grace period). */
export const endpointSecretRotateInSchema = z.object(
  {
    key: endpointSecretInputSchema,
    gracePeriodSeconds: z.number().int().min(0).max(7 * 86_400).nullish(),
  },
  { error: 'must be a JSON object, e.g. {}' },
);
export type EndpointSecretRotateIn = z.output<typeof endpointSecretRotateInSchema>;

export const endpointHeadersInSchema = z.object({ headers });
export type EndpointHeadersIn = z.output<typeof endpointHeadersInSchema>;

/** The spec deletes with `null` values; the svix client lists names in `deleteHeaders`. */
export const endpointHeadersPatchInSchema = z.object({
  headers: z.record(z.string(), z.string().nullable()),
  deleteHeaders: z.array(z.string()).max(100).optional(),
});
export type EndpointHeadersPatchIn = z.output<typeof endpointHeadersPatchInSchema>;

export const endpointStatsQuerySchema = z.preprocess(
  lastQueryValues,
  z.object({ since: rfc3339DateTime.optional(), until: rfc3339DateTime.optional() }),
);
export type EndpointStatsQuery = z.output<typeof endpointStatsQuerySchema>;
