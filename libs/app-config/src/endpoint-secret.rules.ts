import {
  ED25519_SECRET_PREFIX,
  ed25519PublicKey,
  generateEd25519Secret,
  generateHmacSecret,
  HMAC_SECRET_PREFIX,
  type SigningKeyKind,
} from '@herald/signing';

/** A secret ready to store: the full `whsec_…`/`whsk_…` text (encrypted before it is written). */
export interface NewSecret {
  kind: SigningKeyKind;
  secret: string;
  /** `whpk_…` for ed25519 secrets. */
  publicKey: string | null;
}

// The spec's pattern for symmetric secrets; the base64 must hold 24–75 bytes (32–100 chars).
const HMAC_PATTERN = /^(whsec_)?([a-zA-Z0-9+/=]{32,100})$/;
const HMAC_MIN_BYTES = 24;
const HMAC_MAX_BYTES = 75;
// Herald extension: an ed25519 signing key, base64 of its 32-byte seed.
const ED25519_PATTERN = /^whsk_([a-zA-Z0-9+/]{43}=)$/;

export type SecretParse = { ok: true; value: NewSecret } | { ok: false; reason: string };

/** A secret given by the client (endpoint create, rotate, patch). */
export function parseSecretInput(input: string): SecretParse {
  if (input.startsWith(ED25519_SECRET_PREFIX)) {
    const seed = ED25519_PATTERN.exec(input)?.[1];
    if (seed === undefined || Buffer.from(seed, 'base64').length !== 32) {
      return { ok: false, reason: `ed25519 secrets are ${ED25519_SECRET_PREFIX} followed by the base64 of a 32-byte seed` };
    }
    return { ok: true, value: { kind: 'ed25519', secret: input, publicKey: ed25519PublicKey(input) } };
  }
  const body = HMAC_PATTERN.exec(input)?.[2];
  if (body === undefined) return { ok: false, reason: `secrets are base64 (32–100 characters), optionally prefixed with ${HMAC_SECRET_PREFIX}` };
  const bytes = Buffer.from(body, 'base64').length;
  if (bytes < HMAC_MIN_BYTES || bytes > HMAC_MAX_BYTES) return { ok: false, reason: `secrets hold ${HMAC_MIN_BYTES}–${HMAC_MAX_BYTES} bytes` };
  return { ok: true, value: { kind: 'hmac', secret: `${HMAC_SECRET_PREFIX}${body}`, publicKey: null } };
}

/** A fresh secret of `kind` (24 random bytes for HMAC, as Svix generates them). */
export function generateSecret(kind: SigningKeyKind): NewSecret {
  if (kind === 'ed25519') {
    const { secret, publicKey } = generateEd25519Secret();
    return { kind, secret, publicKey };
  }
  return { kind: 'hmac', secret: generateHmacSecret(), publicKey: null };
}
