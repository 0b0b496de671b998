/**
 * Domain errors. Services throw these; one HTTP filter (libs/api-core) maps them to the
 * Svix error shapes: `{code, detail}`, and for 422 `{detail: [{loc, msg, type}]}`.
 */
export abstract class HeraldError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** When set, the response carries `Retry-After` (seconds): the same call may succeed later. */
  readonly retryAfterSeconds?: number;
  constructor(readonly detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends HeraldError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(what = 'Entity') {
    super(`${what} not found`);
  }
}

export class ConflictError extends HeraldError {
  readonly status = 409;
  readonly code: string;
  override readonly retryAfterSeconds?: number;
  constructor(detail: string, code = 'conflict', options: { retryAfterSeconds?: number } = {}) {
    super(detail);
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class UnauthorizedError extends HeraldError {
  readonly status = 401;
  readonly code = 'authentication_failed';
}

export class ForbiddenError extends HeraldError {
  readonly status = 403;
  readonly code = 'insufficient_access';
}

export class PayloadTooLargeError extends HeraldError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

export class BadRequestError extends HeraldError {
  readonly status = 400;
  readonly code: string;
  constructor(detail: string, code = 'bad_request') {
    super(detail);
    this.code = code;
  }
}

export class RateLimitedError extends HeraldError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(override readonly retryAfterSeconds: number) {
    super('Too many requests');
  }
}

/** 503: Herald cannot serve the request right now (overloaded or a dependency is down); retry after a while. */
export class ServiceUnavailableError extends HeraldError {
  readonly status = 503;
  readonly code: string;
  constructor(detail: string, code = 'service_unavailable', override readonly retryAfterSeconds = 1) {
    super(detail);
    this.code = code;
  }
}

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** 422 with Svix's `{detail: [{loc, msg, type}]}` body. */
export class ValidationError extends HeraldError {
  readonly status = 422;
  readonly code = 'validation';
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
  }

  static single(loc: (string | number)[], msg: string, type = 'value_error'): ValidationError {
    return new ValidationError([{ loc, msg, type }]);
  }
}
