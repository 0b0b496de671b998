import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { WebhookVerificationError } from './errors.js';

/**
 * Standard Webhooks signatures, receiver and producer side, with no dependency beyond node:crypto.
 *
 * Key formats:
 * - `whsec_<base64>`: HMAC-SHA256 secret (scheme `v1`). Bare base64 is accepted too, like the
 *   reference libraries do.
 * - `whpk_<base64 of the raw 32-byte ed25519 public key>`: verifies `v1a` signatures.
 * - `whsk_<base64 of the raw 32-byte ed25519 seed (private key)>`: signs `v1a` signatures.
 *
 * Signed content: `${webhook-id}.${webhook-timestamp}.${raw body}`; the signature header holds
 * space-separated `version,base64signature` entries and any one valid entry passes.
 */

export const SECRET_PREFIX = 'whsec_';
export const PUBLIC_KEY_PREFIX = 'whpk_';
export const SECRET_KEY_PREFIX = 'whsk_';
export const DEFAULT_TOLERANCE_SEC = 300;

/** A Fetch-API `Headers`, or anything with the same `get`. */
export interface HeadersLike {
  get(name: string): string | null;
}

/** Node's `req.headers` (any letter case) or a `Headers`-like object. */
export type HeadersInput = HeadersLike | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** `whsec_…` secret(s). Several are tried in turn (secret rotation on the receiving side). */
  secret?: string | readonly string[];
  /** `whpk_…` ed25519 public key(s), for `v1a` signatures. */
  publicKey?: string | readonly string[];
  headers: HeadersInput;
  /** The body exactly as received: verifying a re-serialised JSON object would fail. */
  rawBody: string | Uint8Array;
  /** Accepted clock difference in either direction. Default 300 s. */
  toleranceSec?: number;
  /** The current time, for tests and replays. Default: the system clock. */
  now?: Date;
}

export interface VerifiedWebhook<T = unknown> {
  /** `webhook-id`: the same for every attempt of one message, so it is the deduplication key. */
  id: string;
  timestamp: Date;
  payload: T;
}

export interface SignWebhookOptions {
  /** `whsec_…` for `v1`, `whsk_…` for `v1a`; several produce several signatures. */
  secret: string | readonly string[];
  id: string;
  /** Default: now. Signatures carry whole seconds. */
  timestamp?: Date;
  rawBody: string | Uint8Array;
}

// A type alias, not an interface, so it stays assignable to the index-signature `HeadersInput`.
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

type ParsedKey = { kind: 'hmac'; key: Buffer } | { kind: 'ed25519-public'; key: KeyObject } | { kind: 'ed25519-private'; key: KeyObject };

// DER headers that turn a raw 32-byte ed25519 key into SPKI / PKCS#8 for node:crypto.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// Parsing a key (base64 decode, DER import) costs more than the signature check it serves,
// and a receiver uses the same few keys for every request: cache them, bounded.
const KEY_CACHE_LIMIT = 256;
const keyCache = new Map<string, ParsedKey>();

function cached(text: string, parse: () => ParsedKey): ParsedKey {
  const hit = keyCache.get(text);
  if (hit) return hit;
  const parsed = parse();
  if (keyCache.size >= KEY_CACHE_LIMIT) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(text, parsed);
  return parsed;
}

function decodeBase64Strict(text: string, what: string): Buffer {
  // Buffer.from(…, 'base64') silently skips invalid characters; a typo must fail loudly instead.
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new WebhookVerificationError('invalid_key', `${what} is not valid base64`);
  }
  return Buffer.from(text, 'base64');
}

function parseSecret(secret: string): ParsedKey {
  if (typeof secret !== 'string') throw new WebhookVerificationError('invalid_key', 'secret must be a string');
  return cached(`s:${secret}`, () => {
    if (secret.startsWith(PUBLIC_KEY_PREFIX) || secret.startsWith(SECRET_KEY_PREFIX)) {
      throw new WebhookVerificationError('invalid_key', `secret looks like an ed25519 key (${secret.slice(0, 5)}…); pass whpk_ keys as publicKey`);
    }
    const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
    return { kind: 'hmac', key: decodeBase64Strict(body, 'secret') };
  });
}

