import { randomUUID } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { HeraldApiError, HeraldNetworkError, HeraldTimeoutError, type ValidationErrorItem } from './errors.js';
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, sleep, type BackoffOptions } from './retry.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | readonly string[] | Date | null | undefined;

export interface TransportConfig {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  retries: number;
  deadlineMs: number;
  backoff: BackoffOptions;
  dispatcher: Dispatcher;
  userAgent: string;
}

export interface ApiRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue>;
  /** Already-serialised JSON body. */
  json?: string;
  /** POST only: reused on every retry of this call. Generated when absent. */
  idempotencyKey?: string;
}

type AttemptOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string | string[] | undefined>; text: string }
  | { kind: 'timeout'; cause: unknown }
  | { kind: 'error'; cause: unknown };

/** undici error codes that describe a misuse, not a transient failure: retrying cannot help. */
const NON_RETRYABLE_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

export function newIdempotencyKey(): string {
  return `auto_${randomUUID()}`;
}

/** Sends one API call with retries; returns the parsed JSON body (undefined when empty). */
export class Transport {
  private readonly origin: string;
  private readonly basePath: string;

  constructor(private readonly config: TransportConfig) {
    const url = new URL(config.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be http(s), got ${url.protocol}`);
    }
    this.origin = url.origin;
    // Keep a path prefix (API behind a reverse proxy under /herald), without a trailing slash.
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  async send<T>(req: ApiRequest): Promise<T> {
    const { retries, deadlineMs, timeoutMs } = this.config;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.config.apiKey}`,
      accept: 'application/json',
      'user-agent': this.config.userAgent,
    };
    if (req.json !== undefined) headers['content-type'] = 'application/json';
    // Fixed once per call, so a retry of a request the server did process is recognised as a replay.
    if (req.method === 'POST') headers['idempotency-key'] = req.idempotencyKey ?? newIdempotencyKey();
    const url = this.origin + this.basePath + req.path + buildQuery(req.query);
    const deadlineAt = Date.now() + deadlineMs;

    for (let attempt = 1; ; attempt++) {
      const remaining = deadlineAt - Date.now();
      const attemptTimeout = Math.min(timeoutMs, remaining);
      const limitedByDeadline = attemptTimeout < timeoutMs;
      const outcome = attemptTimeout > 0 ? await this.attempt(url, req, headers, attemptTimeout) : { kind: 'timeout' as const, cause: undefined };

      let error: HeraldApiError | HeraldNetworkError | HeraldTimeoutError;
      let retryable: boolean;
      let retryAfterMs: number | undefined;
      if (outcome.kind === 'response') {
        if (outcome.status >= 200 && outcome.status < 300) return parseSuccess<T>(outcome.text, req, attempt);
        error = toApiError(outcome.status, outcome.headers, outcome.text, req, attempt);
        // 409 idempotency_in_progress: our own earlier try of this very call is still running.
        retryable = isRetryableStatus(outcome.status) || (outcome.status === 409 && error.code === 'idempotency_in_progress');
        retryAfterMs = parseRetryAfterMs(outcome.headers['retry-after']);
      } else if (outcome.kind === 'timeout') {
        error = limitedByDeadline
          ? new HeraldTimeoutError(`${req.method} ${req.path} exceeded the ${deadlineMs} ms deadline after ${attempt} attempt(s)`, 'deadline', deadlineMs, req.method, req.path, attempt, { cause: outcome.cause })
          : new HeraldTimeoutError(`${req.method} ${req.path} attempt ${attempt} timed out after ${timeoutMs} ms`, 'attempt', timeoutMs, req.method, req.path, attempt, { cause: outcome.cause });
        retryable = !limitedByDeadline;
      } else {
        const code = errorCode(outcome.cause);
        error = new HeraldNetworkError(
          `${req.method} ${req.path} failed: ${describe(outcome.cause)}`,
          req.method,
          req.path,
          attempt,
          { cause: outcome.cause },
        );
        retryable = code === undefined || !NON_RETRYABLE_CODES.has(code);
      }

      if (!retryable || attempt > retries) throw error;
      const delay = retryAfterMs ?? backoffDelayMs(attempt - 1, this.config.backoff);
      // Waiting past the deadline would only postpone the same failure.
      if (Date.now() + delay >= deadlineAt) throw error;
      await sleep(delay);
    }
  }

  /** One HTTP exchange, body included, under one timer: a stalled body counts as a timeout too. */
  private async attempt(url: string, req: ApiRequest, headers: Record<string, string>, timeoutMs: number): Promise<AttemptOutcome> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body: req.json,
        signal: controller.signal,
        dispatcher: this.config.dispatcher,
      });
      const text = await res.body.text();
      return { kind: 'response', status: res.statusCode, headers: res.headers, text };
    } catch (cause) {
      return timedOut ? { kind: 'timeout', cause } : { kind: 'error', cause };
    } finally {
      clearTimeout(timer);
    }
  }
}

function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(key, item);
    else if (value instanceof Date) params.append(key, value.toISOString());
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

function parseSuccess<T>(text: string, req: ApiRequest, attempts: number): T {
  // 204 and 202-with-empty-body have no content; the caller's T is void/undefined there.
  if (text.trim() === '') return undefined as T;
  try {
    // The API's contract is trusted here: validating every response would need a schema
    // library at runtime, which this SDK deliberately does not depend on.
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new HeraldNetworkError(`${req.method} ${req.path} returned a 2xx response that is not JSON`, req.method, req.path, attempts, { cause });
  }
}

function toApiError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  req: ApiRequest,
  attempts: number,
): HeraldApiError {
  let body: unknown = text;
  try {
    if (text.trim() !== '') body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, for instance): keep the raw text as the body and detail.
    body = text;
  }
  const requestId = firstHeader(headers['x-request-id']) ?? firstHeader(headers['svix-req-id']);
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  const rawDetail = record?.['detail'];
  if (Array.isArray(rawDetail)) {
    const items = rawDetail.filter(isValidationItem);
    return new HeraldApiError({
      status,
      code: typeof record?.['code'] === 'string' ? record['code'] : 'validation',
      detail: items.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ') || 'validation failed',
      validationErrors: items,
      requestId,
      body,
      method: req.method,
      path: req.path,
      attempts,
    });
  }
  return new HeraldApiError({
    status,
    code: typeof record?.['code'] === 'string' ? record['code'] : `http_${status}`,
    detail: typeof rawDetail === 'string' ? rawDetail : text.slice(0, 500) || `HTTP ${status}`,
    requestId,
    body,
    method: req.method,
    path: req.path,
    attempts,
  });
}

function isValidationItem(v: unknown): v is ValidationErrorItem {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o['loc']) && typeof o['msg'] === 'string' && typeof o['type'] === 'string';
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function errorCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = errorCode(e);
    const inner = e.cause instanceof Error ? ` (${e.cause.message})` : '';
    return `${code ? `${code} ` : ''}${e.message}${inner}`;
  }
  return String(e);
}
