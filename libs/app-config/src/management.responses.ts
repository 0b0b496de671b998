import { z } from 'zod';

/**
 * Response shapes of the application, endpoint, event-type and auth routes (Svix field names,
 * both spellings where the spec and the client differ). The mappers are typed by these
 * schemas, and the OpenAPI document — from which the web UI's client is generated — is built
 * from the same ones, so the three cannot drift apart.
 */

export const applicationOutSchema = z.object({
  id: z.string(),
  uid: z.string().nullable(),
  name: z.string(),
  throttleRate: z.number().int().nullable(),
  rateLimit: z.number().int().nullable(),
  metadata: z.record(z.string(), z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ApplicationOut = z.output<typeof applicationOutSchema>;

export const eventTypeOutSchema = z.object({
  name: z.string(),
  description: z.string(),
  archived: z.boolean(),
  deprecated: z.boolean(),
  featureFlag: z.string().nullable(),
  featureFlags: z.array(z.string()).nullable(),
  groupName: z.string().nullable(),
  schemas: z.record(z.string(), z.unknown()).nullable().optional().describe('JSON Schemas by version ("1": {...}); present when asked for'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type EventTypeOut = z.output<typeof eventTypeOutSchema>;

/** An event type as an import found it in the document (Svix's EventTypeFromOpenApi). */
export const eventTypeFromOpenApiSchema = z.object({
  name: z.string(),
  description: z.string(),
  deprecated: z.boolean(),
  featureFlag: z.string().nullable(),
  featureFlags: z.array(z.string()).nullable(),
  groupName: z.string().nullable(),
  schemas: z.record(z.string(), z.unknown()).nullable(),
});
export type EventTypeFromOpenApi = z.output<typeof eventTypeFromOpenApiSchema>;

export const eventTypeImportOpenApiOutSchema = z.object({
  data: z.object({
    modified: z.array(z.string()).describe('Event types created, changed or (replaceAll) archived; empty on a dry run'),
    // Svix spells this one field in snake_case on the wire (the svix client reads `to_modify`).
    to_modify: z.array(eventTypeFromOpenApiSchema).nullable().optional().describe('Dry run: the event types the import would create or change'),
  }),
});
export type EventTypeImportOpenApiOut = z.output<typeof eventTypeImportOpenApiOutSchema>;

export const endpointCircuitOutSchema = z.object({
  state: z.string().describe('closed, open or half-open'),
  openedAt: z.string().nullable(),
  nextProbeAt: z.string().nullable(),
  consecutiveFailures: z.number().int(),
});

export const endpointOutSchema = z.object({
  id: z.string(),
  uid: z.string().nullable(),
  url: z.string(),
  description: z.string(),
  version: z.number().int(),
  throttleRate: z.number().int().nullable(),
  rateLimit: z.number().int().nullable(),
  disabled: z.boolean(),
  eventTypes: z.array(z.string()).nullable().describe('The spec’s name for the event filter; the svix client reads `filterTypes`'),
  filterTypes: z.array(z.string()).nullable(),
  channels: z.array(z.string()).nullable(),
  metadata: z.record(z.string(), z.string()),
  maxInFlight: z.number().int().nullable().describe('Herald: requests in flight at most (null: the operator default)'),
  circuit: endpointCircuitOutSchema.describe('Herald: the circuit breaker; open parks due deliveries until a probe succeeds'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type EndpointOut = z.output<typeof endpointOutSchema>;

export const endpointSecretOutSchema = z.object({
  key: z.string(),
  publicKey: z.string().optional().describe('ed25519 endpoints: the `whpk_…` key receivers verify `v1a` signatures with'),
});
export type EndpointSecretOut = z.output<typeof endpointSecretOutSchema>;

export const endpointHeadersOutSchema = z.object({
  headers: z.record(z.string(), z.string()),
  sensitive: z.array(z.string()),
});
export type EndpointHeadersOut = z.output<typeof endpointHeadersOutSchema>;

/**
 * Svix's delivery statistics of an endpoint, counted over its deliveries (one per message):
 * success, pending, sending, fail (retries exhausted) and canceled (skipped because the
 * endpoint was disabled when the message came).
 */
export const endpointStatsOutSchema = z.object({
  success: z.number().int(),
  pending: z.number().int(),
  sending: z.number().int(),
  fail: z.number().int(),
  canceled: z.number().int(),
});
export type EndpointStatsOut = z.output<typeof endpointStatsOutSchema>;

export const appPortalAccessOutSchema = z.object({
  url: z.string().describe('The app portal, with the token in the URL fragment'),
  token: z.string(),
});
export type AppPortalAccessOut = z.output<typeof appPortalAccessOutSchema>;

/** What the caller's bearer token is and may do (GET /auth/session; the web UI reads it). */
export const sessionOutSchema = z.object({
  kind: z.enum(['api_key', 'app_portal', 'operator']),
  tenantId: z.string().nullable(),
  appId: z.string().nullable(),
  scopes: z.array(z.string()).describe('API keys: all, read, send'),
  capabilities: z.array(z.enum(['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'ManageTransformations', 'CreateAttempts', 'ManageEndpoint'])),
  expiresAt: z.string().nullable(),
});
export type SessionOut = z.output<typeof sessionOutSchema>;

/** The Svix list envelope around `item`. */
export function listEnvelopeSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), iterator: z.string().nullable(), prevIterator: z.string().nullable(), done: z.boolean() });
}
