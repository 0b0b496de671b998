import { lastQueryValues, listQueryFields, orderQuery } from '@herald/api-core';
import { z } from 'zod';
import { endpointSecretInputSchema, endpointUrlSchema, eventFilterSchema } from './endpoint.schemas';
import { endpointOutSchema, type EndpointOut } from './management.responses';
import { idOrUid, metadataSchema, rateLimitFields, sameRateLimit, svixName } from './management.schemas';

/**
 * The svix client's operational-webhook endpoint bodies (OperationalWebhookEndpointIn/Update/
 * SecretIn/HeadersIn): a subset of an application endpoint's fields. `filterTypes` names
 * operational event types (`endpoint.disabled`, `message.attempt.exhausted`, …).
 */
const writableFields = {
  uid: svixName(256).nullish(),
  url: endpointUrlSchema,
  description: z.string().max(65_536).optional(),
  ...rateLimitFields(1),
  disabled: z.boolean().optional(),
  filterTypes: eventFilterSchema,
  metadata: metadataSchema.optional(),
};

export const operationalEndpointInSchema = z.object({ ...writableFields, secret: endpointSecretInputSchema }).superRefine(sameRateLimit);
export type OperationalEndpointIn = z.output<typeof operationalEndpointInSchema>;

export const operationalEndpointUpdateSchema = z.object(writableFields).superRefine(sameRateLimit);
export type OperationalEndpointUpdate = z.output<typeof operationalEndpointUpdateSchema>;

/** The client sends no grace period here: the application endpoints' default applies. */
export const operationalEndpointSecretInSchema = z.object({ key: endpointSecretInputSchema }, { error: 'must be a JSON object, e.g. {}' });
export type OperationalEndpointSecretIn = z.output<typeof operationalEndpointSecretInSchema>;

export const operationalEndpointListQuerySchema = z.preprocess(lastQueryValues, z.object({ ...listQueryFields('ep'), order: orderQuery }));
export type OperationalEndpointListQuery = z.output<typeof operationalEndpointListQuerySchema>;

export const operationalEndpointPathSchema = z.object({ endpoint_id: idOrUid });
export type OperationalEndpointPath = z.output<typeof operationalEndpointPathSchema>;

export const operationalEndpointOutSchema = endpointOutSchema.pick({
  id: true,
  uid: true,
  url: true,
  description: true,
  disabled: true,
  filterTypes: true,
  metadata: true,
  rateLimit: true,
  throttleRate: true,
  createdAt: true,
  updatedAt: true,
});
export type OperationalEndpointOut = z.output<typeof operationalEndpointOutSchema>;

export function toOperationalEndpointOut(e: EndpointOut): OperationalEndpointOut {
  return {
    id: e.id,
    uid: e.uid,
    url: e.url,
    description: e.description,
    disabled: e.disabled,
    filterTypes: e.filterTypes,
    metadata: e.metadata,
    rateLimit: e.rateLimit,
    throttleRate: e.throttleRate,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
