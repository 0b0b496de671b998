import { WebhookVerificationError } from './errors.js';
import { verifyWebhookDetailed, type HeadersInput, type VerifiedWebhook, type VerifyWebhookOptions } from './verify.js';

/**
 * Raw-body helpers for receivers. Signatures cover the exact bytes sent, so the body must be
 * read before any JSON parser touches it. Framework types are structural: the SDK depends on
 * neither Express nor Fastify.
 */

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Reading the body failed for a reason the sender should hear about; `statusCode` is the HTTP answer. */
export class RawBodyError extends Error {
  override readonly name = 'RawBodyError';
  constructor(
    readonly reason: 'too_large' | 'already_parsed' | 'aborted' | 'invalid_json',
    readonly statusCode: 400 | 413 | 500,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RawBodyOptions {
  /** Larger bodies are refused with a 413 `RawBodyError`. Default 1 MiB. */
  limitBytes?: number;
}

/** The part of a Node `IncomingMessage` (or Express request) read here. */
export interface RawBodySource {
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readableEnded?: boolean;
  /** Set by a body parser that ran before; a Buffer or string is used as is. */
  body?: unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
}

/** Reads a Node request body into one Buffer, refusing more than `limitBytes`. */
export function readRawBody(req: RawBodySource, options: RawBodyOptions = {}): Promise<Buffer> {
  const limit = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (req.readableEnded) {
    // Someone consumed the stream already; only a raw parser's output still has the signed bytes.
    if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body);
    if (typeof req.body === 'string') return Promise.resolve(Buffer.from(req.body, 'utf8'));
    return Promise.reject(
      new RawBodyError('already_parsed', 500, 'the request body was already parsed; mount the webhook handler before any JSON body parser, or use a raw parser'),
    );
  }
  const declared = Number(firstValue(req.headers['content-length']));
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new RawBodyError('too_large', 413, `body of ${declared} bytes exceeds the ${limit}-byte limit`));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      req.removeListener('aborted', onAborted);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      size += buf.length;
      if (size > limit) {
        cleanup();
        reject(new RawBodyError('too_large', 413, `body exceeds the ${limit}-byte limit`));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new RawBodyError('aborted', 400, `reading the body failed: ${err.message}`, { cause: err }));
    };
    const onAborted = (): void => {
      cleanup();
      reject(new RawBodyError('aborted', 400, 'the client aborted the request'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

function firstValue(v: string | readonly string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0];
}

// ---------------------------------------------------------------- Express-style middleware

export type WebhookKeyOptions = Omit<VerifyWebhookOptions, 'headers' | 'rawBody'>;

export interface WebhookRequest extends RawBodySource {
  rawBody?: Buffer;
  webhook?: VerifiedWebhook;
}

/** The part of a Node `ServerResponse` (or Express response) used to refuse a webhook. */
export interface WebhookResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/**
 * Express/Connect-style middleware: reads the raw body, verifies it, then sets `req.rawBody`,
 * `req.webhook` ({id, timestamp, payload}) and `req.body` (the payload) and calls `next()`.
 * A bad signature or an oversized body is answered here (400 / 413, JSON `{code, detail}`);
 * any other failure goes to `next(err)`.
 */
export function webhookMiddleware(options: WebhookKeyOptions & RawBodyOptions): (req: WebhookRequest, res: WebhookResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    readRawBody(req, options).then(
      (rawBody) => {
        let verified: VerifiedWebhook;
        try {
          verified = verifyWebhookDetailed({ ...options, headers: req.headers as HeadersInput, rawBody });
        } catch (err) {
          if (err instanceof WebhookVerificationError) return refuse(res, 400, err.reason, err.message);
          return next(err);
        }
        req.rawBody = rawBody;
        req.webhook = verified;
        req.body = verified.payload;
        // Outside the try: an error thrown downstream is Express's to handle, not a verification failure.
        return next();
      },
      (err: unknown) => {
        if (err instanceof RawBodyError && err.statusCode !== 500) return refuse(res, err.statusCode, err.reason, err.message);
        return next(err);
      },
    );
  };
}

function refuse(res: WebhookResponse, status: number, code: string, detail: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ code, detail }));
}

// ---------------------------------------------------------------- Fastify

/** The part of a Fastify instance used here. */
export interface FastifyLike {
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: object, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void,
  ): void;
  hasContentTypeParser(contentType: string): boolean;
  removeContentTypeParser(contentType: string): void;
}

const rawBodies = new WeakMap<object, Buffer>();

/**
 * Replaces Fastify's JSON parser for `contentType` (default `application/json`) with one that
 * keeps the raw bytes: read them back with `getRawBody(request)` (also set as `request.rawBody`).
 * Register it in the encapsulated context of the webhook route to leave other routes untouched.
 */
export function addRawJsonBodyParser(fastify: FastifyLike, options: { contentType?: string; bodyLimit?: number } = {}): void {
  const contentType = options.contentType ?? 'application/json';
  // Fastify refuses a second parser for a content type that already has one.
  if (fastify.hasContentTypeParser(contentType)) fastify.removeContentTypeParser(contentType);
  fastify.addContentTypeParser(contentType, { parseAs: 'buffer', bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT_BYTES }, (request, body, done) => {
    rawBodies.set(request, body);
    // Also as a property, the convention other raw-body plugins use.
    (request as { rawBody?: Buffer }).rawBody = body;
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch (cause) {
      done(new RawBodyError('invalid_json', 400, 'the body is not valid JSON', { cause }));
    }
  });
}

/** The raw body kept by `addRawJsonBodyParser` for this request. */
export function getRawBody(request: object): Buffer | undefined {
  return rawBodies.get(request);
}
