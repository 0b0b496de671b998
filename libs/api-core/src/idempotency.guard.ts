import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, ValidationError } from '@herald/tenancy';
import { IdempotencySealer } from './idempotency-sealer';
import { IdempotencyRepository, OPERATOR_IDEMPOTENCY_OWNER, type IdempotencyOwner } from './idempotency.repository';
import type { AuthenticatedRequest } from './principal';

/** How long a completed response is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How a running request holds its key: a lease of `leaseMs`, renewed every `renewEveryMs` while
 * the handler runs. A request whose process died stops renewing, so its key is free again
 * within `leaseMs` and the client's retry runs.
 */
export interface IdempotencyLeaseTiming {
  leaseMs: number;
  renewEveryMs: number;
}
export const IDEMPOTENCY_LEASE_TIMING = Symbol('IDEMPOTENCY_LEASE_TIMING');
export const DEFAULT_IDEMPOTENCY_LEASE: IdempotencyLeaseTiming = { leaseMs: 10_000, renewEveryMs: 2_000 };
/** Tries to keep a response before letting the lease lapse (the database may be restarting). */
const COMPLETE_RETRY_DELAYS_MS = [0, 250, 1_000];
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

const KEY_PATTERN = /^[\x20-\x7e]{1,256}$/;

/** A request that holds its key: how its response is kept (or the key freed) once it is known. */
interface IdempotencyClaim {
  finish(status: number, body: unknown): Promise<void>;
}
const CLAIM = Symbol('idempotencyClaim');
type ClaimedRequest = FastifyRequest & { [CLAIM]?: IdempotencyClaim };

/**
 * Thrown by the guard to answer a retry with the response kept for its key instead of running
 * the handler; the error filter sends it as it was, marked `idempotent-replayed: true`.
 */
export class IdempotentReplay {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/**
 * `Idempotency-Key` on every authenticated POST, as Svix does it (docs/decisions/0005): the
 * first request with a key (on one path) runs and its final response (2xx or 4xx) is kept for
 * 24 h; a retry with the same key gets that response again whatever its body, marked
 * `idempotent-replayed: true`. While the first request still runs, a retry gets 409
 * `idempotency_in_progress`. A request that failed (5xx, an error) releases its key at once; one
 * whose process died stops renewing its lease, so the key frees itself within seconds.
 * Keys belong to the caller's tenant (the operator has its own namespace).
 *
 * A guard (after AccessGuard, which names the caller) takes the key; the response is kept by
 * the `onSend` hook `installIdempotency` adds, which sees every answer, errors included. It
 * was a Nest interceptor: wrapping every request's handler in Nest's interceptor chain (rxjs
 * observables and two async-context bindings per request) cost about a fifth of the API's
 * throughput in the sustained bench, for the few requests that carry a key.
 */
@Injectable()
export class IdempotencyGuard implements CanActivate {
  private readonly logger = new Logger('Idempotency');
  private readonly lease: IdempotencyLeaseTiming;

  constructor(
    private readonly records: IdempotencyRepository,
    private readonly sealer: IdempotencySealer,
    @Optional() @Inject(IDEMPOTENCY_LEASE_TIMING) lease?: IdempotencyLeaseTiming,
  ) {
    this.lease = lease ?? DEFAULT_IDEMPOTENCY_LEASE;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & ClaimedRequest>();
    if (request.method !== 'POST') return true;
    const header = request.headers[IDEMPOTENCY_HEADER];
    const principal = request.user;
    // Public routes have no caller to own a key.
    if (header === undefined || principal === undefined) return true;
    const key = Array.isArray(header) ? header.join(', ') : header;
    if (!KEY_PATTERN.test(key)) {
      throw ValidationError.single(['header', IDEMPOTENCY_HEADER], 'must be 1 to 256 printable ASCII characters', 'value_error.idempotency_key');
    }
    const owner = principal.kind === 'operator' ? OPERATOR_IDEMPOTENCY_OWNER : principal.tenantId;
    // As in Svix, a key is scoped to the path it was used on (the query string is not part of it).
    // An app-portal token's reach (its one application) is checked after this guard, so
    // its keys get a namespace of their own: it must never replay what another key of the tenant
    // got for another application (say, a portal token for it). '\n' cannot occur in a client key.
    const path = request.url.replace(/\?.*$/s, '');
    const recordKey = principal.kind === 'app_portal' ? `${principal.keyId}\n${path}\n${key}` : `${path}\n${key}`;
    return this.claim(owner, recordKey, requestHash(request)).then((claim) => {
      request[CLAIM] = claim;
      return true;
    });
  }

