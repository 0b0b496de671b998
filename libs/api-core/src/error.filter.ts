import { Catch, HttpException, Logger, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HeraldError, ServiceUnavailableError, ValidationError } from '@herald/tenancy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IDEMPOTENT_REPLAYED_HEADER, IdempotentReplay } from './idempotency.guard';

export interface ErrorResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

/**
 * The one place errors become HTTP responses, in Svix's shapes: `{code, detail}` and, for
 * 422, `{detail: [{loc, msg, type}]}`. 5xx details are logged with the request id and hidden.
 */
@Catch()
export class HeraldErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HeraldErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const { status, body, headers } = errorResponse(exception, request.id);
    if (exception instanceof ServiceUnavailableError && exception.code === 'overloaded') {
      // Back-pressure working as designed (the body budget), not a fault: no stack per request.
      this.logger.warn({ requestId: request.id, msg: exception.detail });
    } else if (status >= 500) {
      // pino fields: the error's type, message, code and stack under `err` (see PinoNestLogger).
      const dependency = unavailableDependency(exception);
      const msg = dependency ? `${dependency} unavailable: ${errorText(exception)}` : errorText(exception);
      this.logger.error({ err: exception, requestId: request.id, dependency, msg });
    }
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    void reply.header('x-request-id', request.id).status(status).send(body);
  }
}

/** How an error is answered (status, Svix-shaped body, extra headers); also used to record idempotent replies. */
export function errorResponse(exception: unknown, requestId: string): ErrorResponse {
  // Not an error: the response kept for an Idempotency-Key, answered again as it was.
  if (exception instanceof IdempotentReplay) {
    return { status: exception.status, body: exception.body, headers: { [IDEMPOTENT_REPLAYED_HEADER]: 'true' } };
  }
  if (exception instanceof ValidationError) {
    return { status: 422, body: { detail: exception.issues }, headers: {} };
  }
  if (exception instanceof HeraldError) {
    const headers: Record<string, string> = exception.retryAfterSeconds === undefined ? {} : { 'retry-after': String(exception.retryAfterSeconds) };
    return { status: exception.status, body: { code: exception.code, detail: exception.detail }, headers };
  }
  // Nest's router answers an unknown route with "Cannot GET /path?query": never repeat the
  // query string (it may carry a token someone pasted there).
  if (exception instanceof NotFoundException) {
    return { status: 404, body: { code: 'not_found', detail: exception.message.replace(/\?.*$/s, '') }, headers: {} };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, body: { code: codeForStatus(status), detail: exception.message }, headers: {} };
  }
  // PostgreSQL or Redis down, restarting or out of connections: the same call may succeed soon.
  if (unavailableDependency(exception)) {
    return {
      status: 503,
      body: { code: 'service_unavailable', detail: `Temporarily unavailable, retry later (request ${requestId})` },
      headers: { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    };
  }
  // Errors raised by Fastify itself before Nest sees the request (body too large, bad JSON…).
  const fastifyError = exception as FastifyLikeError;
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    return { status, body: { code: codeForStatus(status), detail: fastifyError.message ?? 'Bad request' }, headers: {} };
  }
  return { status: 500, body: { code: 'internal_error', detail: `Internal error (request ${requestId})` }, headers: {} };
}

/** What a client is told to wait (Retry-After, seconds) while PostgreSQL or Redis is unavailable. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

// Prisma: can't reach (P1001), timed out (P1002, P1008), server closed the connection (P1017),
// pool timeout (P2024), too many connections (P2037).
const PRISMA_UNAVAILABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
// Prisma's driver-adapter error kinds for the same situations.
const ADAPTER_UNAVAILABLE_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionAlreadyClosed']);
// PostgreSQL SQLSTATEs: class 08 (connection exception), shutdown/startup (57P01-57P03), too many connections (53300).
const PG_UNAVAILABLE_STATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const PG_UNAVAILABLE_MESSAGE =
  /Can't reach database server|Server has closed the connection|Connection terminated|timeout exceeded when trying to connect|Timed out fetching a new connection|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)|too many clients|Client has encountered a connection error/i;
// ioredis: a command failed after its retries, on a closed connection, or with nowhere to queue
// it; Redis itself while loading, failing over or without a master (LOADING, CLUSTERDOWN, …).
const REDIS_UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const REDIS_UNAVAILABLE_MESSAGE =
  /^Connection is closed\.?$|enableOfflineQueue options is false|Redis connection is not ready|Failed to refresh slots cache|None of startup nodes is available|^(LOADING|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY) /;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Which dependency an error says is unavailable — PostgreSQL (Prisma, pg) or Redis (ioredis,
 * BullMQ) — or undefined for any other error. Looks through `cause` chains and Prisma's
 * `meta`, where drivers put the underlying error.
 */
