import { lastQueryValues, listQueryFields, orderQuery, queryBool } from '@herald/api-core';
import { z } from 'zod';
import { metadataSchema, rateLimitFields, sameRateLimit, svixName } from './management.schemas';

/** ApplicationIn (POST /app, PUT /app/{app_id}, and inside app-portal/message bodies). */
export const applicationInSchema = z
  .object({
    name: z.string().min(1).max(256),
    uid: svixName(256).nullish(),
    ...rateLimitFields(1),
    metadata: metadataSchema.optional(),
  })
  .superRefine(sameRateLimit);
export type ApplicationIn = z.output<typeof applicationInSchema>;

export const applicationPatchSchema = z
  .object({
    name: z.string().min(1).max(256).optional(),
    uid: svixName(256).nullish(),
    ...rateLimitFields(0),
    metadata: metadataSchema.optional(),
  })
  .superRefine(sameRateLimit);
export type ApplicationPatch = z.output<typeof applicationPatchSchema>;

export const applicationCreateQuerySchema = z.preprocess(lastQueryValues, z.object({ get_if_exists: queryBool(false) }));
export type ApplicationCreateQuery = z.output<typeof applicationCreateQuerySchema>;

export const applicationListQuerySchema = z.preprocess(
  lastQueryValues,
  z.object({
    ...listQueryFields('app'),
    order: orderQuery,
    // Sent by the svix client's list options.
    exclude_apps_with_no_endpoints: queryBool(false),
    exclude_apps_with_disabled_endpoints: queryBool(false),
  }),
);
export type ApplicationListQuery = z.output<typeof applicationListQuerySchema>;
