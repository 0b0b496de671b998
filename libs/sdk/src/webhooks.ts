/**
 * `@herald/sdk/webhooks`: the receiver side only. Loads node:crypto and nothing else, so a
 * webhook receiver does not pull in the HTTP client.
 */
export {
  DEFAULT_TOLERANCE_SEC,
  PUBLIC_KEY_PREFIX,
  SECRET_KEY_PREFIX,
  SECRET_PREFIX,
  generateWebhookKeyPair,
  generateWebhookSecret,
  signWebhook,
  signWebhookHeaders,
  verifyWebhook,
  verifyWebhookDetailed,
  webhookPublicKeyFromSecretKey,
  type HeadersInput,
  type HeadersLike,
  type SignWebhookOptions,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  type WebhookHeaders,
} from './verify.js';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  RawBodyError,
  addRawJsonBodyParser,
  getRawBody,
  readRawBody,
  webhookMiddleware,
  type FastifyLike,
  type RawBodyOptions,
  type RawBodySource,
  type WebhookKeyOptions,
  type WebhookRequest,
  type WebhookResponse,
} from './adapters.js';
export { WebhookVerificationError, type WebhookVerificationReason } from './errors.js';
