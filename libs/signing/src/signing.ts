import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-id`,
 * `webhook-timestamp` and `webhook-signature`, the last holding one space-separated entry per
 * active secret — `v1,<base64 HMAC-SHA256>` for symmetric secrets (`whsec_…`) and
 * `v1a,<base64 ed25519>` for asymmetric ones (`whsk_…`). The signed content is
 * `{id}.{timestamp}.{body}` over the exact bytes sent.
 */
export const HMAC_SECRET_PREFIX = 'whsec_';
export const ED25519_SECRET_PREFIX = 'whsk_';
export const ED25519_PUBLIC_KEY_PREFIX = 'whpk_';

export type SigningKeyKind = 'hmac' | 'ed25519';

/** A parsed secret, ready to sign: parse once and reuse (ed25519 key parsing is the slow part). */
export type SigningKey = { kind: 'hmac'; key: Buffer } | { kind: 'ed25519'; key: KeyObject };

// PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class InvalidSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSecretError';
  }
}

/** Parses a stored secret (`whsec_<base64>` or `whsk_<base64 32-byte seed>`). */
export function parseSigningSecret(kind: string, secret: string): SigningKey {
  if (kind === 'hmac') {
    const key = Buffer.from(secret.startsWith(HMAC_SECRET_PREFIX) ? secret.slice(HMAC_SECRET_PREFIX.length) : secret, 'base64');
    if (key.length === 0) throw new InvalidSecretError('empty HMAC secret');
    return { kind: 'hmac', key };
  }
  if (kind === 'ed25519') {
    if (!secret.startsWith(ED25519_SECRET_PREFIX)) throw new InvalidSecretError(`ed25519 secrets start with ${ED25519_SECRET_PREFIX}`);
    const seed = Buffer.from(secret.slice(ED25519_SECRET_PREFIX.length), 'base64');
    if (seed.length !== 32) throw new InvalidSecretError('ed25519 secrets hold a 32-byte seed');
    return { kind: 'ed25519', key: createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }) };
  }
  throw new InvalidSecretError(`unknown secret kind: ${kind}`);
}

/** The `webhook-signature` value: one entry per key, in the order given. */
export function signatureHeader(keys: readonly SigningKey[], msgId: string, timestamp: number, body: Buffer): string {
  const prefix = Buffer.from(`${msgId}.${timestamp}.`, 'utf8');
  let content: Buffer | undefined;
  const entries: string[] = [];
  for (const k of keys) {
    if (k.kind === 'hmac') {
      entries.push(`v1,${createHmac('sha256', k.key).update(prefix).update(body).digest('base64')}`);
    } else {
      content ??= Buffer.concat([prefix, body]);
      entries.push(`v1a,${sign(null, content, k.key).toString('base64')}`);
    }
  }
  return entries.join(' ');
}

export interface WebhookHeaderInput {
  msgId: string;
  /** Unix seconds. */
  timestamp: number;
  /** The exact bytes that will be sent. */
  body: Buffer;
  keys: readonly SigningKey[];
  /** Also send `svix-id`, `svix-timestamp`, `svix-signature` (for receivers on older Svix libraries). */
  svixHeaders?: boolean;
}

export function webhookHeaders(input: WebhookHeaderInput): Record<string, string> {
  const signature = signatureHeader(input.keys, input.msgId, input.timestamp, input.body);
  const timestamp = String(input.timestamp);
  const headers: Record<string, string> = { 'webhook-id': input.msgId, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  if (input.svixHeaders) {
    headers['svix-id'] = input.msgId;
    headers['svix-timestamp'] = timestamp;
    headers['svix-signature'] = signature;
  }
  return headers;
}

/** A new symmetric secret, as Svix generates them (24 random bytes). */
export function generateHmacSecret(): string {
  return `${HMAC_SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}

/** A new asymmetric secret and its public key (`whpk_<base64 raw 32-byte key>`). */
export function generateEd25519Secret(): { secret: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(ED25519_PKCS8_PREFIX.length);
  const secret = `${ED25519_SECRET_PREFIX}${seed.toString('base64')}`;
  return { secret, publicKey: ed25519PublicKey(secret) };
}

/** The public key of a `whsk_` secret, as receivers need it to verify `v1a` signatures. */
export function ed25519PublicKey(secret: string): string {
  const parsed = parseSigningSecret('ed25519', secret);
  const spki = createPublicKey(parsed.key).export({ format: 'der', type: 'spki' });
  return `${ED25519_PUBLIC_KEY_PREFIX}${spki.subarray(spki.length - 32).toString('base64')}`;
}
