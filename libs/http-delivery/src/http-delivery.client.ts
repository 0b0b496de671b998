import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { HeraldConfig } from '@herald/config';
import { createDnsResolver, DnsLookupError } from './dns-resolver';
import { AddressRefusedError, guardedConnector, type HostResolver } from './guarded-connector';
import { heraldVersion } from './herald-version';

export interface DeliveryRequest {
  url: string;
  /** Signature and endpoint headers; `user-agent` and `content-type` are set by the client. */
  headers: Record<string, string>;
  /** The exact bytes that were signed. */
  body: Buffer;
  /** Default `application/json`; a raw payload's own type otherwise. */
  contentType?: string;
}

export type DeliveryErrorKind = 'refused' | 'timeout' | 'tls' | 'network' | 'invalid-url';

export interface DeliveryResult {
  /** HTTP status; 0 when no response arrived. */
  status: number;
  /** A 2xx arrived and its body was read in time. */
  ok: boolean;
  /** The response body, cut at `maxStoredBytes`. */
  body: Buffer;
  truncated: boolean;
  durationMs: number;
  /** `Retry-After` of the response, in milliseconds, when present and valid. */
  retryAfterMs?: number;
  /** Why the attempt failed without a usable response. */
  error?: { kind: DeliveryErrorKind; message: string };
}

export interface HttpDeliveryClientOptions {
  /** Whole-request budget: connect, headers and body. */
  timeoutMs: number;
  allowedCidrs: readonly string[];
  httpsOnly: boolean;
  /** Extra trusted CA certificates, PEM. */
  caPem?: string;
  /** DNS resolution (tests inject answers); default: c-ares with a deadline (createDnsResolver). */
  resolve?: HostResolver;
  /** DNS servers for the default resolver; empty: the system's. */
  dnsServers?: readonly string[];
  /** Response bytes kept for the attempt record. */
  maxStoredBytes?: number;
  /** Response bytes read at most; beyond it the connection is dropped instead of drained. */
  maxReadBytes?: number;
}

export const DEFAULT_MAX_STORED_BYTES = 64 * 1024;
const DEFAULT_MAX_READ_BYTES = 1024 * 1024;

class DeliveryTimeoutError extends Error {
  constructor(ms: number) {
    super(`no complete response within ${ms} ms`);
    this.name = 'DeliveryTimeoutError';
  }
}

/**
 * The one outbound HTTP client for webhooks: keep-alive pools (undici Agent), the SSRF guard
 * on every connection, TLS verified, a hard timeout, no redirects followed (a 3xx is just a
 * failed attempt), response bodies read up to a cap. Never throws for a failed delivery.
 */
export class HttpDeliveryClient {
  private readonly agent: Agent;
  private readonly userAgent = `Herald/${heraldVersion()}`;
  private readonly maxStored: number;
  private readonly maxRead: number;

  constructor(private readonly options: HttpDeliveryClientOptions) {
    this.maxStored = options.maxStoredBytes ?? DEFAULT_MAX_STORED_BYTES;
    this.maxRead = Math.max(options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES, this.maxStored);
    this.agent = new Agent({
      connect: guardedConnector({
        allowedCidrs: options.allowedCidrs,
        connectTimeoutMs: options.timeoutMs,
        resolve: options.resolve ?? createDnsResolver({ servers: options.dnsServers ?? [], timeoutMs: options.timeoutMs }),
        ca: options.caPem ? [...rootCertificates, options.caPem] : undefined,
      }),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
      pipelining: 1,
    });
  }

  static fromConfig(config: HeraldConfig, overrides: Partial<HttpDeliveryClientOptions> = {}): HttpDeliveryClient {
    return new HttpDeliveryClient({
      timeoutMs: config.delivery.timeoutMs,
      allowedCidrs: config.delivery.allowedCidrs,
      httpsOnly: config.delivery.httpsOnly,
      dnsServers: config.delivery.dnsServers,
      // Read once at boot: a missing file stops the process (STYLE 12).
      caPem: config.delivery.caFile ? readFileSync(config.delivery.caFile, 'utf8') : undefined,
      ...overrides,
    });
  }

