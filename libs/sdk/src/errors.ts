/**
 * Every error the SDK throws on purpose extends `HeraldError`, so callers can tell SDK
 * failures from their own bugs with one `instanceof`.
 *
 * Note for dual-package consumers: the ESM and CJS builds each carry their own copy of these
 * classes, so `instanceof` only works against the copy you imported. Use `error.name` when a
 * process may load both.
 */
export abstract class HeraldError extends Error {
  abstract override readonly name: string;
}

/** One entry of a 422 response body (`{detail: [{loc, msg, type}]}`). */
export interface ValidationErrorItem {
  loc: string[];
  msg: string;
  type: string;
}

export interface HeraldApiErrorInit {
  status: number;
  code: string;
  detail: string;
  validationErrors?: readonly ValidationErrorItem[];
  requestId?: string | undefined;
  body?: unknown;
  method: string;
  path: string;
  /** How many HTTP attempts were made before giving up (1 = no retry). */
  attempts: number;
}

/** The API answered with a non-2xx status. */
export class HeraldApiError extends HeraldError {
  override readonly name = 'HeraldApiError';
  readonly status: number;
  /** Machine-readable code from the body (`{code, detail}`); `validation` for a 422. */
  readonly code: string;
  /** Human-readable detail; for a 422 the items are summarised here and kept in `validationErrors`. */
  readonly detail: string;
  readonly validationErrors: readonly ValidationErrorItem[];
  /** The `x-request-id` response header, to quote when asking the operator about a failure. */
  readonly requestId: string | undefined;
  /** The parsed body (or raw text when it was not JSON). */
  readonly body: unknown;
  readonly method: string;
  readonly path: string;
  readonly attempts: number;

  constructor(init: HeraldApiErrorInit) {
    super(`${init.method} ${init.path} failed with ${init.status} ${init.code}: ${init.detail}`);
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.validationErrors = init.validationErrors ?? [];
    this.requestId = init.requestId;
    this.body = init.body;
    this.method = init.method;
    this.path = init.path;
    this.attempts = init.attempts;
  }
}

/** The request never got an HTTP response (connection refused or reset, DNS failure, bad response body…). */
export class HeraldNetworkError extends HeraldError {
  override readonly name = 'HeraldNetworkError';
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A single attempt exceeded `timeoutMs`, or the whole call (retries included) exceeded `deadlineMs`. */
export class HeraldTimeoutError extends HeraldError {
  override readonly name = 'HeraldTimeoutError';
  constructor(
    message: string,
    readonly kind: 'attempt' | 'deadline',
    readonly timeoutMs: number,
    readonly method: string,
    readonly path: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ValidationIssue {
  /** Dotted path inside the payload, empty for the root. */
  path: string;
  message: string;
}

/** A payload was rejected by the caller-supplied schema before any request was made. */
export class HeraldValidationError extends HeraldError {
  override readonly name = 'HeraldValidationError';
  constructor(
    readonly eventType: string,
    readonly issues: readonly ValidationIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      `payload for '${eventType}' is invalid: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
      options,
    );
  }
}

/** Why a webhook was rejected; stable strings, safe to log or to return to the sender. */
export type WebhookVerificationReason =
  | 'missing_header'
  | 'invalid_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'invalid_key'
  | 'invalid_body';

/** Receiver side: a webhook failed verification. Not a `HeraldError` on purpose: it is not about the API. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
