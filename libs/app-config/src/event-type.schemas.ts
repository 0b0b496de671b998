import { lastQueryValues, listQueryFields, orderQuery, queryBool } from '@herald/api-core';
import { z } from 'zod';
import { svixName } from './management.schemas';

/**
 * Event type bodies. `featureFlags` and `groupName` come from the svix client; the 1.1.1 spec
 * has one `featureFlag` (stored as a list of one).
 */
export const MAX_EVENT_TYPE_FEATURE_FLAGS = 10;

const schemasField = z.record(z.string(), z.unknown()).nullish();

const commonFields = {
  description: z.string().max(65_536),
  archived: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  featureFlag: svixName(256).nullish(),
  featureFlags: z.array(svixName(256)).max(MAX_EVENT_TYPE_FEATURE_FLAGS).nullish(),
  groupName: svixName(256).nullish(),
  schemas: schemasField,
};

function oneFeatureFlag(body: { featureFlag?: string | null; featureFlags?: string[] | null }, ctx: z.RefinementCtx): void {
  if (body.featureFlag != null && body.featureFlags != null && !body.featureFlags.includes(body.featureFlag)) {
    ctx.addIssue({ code: 'custom', path: ['featureFlags'], message: 'featureFlag and featureFlags disagree (featureFlags must include featureFlag)' });
  }
}

export const eventTypeInSchema = z.object({ name: svixName(256), ...commonFields }).superRefine(oneFeatureFlag);
export type EventTypeIn = z.output<typeof eventTypeInSchema>;

export const eventTypeUpdateSchema = z.object(commonFields).superRefine(oneFeatureFlag);
export type EventTypeUpdate = z.output<typeof eventTypeUpdateSchema>;

export const eventTypePatchSchema = z.object({ ...commonFields, description: commonFields.description.optional() }).superRefine(oneFeatureFlag);
export type EventTypePatch = z.output<typeof eventTypePatchSchema>;

export const eventTypeListQuerySchema = z.preprocess(
  lastQueryValues,
  z.object({ ...listQueryFields('name'), order: orderQuery, include_archived: queryBool(false), with_content: queryBool(false) }),
);
export type EventTypeListQuery = z.output<typeof eventTypeListQuerySchema>;

export const eventTypeDeleteQuerySchema = z.preprocess(lastQueryValues, z.object({ expunge: queryBool(false) }));
export type EventTypeDeleteQuery = z.output<typeof eventTypeDeleteQuerySchema>;

/**
 * The svix client's EventTypeImportOpenApiIn: the document as `spec` (JSON) or `specRaw` (JSON
 * or YAML text), exactly one; `dryRun` reports without writing; `replaceAll` archives the
 * tenant's event types that the document does not name.
 */
export const eventTypeImportOpenApiInSchema = z
  .object(
    {
      spec: z.record(z.string(), z.unknown()).nullish(),
      specRaw: z.string().nullish(),
      dryRun: z.boolean().optional(),
      replaceAll: z.boolean().optional(),
    },
    { error: 'must be a JSON object' },
  )
  .refine((b) => (b.spec != null) !== (b.specRaw != null), { message: 'give the document as exactly one of spec and specRaw', path: ['spec'] });
export type EventTypeImportOpenApiIn = z.output<typeof eventTypeImportOpenApiInSchema>;

/** The feature flags a body sets (either spelling): undefined = not given, [] = none. */
export function requestedFeatureFlags(body: { featureFlag?: string | null; featureFlags?: string[] | null }): string[] | undefined {
  if (body.featureFlags !== undefined) return [...new Set(body.featureFlags ?? [])];
  if (body.featureFlag !== undefined) return body.featureFlag === null ? [] : [body.featureFlag];
  return undefined;
}
