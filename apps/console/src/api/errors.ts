/** An error from the Herald API (or from reaching it), with a message a person can read. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static network(cause: unknown): ApiError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new ApiError(0, `Could not reach the Herald API (${why}).`);
  }

  /** Herald's error bodies: `{code, detail}`, or 422 `{detail: [{loc, msg, type}]}`. */
  static fromResponse(status: number, body: unknown): ApiError {
    return new ApiError(status, describeError(status, body), codeOf(body));
  }
}

function codeOf(body: unknown): string | undefined {
  return isRecord(body) && typeof body['code'] === 'string' ? body['code'] : undefined;
}

const STATUS_WORDS: Record<number, string> = {
  401: 'The key or token was not accepted: it is wrong, revoked or expired.',
  403: 'This key or token is not allowed to do that.',
  404: 'Not found: it does not exist, or not for this key.',
  409: 'That conflicts with something that already exists.',
  413: 'That is too large.',
  429: 'Too many requests: wait a moment and try again.',
};

export function describeError(status: number, body: unknown): string {
  if (isRecord(body)) {
    const detail = body['detail'];
    if (Array.isArray(detail)) {
      const lines = detail.filter(isRecord).map((issue) => {
        const loc = Array.isArray(issue['loc']) ? issue['loc'].filter((p) => p !== 'body' && p !== 'query' && p !== 'path').join('.') : '';
        const msg = typeof issue['msg'] === 'string' ? issue['msg'] : 'is invalid';
        return loc ? `${loc}: ${msg}` : msg;
      });
      if (lines.length > 0) return `Please check: ${lines.join('; ')}.`;
    }
    if (typeof detail === 'string' && detail.length > 0) {
      const words = STATUS_WORDS[status];
      // 401/403 details are terse; the status words say what to do about it.
      return status === 401 || status === 403 ? `${words ?? ''} (${detail})`.trim() : detail;
    }
  }
  return STATUS_WORDS[status] ?? (status >= 500 ? `Herald had a problem answering (HTTP ${status}). Try again later.` : `The request failed (HTTP ${status}).`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message of any error thrown in the UI, in words. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