function parseSigningSecret(secret: string): ParsedKey {
  if (typeof secret !== 'string') throw new WebhookVerificationError('invalid_key', 'secret must be a string');
  if (!secret.startsWith(SECRET_KEY_PREFIX)) return parseSecret(secret);
  return cached(`k:${secret}`, () => {
    const seed = decodeBase64Strict(secret.slice(SECRET_KEY_PREFIX.length), 'whsk_ secret key');
    if (seed.length !== 32) throw new WebhookVerificationError('invalid_key', `whsk_ secret key must hold 32 bytes, got ${seed.length}`);
    return { kind: 'ed25519-private', key: createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }) };
  });
}

function parsePublicKey(publicKey: string): ParsedKey {
  if (typeof publicKey !== 'string' || !publicKey.startsWith(PUBLIC_KEY_PREFIX)) {
    throw new WebhookVerificationError('invalid_key', `publicKey must start with ${PUBLIC_KEY_PREFIX}`);
  }
  return cached(`p:${publicKey}`, () => {
    const raw = decodeBase64Strict(publicKey.slice(PUBLIC_KEY_PREFIX.length), 'publicKey');
    if (raw.length !== 32) throw new WebhookVerificationError('invalid_key', `publicKey must hold 32 bytes, got ${raw.length}`);
    return { kind: 'ed25519-public', key: createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' }) };
  });
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

function isHeadersLike(h: HeadersInput): h is HeadersLike {
  return typeof (h as Partial<HeadersLike>).get === 'function';
}

/** Header lookup, case-insensitive, preferring `webhook-*` over the legacy `svix-*` names. */
function headerReader(headers: HeadersInput): (name: 'id' | 'timestamp' | 'signature') => string | undefined {
  let get: (name: string) => string | readonly string[] | undefined;
  if (isHeadersLike(headers)) {
    get = (name) => headers.get(name) ?? undefined;
  } else {
    const lower = new Map<string, string | readonly string[]>();
    for (const [key, value] of Object.entries(headers)) if (value !== undefined) lower.set(key.toLowerCase(), value);
    get = (name) => lower.get(name);
  }
  return (name) => {
    const value = get(`webhook-${name}`) ?? get(`svix-${name}`);
    if (value === undefined || typeof value === 'string') return value;
    if (name === 'signature') return value.join(' ');
    const distinct = new Set(value);
    if (distinct.size > 1) throw new WebhookVerificationError('invalid_header', `webhook-${name} was sent with several different values`);
    return value[0];
  };
}

function signedContent(id: string, timestampSec: number, rawBody: string | Uint8Array): Buffer {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  return Buffer.concat([Buffer.from(`${id}.${timestampSec}.`, 'utf8'), body]);
}

function hmacBase64(key: Buffer, content: Buffer): string {
  return createHmac('sha256', key).update(content).digest('base64');
}

/** Compares base64 text rather than decoded bytes so that a non-canonical encoding never passes. */
function equalConstantTime(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies a webhook and returns its id, timestamp and parsed JSON payload.
 * Throws `WebhookVerificationError` (with a `reason`) on any failure.
 */
export function verifyWebhookDetailed<T = unknown>(options: VerifyWebhookOptions): VerifiedWebhook<T> {
  // Keys first: a misconfigured receiver must fail the same way whatever the request looks like.
  const keys = [...list(options.secret).map(parseSecret), ...list(options.publicKey).map(parsePublicKey)];
  if (keys.length === 0) throw new WebhookVerificationError('invalid_key', 'pass a secret (whsec_…) or a publicKey (whpk_…)');
  const tolerance = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new RangeError(`toleranceSec must be a non-negative number, got ${tolerance}`);

  const read = headerReader(options.headers);
  const id = read('id');
  const timestampText = read('timestamp');
  const signatureHeader = read('signature');
  if (!id) throw new WebhookVerificationError('missing_header', 'missing webhook-id header');
  if (!timestampText) throw new WebhookVerificationError('missing_header', 'missing webhook-timestamp header');
  if (!signatureHeader) throw new WebhookVerificationError('missing_header', 'missing webhook-signature header');

  if (!/^\d{1,12}$/.test(timestampText.trim())) throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp is not a Unix time in seconds');
  const timestampSec = Number(timestampText.trim());
  const nowSec = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (nowSec - timestampSec > tolerance) throw new WebhookVerificationError('timestamp_too_old', `webhook timestamp is more than ${tolerance} s old`);
  if (timestampSec - nowSec > tolerance) throw new WebhookVerificationError('timestamp_too_new', `webhook timestamp is more than ${tolerance} s in the future`);

  const content = signedContent(id, timestampSec, options.rawBody);
  const entries = signatureHeader.split(/\s+/).filter((e) => e !== '');
  let expectedHmacs: string[] | undefined;
  let matched = false;
  for (const raw of entries) {
    // A Fetch `Headers` joins repeated headers with ", "; a signature never ends in a comma.
    const entry = raw.endsWith(',') ? raw.slice(0, -1) : raw;
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    const version = entry.slice(0, comma);
    const signature = entry.slice(comma + 1);
    if (version === 'v1') {
      expectedHmacs ??= keys.flatMap((k) => (k.kind === 'hmac' ? [hmacBase64(k.key, content)] : []));
      if (expectedHmacs.some((expected) => equalConstantTime(signature, expected))) matched = true;
    } else if (version === 'v1a') {
      const bytes = Buffer.from(signature, 'base64');
      // Canonical base64 and the exact length only, so one signature has one accepted spelling.
      if (bytes.length !== 64 || bytes.toString('base64') !== signature) continue;
      if (keys.some((k) => k.kind === 'ed25519-public' && cryptoVerify(null, content, k.key, bytes))) matched = true;
    }
    if (matched) break;
  }
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'no signature matched');

  const text = typeof options.rawBody === 'string' ? options.rawBody : Buffer.from(options.rawBody.buffer, options.rawBody.byteOffset, options.rawBody.byteLength).toString('utf8');
  let payload: T;
  try {
    payload = JSON.parse(text) as T;
  } catch (cause) {
    throw new WebhookVerificationError('invalid_body', 'the signed body is not JSON', { cause });
  }
  return { id, timestamp: new Date(timestampSec * 1000), payload };
}

/**
 * Verifies a webhook and returns its parsed JSON payload. `T` is the caller's claim about the
 * payload's shape, not a check: validate it if the sender is not fully trusted.
 */
export function verifyWebhook<T = unknown>(options: VerifyWebhookOptions): T {
  return verifyWebhookDetailed<T>(options).payload;
}

/** The `webhook-signature` value for one message: `v1,<base64>` and/or `v1a,<base64>`, space-separated. */
export function signWebhook(options: SignWebhookOptions): string {
  const keys = list(options.secret).map(parseSigningSecret);
  if (keys.length === 0) throw new WebhookVerificationError('invalid_key', 'pass at least one secret');
  const timestampSec = Math.floor((options.timestamp ?? new Date()).getTime() / 1000);
  const content = signedContent(options.id, timestampSec, options.rawBody);
  return keys
    .map((k) => {
      if (k.kind === 'hmac') return `v1,${hmacBase64(k.key, content)}`;
      if (k.kind === 'ed25519-private') return `v1a,${cryptoSign(null, content, k.key).toString('base64')}`;
      throw new WebhookVerificationError('invalid_key', 'a public key cannot sign');
    })
    .join(' ');
}

/** All three Standard Webhooks headers for one message. */
export function signWebhookHeaders(options: SignWebhookOptions): WebhookHeaders {
  const timestamp = options.timestamp ?? new Date();
  return {
    'webhook-id': options.id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signWebhook({ ...options, timestamp }),
  };
}

/** A new random `whsec_` secret (32 bytes by default). */
export function generateWebhookSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 64) throw new RangeError('bytes must be an integer from 16 to 64');
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/** A new ed25519 key pair: `whsk_` (keep private, signs) and `whpk_` (give to receivers). */
export function generateWebhookKeyPair(): { secretKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { secretKey: SECRET_KEY_PREFIX + seed.toString('base64'), publicKey: PUBLIC_KEY_PREFIX + raw.toString('base64') };
}

/** The `whpk_` public key matching a `whsk_` secret key. */
export function webhookPublicKeyFromSecretKey(secretKey: string): string {
  const parsed = parseSigningSecret(secretKey);
  if (parsed.kind !== 'ed25519-private') throw new WebhookVerificationError('invalid_key', `expected a ${SECRET_KEY_PREFIX} key`);
  const raw = createPublicKey(parsed.key).export({ format: 'der', type: 'spki' }).subarray(-32);
  return PUBLIC_KEY_PREFIX + raw.toString('base64');
}