  /**
   * One attempt. Driven through undici's dispatch handler rather than `request()`: no response
   * stream, async iterator or AbortSignal per delivery (a fifth of the dispatcher's CPU went to
   * that plumbing in a drain profile). The budget timer settles the attempt even when the
   * request never reached a socket.
   */
  send(req: DeliveryRequest): Promise<DeliveryResult> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.resolve(invalidUrl('invalid URL'));
    }
    const invalid = this.checkUrl(url);
    if (invalid) return Promise.resolve(invalidUrl(invalid));
    return new Promise((resolve) => {
      const exchange = new DeliveryExchange(this.options.timeoutMs, this.maxStored, this.maxRead, resolve);
      this.agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...withoutReserved(req.headers), 'user-agent': this.userAgent, 'content-type': req.contentType ?? 'application/json' },
          body: req.body,
        },
        exchange,
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private checkUrl(url: URL): string | undefined {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return `unsupported URL scheme ${url.protocol}`;
    if (this.options.httpsOnly && url.protocol !== 'https:') return 'URL must use https';
    if (url.username || url.password) return 'URL must not contain credentials';
    return undefined;
  }
}

function invalidUrl(message: string): DeliveryResult {
  return { status: 0, ok: false, body: Buffer.alloc(0), truncated: false, durationMs: 0, error: { kind: 'invalid-url', message } };
}

/**
 * One request's life as undici reports it: response status and headers, body chunks (kept up
 * to the stored cap, read up to the read cap), end or error, and the whole-request budget.
 * Settles exactly once; whatever undici reports after that (the abort it was asked for) is ignored.
 */
class DeliveryExchange implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private status = 0;
  private retryAfterMs: number | undefined;
  private readonly chunks: Buffer[] = [];
  private stored = 0;
  private total = 0;
  private truncated = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly maxStored: number,
    private readonly maxRead: number,
    private readonly resolve: (result: DeliveryResult) => void,
  ) {
    this.timer = setTimeout(() => this.onTimeout(), timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // The budget ran out while the request waited for a connection.
    if (this.settled) controller.abort(new DeliveryTimeoutError(this.timeoutMs));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx informational responses come before the real one.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.retryAfterMs = parseRetryAfter(headers['retry-after']);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.total += chunk.length;
    if (this.stored < this.maxStored) {
      const part = chunk.subarray(0, this.maxStored - this.stored);
      this.chunks.push(part);
      this.stored += part.length;
    }
    if (this.total > this.maxStored) this.truncated = true;
    // Past the read cap, dropping the connection is cheaper than draining it.
    if (this.total > this.maxRead) {
      this.settle();
      controller.abort(new Error('response body past the read cap'));
    }
  }

  onResponseEnd(): void {
    this.settle();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    // After the budget ran out this is the abort it asked for: already settled as a timeout.
    this.settle(classify(err));
  }

  private onTimeout(): void {
    this.settle(timeoutError(this.timeoutMs));
    this.controller?.abort(new DeliveryTimeoutError(this.timeoutMs));
  }

  private settle(error?: { kind: DeliveryErrorKind; message: string }): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const status = this.status;
    this.resolve({
      status,
      ok: !error && status >= 200 && status < 300,
      body: Buffer.concat(this.chunks, this.stored),
      truncated: this.truncated,
      durationMs: Math.round(performance.now() - this.started),
      retryAfterMs: this.retryAfterMs,
      error,
    });
  }
}

function timeoutError(ms: number): { kind: DeliveryErrorKind; message: string } {
  return { kind: 'timeout', message: `timed out: no complete response within ${ms} ms` };
}

/**
 * Headers the client owns. Endpoint headers are validated when written; this is the
 * last line, so a bad stored header can neither retarget the Host nor break framing.
 */
const RESERVED = new Set(['host', 'user-agent', 'content-type', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization', 'proxy-connection']);

function withoutReserved(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!RESERVED.has(lower)) out[lower] = value;
  }
  return out;
}

const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_|ALTNAME|HANDSHAKE/;

function classify(err: unknown): { kind: DeliveryErrorKind; message: string } {
  if (err instanceof AddressRefusedError) return { kind: 'refused', message: err.message };
  if (err instanceof DnsLookupError) return { kind: 'network', message: err.message };
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'timeout', message: `timed out: ${message}` };
  }
  if (TLS_CODE.test(code)) return { kind: 'tls', message: `TLS error (${code}): ${message}` };
  return { kind: 'network', message: code ? `${code}: ${message}` : message };
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms from now. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
