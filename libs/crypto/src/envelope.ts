import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM envelope format shared by wrapped data keys and data ciphertexts:
 *
 *   0x01 | kidLength (1 byte) | kid (ASCII) | iv (12) | tag (16) | ciphertext
 *
 * The key id travels with every ciphertext so keys can rotate without guessing. The caller
 * passes associated data (the tenant id) so a ciphertext moved to another tenant's row fails
 * authentication instead of decrypting.
 */
const FORMAT_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DecryptionError';
  }
}

export function seal(key: Buffer, kid: string, plaintext: Buffer, aad: string): Buffer {
  const kidBytes = Buffer.from(kid, 'ascii');
  if (kidBytes.length === 0 || kidBytes.length > 255) throw new Error('key id must be 1..255 ASCII bytes');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION, kidBytes.length]), kidBytes, iv, cipher.getAuthTag(), ciphertext]);
}

/** The key id a ciphertext was sealed with, without decrypting it. */
export function keyIdOf(sealed: Buffer): string {
  if (sealed.length < 2 || sealed[0] !== FORMAT_VERSION) throw new DecryptionError('unknown ciphertext format');
  const kidLength = sealed[1] as number;
  return sealed.subarray(2, 2 + kidLength).toString('ascii');
}

export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const kid = keyIdOf(sealed);
  const start = 2 + kid.length;
  if (sealed.length < start + IV_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext truncated');
  const iv = sealed.subarray(start, start + IV_BYTES);
  const tag = sealed.subarray(start + IV_BYTES, start + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(start + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (err) {
    throw new DecryptionError('ciphertext failed authentication', { cause: err });
  }
}