export function unavailableDependency(exception: unknown): 'PostgreSQL' | 'Redis' | 'a dependency' | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [exception];
  let network = false;
  let fromPostgres = false;
  while (queue.length > 0 && seen.size < 16) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const e = current as { name?: unknown; code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: unknown; originalCode?: unknown };
    const name = typeof e.name === 'string' ? e.name : '';
    const message = typeof e.message === 'string' ? e.message : '';
    const code = typeof e.code === 'string' ? e.code : '';
    if (name.startsWith('PrismaClient') || name === 'DriverAdapterError' || name === 'PostgresQueryError') fromPostgres = true;
    if (name === 'PrismaClientInitializationError') return 'PostgreSQL';
    if (name.startsWith('PrismaClient') && PRISMA_UNAVAILABLE_CODES.has(code)) return 'PostgreSQL';
    if (typeof e.kind === 'string' && ADAPTER_UNAVAILABLE_KINDS.has(e.kind)) return 'PostgreSQL';
    if (PG_UNAVAILABLE_STATE.test(code) || (typeof e.originalCode === 'string' && PG_UNAVAILABLE_STATE.test(e.originalCode))) return 'PostgreSQL';
    if (PG_UNAVAILABLE_MESSAGE.test(message)) return 'PostgreSQL';
    if (REDIS_UNAVAILABLE_NAMES.has(name) || REDIS_UNAVAILABLE_MESSAGE.test(message)) return 'Redis';
    if (NETWORK_CODES.has(code)) network = true;
    queue.push(e.cause, e.meta);
    if (typeof e.meta === 'object' && e.meta !== null) queue.push(...Object.values(e.meta as Record<string, unknown>));
  }
  if (network) return fromPostgres ? 'PostgreSQL' : 'a dependency';
  return undefined;
}

function errorText(exception: unknown): string {
  return exception instanceof Error ? exception.message : String(exception);
}

/** Longest path parameter the router accepts (uids and names are at most 256 characters; longer ones get their 422). */
export const MAX_PATH_PARAM_LENGTH = 1024;

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route (or Nest) sees the
 * request — a URL that is not valid percent-encoded UTF-8, a path parameter beyond
 * {@link MAX_PATH_PARAM_LENGTH} — answered in the API's error shape, without repeating the URL.
 */
export function answerFrameworkError(error: FastifyLikeError, request: FastifyRequest, reply: FastifyReply): void {
  let response: ErrorResponse;
  if (error.code === 'FST_ERR_BAD_URL') {
    response = { status: 400, body: { code: 'bad_request', detail: 'Malformed URL: not valid percent-encoded UTF-8' }, headers: {} };
  } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    response = { status: 414, body: { code: 'uri_too_long', detail: `A path parameter is longer than ${MAX_PATH_PARAM_LENGTH} characters` }, headers: {} };
  } else {
    response = errorResponse(error, String(request.id));
  }
  sendErrorResponse(request, reply, response);
}

/** Writes an error response straight to the reply: for Fastify hooks and framework errors, which Nest's filter never sees. */
export function sendErrorResponse(request: FastifyRequest, reply: FastifyReply, response: ErrorResponse): void {
  for (const [name, value] of Object.entries(response.headers)) void reply.header(name, value);
  void reply.code(response.status).header('x-request-id', request.id).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(response.body));
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'authentication_failed';
    case 403:
      return 'insufficient_access';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 414:
      return 'uri_too_long';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 503:
      return 'service_unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'bad_request';
  }
}
