export {
  Applications,
  Authentication,
  Endpoints,
  Herald,
  MessageAttempts,
  Messages,
  SDK_VERSION,
  type CatalogSchemas,
  type EventCatalog,
  type EventName,
  type HeraldOptions,
  type IdempotencyOptions,
  type SendItem,
  type SendManyOptions,
  type SendOptions,
  type SendResult,
  type UntypedCatalog,
} from './client.js';
export {
  HeraldApiError,
  HeraldError,
  HeraldNetworkError,
  HeraldTimeoutError,
  HeraldValidationError,
  type HeraldApiErrorInit,
  type ValidationErrorItem,
  type ValidationIssue,
} from './errors.js';
export { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, type BackoffOptions } from './retry.js';
export { MAX_PAGE_LIMIT } from './pagination.js';
export type { PayloadSchema, ParseSchema, SafeParseResultLike, SafeParseSchema, SchemaIssueLike } from './schema.js';
export * from './types.js';
export * from './webhooks.js';
