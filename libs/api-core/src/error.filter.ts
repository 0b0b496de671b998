import { Catch, HttpException, Logger, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HeraldError, ValidationError } from '@herald/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

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
    if (status >= 500) {
      this.logger.error({ err: exception, requestId: request.id }, exception instanceof Error ? exception.stack : String(exception));
    }
    for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
    void reply.header('x-request-id', request.id).status(status).send(body);
  }
}

/** How an error is answered (status, Svix-shaped body, extra headers); also used to record idempotent replies. */
export function errorResponse(exception: unknown, requestId: string): ErrorResponse {
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
  // Errors raised by Fastify itself before Nest sees the request (body too large, bad JSON…).
  const fastifyError = exception as FastifyLikeError;
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    const status = fastifyError.statusCode;
    return { status, body: { code: codeForStatus(status), detail: fastifyError.message ?? 'Bad request' }, headers: {} };
  }
  return { status: 500, body: { code: 'internal_error', detail: `Internal error (request ${requestId})` }, headers: {} };
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
    default:
      return status >= 500 ? 'internal_error' : 'bad_request';
  }
}
