import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, ServiceUnavailableError } from '@herald/tenancy';
import { BodyBudget } from './body-budget';

/** Deepest nesting of arrays and objects a request body may have. */
export const MAX_JSON_DEPTH = 64;

type ParserDone = (err: Error | null, body?: unknown) => void;

export interface BodyBudgetOptions {
  /** Bytes of received bodies processed at once (HERALD_API_MAX_INFLIGHT_BODY_BYTES). */
  maxInFlightBytes: number;
  /** How long a body waits for budget before its request answers 503. */
  waitMs: number;
}

/** What one request reserved, released when its response closes (sent or aborted). */
interface Reservation {
  bytes: number;
  closed: boolean;
}
const RESERVATION = Symbol('herald.bodyReservation');
type WithReservation = FastifyRequest & { [RESERVATION]?: Reservation };

/**
 * The API's only body parser: `application/json` (any charset parameter), UTF-8, at most
 * `HERALD_MAX_PAYLOAD_BYTES` (installBodyLimit answers 413 before this runs) and at most
 * {@link MAX_JSON_DEPTH} levels deep. Every other content type has no parser, so Fastify
 * answers 415. Refusals happen before routing: no handler runs and nothing is stored.
 *
 * Call on the Fastify instance before the Nest application initialises, with Nest's own body
 * parsers turned off (`bodyParser: false`).
 */
export function installJsonBodyParser(fastify: FastifyInstance, budgetOptions?: BodyBudgetOptions): BodyBudget | undefined {
  const budget = budgetOptions ? new BodyBudget(budgetOptions.maxInFlightBytes) : undefined;
  if (budget) {
    fastify.addHook('onRequest', (request, reply, done) => {
      // Only a request that carries a body can reserve any (most reads carry none).
      if (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined) {
        done();
        return;
      }
      const reservation: Reservation = { bytes: 0, closed: false };
      (request as WithReservation)[RESERVATION] = reservation;
      // 'close' follows both a sent response and a lost connection.
      reply.raw.once('close', () => {
        reservation.closed = true;
        if (reservation.bytes > 0) budget.release(reservation.bytes);
        reservation.bytes = 0;
      });
      done();
    });
  }
  // Drops Fastify's defaults too (text/plain would otherwise reach handlers as a string).
  fastify.removeAllContentTypeParsers();
  // Fastify's own JSON parser, for its prototype-poisoning protection and error shapes.
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig as { onProtoPoisoning?: 'error'; onConstructorPoisoning?: 'error' };
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  const parse = (request: FastifyRequest, raw: Buffer | string, done: ParserDone): void => {
    let text: string;
    try {
      text = decodeJsonText(raw);
    } catch (err) {
      done(err as Error);
      return;
    }
    // An empty body with a JSON content type reads as "no body" (some clients always send the header).
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    // Callback style: it reports through `done`.
    void parseJson(request, text, done);
  };
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, raw: Buffer | string, done: ParserDone) => {
    const reservation = (request as WithReservation)[RESERVATION];
    if (!budget || !budgetOptions || !reservation || raw.length === 0) {
      parse(request, raw, done);
      return;
    }
    void budget.acquire(raw.length, budgetOptions.waitMs).then((granted) => {
      if (!granted) {
        done(new ServiceUnavailableError('The API is busy with other request bodies; retry shortly', 'overloaded', 1));
        return;
      }
      if (reservation.closed) {
        budget.release(raw.length);
        return;
      }
      reservation.bytes = raw.length;
      parse(request, raw, done);
    });
  });
  return budget;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text of a JSON body; throws a 400 for invalid UTF-8 or excessive nesting. */
export function decodeJsonText(raw: Buffer | string): string {
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else {
    try {
      text = UTF8.decode(raw);
    } catch (err) {
      throw new BadRequestError(`Request body is not valid UTF-8 (${(err as Error).message})`, 'invalid_utf8');
    }
  }
  assertJsonDepth(text, MAX_JSON_DEPTH);
  return text;
}

/**
 * Scans JSON text (before parsing, so a hostile document never reaches a recursive walk) and
 * refuses nesting deeper than `max`. Brackets inside strings do not count.
 */
export function assertJsonDepth(text: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i += 1;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > max) throw new BadRequestError(`JSON nested deeper than ${max} levels`, 'json_too_deep');
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth -= 1;
  }
}
