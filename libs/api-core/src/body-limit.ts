import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { PayloadTooLargeError } from '@herald/tenancy';

/** At most this many bytes of an over-limit body are read (and dropped) before answering 413. */
export const MIN_DRAIN_BYTES = 16 * 1024 * 1024;
/** …and for at most this long after the body went over the limit. */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * The most bytes of a body Herald reads: what Fastify's own `bodyLimit` must be set to. Fastify
 * refuses at once (and closes the connection) a body that declares more than this.
 */
export function drainLimitBytes(maxPayloadBytes: number): number {
  return Math.max(MIN_DRAIN_BYTES, 4 * maxPayloadBytes);
}

/**
 * Answers an over-limit body with a readable 413 (issue 10). Answering as soon as the headers
 * say the body is too large, and closing, leaves a client that is still sending with EPIPE or a
 * reset instead of the answer (the svix client then retries). So the body is read and dropped —
 * never buffered — until it ends, and only then refused; beyond {@link drainLimitBytes} bytes or
 * {@link DRAIN_TIMEOUT_MS} the 413 goes out at once, connection closed. The same holds for a
 * chunked body that grows past the limit while it arrives.
 *
 * Call on the Fastify instance before the Nest application initialises, with Fastify's
 * `bodyLimit` set to {@link drainLimitBytes}.
 */
export function installBodyLimit(fastify: FastifyInstance, maxPayloadBytes: number): void {
  const drainBytes = drainLimitBytes(maxPayloadBytes);
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const { headers } = request;
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      done(null, payload);
      return;
    }
    const declared = Number(headers['content-length']);
    // A body of a declared length within the limit needs no watching: Node's parser reads exactly
    // that many bytes as the body, and Fastify answers 400 if fewer arrive. Most requests are
    // these, and a Transform stream piped per request was a visible share of the API's work.
    if (headers['transfer-encoding'] === undefined && Number.isFinite(declared) && declared <= maxPayloadBytes) {
      done(null, payload);
      return;
    }
    const limited = new LimitedBody(maxPayloadBytes, drainBytes, Number.isFinite(declared) && declared > maxPayloadBytes);
    payload.on('error', (err) => limited.destroy(err));
    payload.pipe(limited);
    // Fastify checks the body's length against its content-length with this.
    done(null, limited);
  });
}

/** Passes a body through up to `limit` bytes; beyond, drops what arrives and fails with 413 once it ended. */
class LimitedBody extends Transform {
  receivedEncodedLength = 0;
  private timer: NodeJS.Timeout | undefined;
  private refused = false;

  constructor(
    private readonly limit: number,
    private readonly drainBytes: number,
    private overLimit: boolean,
  ) {
    super();
    if (overLimit) this.startDrainClock();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    if (!this.overLimit && this.receivedEncodedLength > this.limit) {
      this.overLimit = true;
      this.startDrainClock();
    }
    if (!this.overLimit) {
      callback(null, chunk);
      return;
    }
    if (this.receivedEncodedLength > this.drainBytes) {
      this.refuse(callback);
      return;
    }
    // Dropped: the client reads our 413 once it has sent the rest.
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.overLimit) this.refuse(callback);
    else callback();
  }

  override _destroy(err: Error | null, callback: (error: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(err);
  }

  private startDrainClock(): void {
    this.timer = setTimeout(() => this.refuse((err) => this.destroy(err ?? undefined)), DRAIN_TIMEOUT_MS);
    this.timer.unref();
  }

  private refuse(callback: (err?: Error | null) => void): void {
    if (this.refused) return;
    this.refused = true;
    clearTimeout(this.timer);
    // Fastify answers a body stream's error with its statusCode.
    callback(Object.assign(new PayloadTooLargeError(`Request body is larger than the limit of ${this.limit} bytes`), { statusCode: 413 }));
  }
}
