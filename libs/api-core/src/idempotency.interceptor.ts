import { createHash } from 'node:crypto';
import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ConflictError, ValidationError } from '@herald/core';
import { errorResponse } from './error.filter';
import { IdempotencySealer } from './idempotency-sealer';
import { IdempotencyRepository, OPERATOR_IDEMPOTENCY_OWNER, type IdempotencyOwner } from './idempotency.repository';
import type { AuthenticatedRequest } from './principal';

/** How long a completed response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A reservation older than this without a response belongs to a request that died. */
export const IDEMPOTENCY_STALE_MS = 5 * 60 * 1000;
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

const KEY_PATTERN = /^[\x20-\x7e]{1,256}$/;

/**
 * `Idempotency-Key` on every authenticated POST (Svix semantics, docs/decisions/0005):
 * the first request with a key runs and its final response (2xx or 4xx) is kept for 24 h;
 * a retry with the same key and the same request gets that response again, marked
 * `idempotent-replayed: true`; the same key with a different request, or while the first is
 * still running, is a 409. 5xx responses are not kept, so the client can retry.
 * Keys belong to the caller's tenant (the operator has its own namespace).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Idempotency');

  constructor(
    private readonly records: IdempotencyRepository,
    private readonly sealer: IdempotencySealer,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.method !== 'POST') return next.handle();
    const header = request.headers[IDEMPOTENCY_HEADER];
    const principal = request.user;
    // Public routes have no caller to own a key.
    if (header === undefined || principal === undefined) return next.handle();
    const key = Array.isArray(header) ? header.join(', ') : header;
    if (!KEY_PATTERN.test(key)) {
      throw ValidationError.single(['header', IDEMPOTENCY_HEADER], 'must be 1 to 256 printable ASCII characters', 'value_error.idempotency_key');
    }
    const owner = principal.kind === 'operator' ? OPERATOR_IDEMPOTENCY_OWNER : principal.tenantId;
    // An app-portal token's reach (its one application) is checked after this interceptor, so
    // its keys get a namespace of their own: it must never replay what another key of the tenant
    // got for another application (say, a portal token for it). '\n' cannot occur in a client key.
    const recordKey = principal.kind === 'app_portal' ? `${principal.keyId}\n${key}` : key;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return from(this.run(owner, recordKey, requestHash(request), request, reply, next));
  }

  private async run(owner: IdempotencyOwner, key: string, hash: string, request: AuthenticatedRequest, reply: FastifyReply, next: CallHandler): Promise<unknown> {
    const reservation = await this.records.reserve(owner, key, hash, IDEMPOTENCY_TTL_MS, IDEMPOTENCY_STALE_MS);
    if (!reservation.reserved) {
      const existing = reservation.existing;
      if (existing && existing.requestHash !== hash) {
        throw new ConflictError('This Idempotency-Key was already used with a different request', 'idempotency_conflict');
      }
      if (!existing || existing.responseStatus === null) {
        // A distinct code lets clients retry this one (their own earlier try is still running).
        throw new ConflictError('A request with this Idempotency-Key is still being processed; retry later', 'idempotency_in_progress', { retryAfterSeconds: 1 });
      }
      const body = existing.responseSealed ? await this.sealer.open(owner, key, existing.responseSealed) : undefined;
      void reply.status(existing.responseStatus).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      return body ?? undefined;
    }

    let result: unknown;
    try {
      result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (err) {
      const { status, body } = errorResponse(err, String(request.id));
      await this.settle(owner, key, reservation.createdAt, status, body);
      throw err;
    }
    if (reply.sent) {
      // The handler wrote the response itself; there is nothing reliable to replay.
      await this.records.release(owner, key, reservation.createdAt);
      return result;
    }
    await this.settle(owner, key, reservation.createdAt, reply.statusCode, result);
    return result;
  }

  private async settle(owner: IdempotencyOwner, key: string, createdAt: Date, status: number, body: unknown): Promise<void> {
    try {
      if (status >= 500) await this.records.release(owner, key, createdAt);
      else await this.records.complete(owner, key, createdAt, status, body === undefined || body === null ? null : await this.sealer.seal(owner, key, body));
    } catch (err) {
      // The change itself is done: answer it. The reservation stays and answers 409 until it
      // goes stale, which is safer than letting a retry run the request twice.
      this.logger.error({ err, msg: `could not record the response for idempotency key of ${owner}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
}

/** What makes two requests "the same": method, path with query, and the body (key order ignored). */
function requestHash(request: AuthenticatedRequest): string {
  return createHash('sha256')
    .update(`${request.method}\n${request.url}\n${canonicalJson(request.body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