  /**
   * Takes the key for this request, or throws: the kept response (IdempotentReplay), or 409
   * while another request with the key still runs. The claim renews its lease until finished.
   */
  async claim(owner: IdempotencyOwner, key: string, hash: string): Promise<IdempotencyClaim> {
    const reservation = await this.records.reserve(owner, key, hash, IDEMPOTENCY_TTL_MS, this.lease.leaseMs);
    if (!reservation.reserved) {
      const existing = reservation.existing;
      if (!existing || existing.responseStatus === null) {
        // A distinct code lets clients retry this one (their own earlier try is still running).
        throw new ConflictError('A request with this Idempotency-Key is still being processed; retry later', 'idempotency_in_progress', { retryAfterSeconds: 1 });
      }
      // Svix replays the first response whatever this request's body: producers that rebuild
      // the payload on retry (a new timestamp) must not get a conflict or a second resource.
      const body = existing.responseSealed ? await this.sealer.open(owner, key, existing.responseSealed) : undefined;
      throw new IdempotentReplay(existing.responseStatus, body);
    }

    const { createdAt } = reservation;
    const renewal = setInterval(() => {
      this.records.renew(owner, key, createdAt, this.lease.leaseMs).catch((err: unknown) => {
        // A missed renewal only shortens the lease; the next one may succeed.
        this.logger.warn(`could not renew the idempotency lease of ${owner}: ${errorMessage(err)}`);
      });
    }, this.lease.renewEveryMs);
    renewal.unref();
    let finished = false;
    return {
      finish: async (status, body) => {
        if (finished) return;
        finished = true;
        clearInterval(renewal);
        await this.settle(owner, key, createdAt, status, body);
      },
    };
  }

  private async settle(owner: IdempotencyOwner, key: string, createdAt: Date, status: number, body: unknown): Promise<void> {
    if (status >= 500) {
      await this.release(owner, key, createdAt);
      return;
    }
    let lastError: unknown;
    for (const delay of COMPLETE_RETRY_DELAYS_MS) {
      if (delay > 0) await sleep(delay);
      try {
        await this.records.complete(owner, key, createdAt, status, body === undefined || body === null ? null : await this.sealer.seal(owner, key, body), createdResourceId(status, body));
        return;
      } catch (err) {
        lastError = err;
      }
    }
    // The change itself is done: answer it. The claim's lease lapses within seconds, after which a
    // retry runs the request again (a duplicate is possible only here, with the database down).
    this.logger.error(`could not keep the response for an idempotency key of ${owner}: ${errorMessage(lastError)}`, lastError instanceof Error ? lastError.stack : undefined);
  }

  /** Frees the key at once so the client's retry runs; if that fails too, the lease lapses. */
  private async release(owner: IdempotencyOwner, key: string, createdAt: Date): Promise<void> {
    try {
      await this.records.release(owner, key, createdAt);
    } catch (err) {
      this.logger.warn(`could not release an idempotency key of ${owner}; its lease lapses instead: ${errorMessage(err)}`);
    }
  }
}

/**
 * Keeps each keyed request's response, or frees its key, as the response is sent: its status
 * and JSON body, whether the handler or the error filter wrote it. `onResponse` is the
 * backstop for a request that ended without passing `onSend`: its key is freed.
 */
export function installIdempotency(fastify: FastifyInstance): void {
  // Callback hooks, not async ones: most requests carry no key and must pay nothing here.
  fastify.addHook('onSend', (request: ClaimedRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload: unknown) => void) => {
    const claim = request[CLAIM];
    if (!claim) return done(null, payload);
    // finish() never rejects: a response it cannot keep is logged and its lease lapses.
    void claim.finish(reply.statusCode, keptBody(payload)).then(() => done(null, payload));
  });
  fastify.addHook('onResponse', (request: ClaimedRequest, _reply: FastifyReply, done: () => void) => {
    const claim = request[CLAIM];
    if (claim) void claim.finish(500, undefined);
    done();
  });
}

/** The body to keep: the JSON the response carries (an empty or non-JSON body keeps none). */
function keptBody(payload: unknown): unknown {
  if (typeof payload !== 'string' || payload === '') return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}

/** What a 2xx response created, by its `id`, so erasing that resource can find the kept response. */
function createdResourceId(status: number, body: unknown): string | null {
  if (status < 200 || status >= 300 || body === null || typeof body !== 'object') return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' ? id : null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A digest of the request (method, path with query, body with keys sorted), kept for diagnosis. */
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
