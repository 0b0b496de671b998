import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
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
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'internal_error' : 'bad_request';
  }
}
