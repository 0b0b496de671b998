import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSecret, parseSecretInput } from './endpoint-secret.rules';

describe('endpoint secret rules', () => {
  it('accepts Svix-style secrets with or without the whsec_ prefix, stored with it', () => {
    const body = randomBytes(24).toString('base64');
    expect(parseSecretInput(`whsec_${body}`)).toEqual({ ok: true, value: { kind: 'hmac', secret: `whsec_${body}`, publicKey: null } });
    expect(parseSecretInput(body)).toEqual({ ok: true, value: { kind: 'hmac', secret: `whsec_${body}`, publicKey: null } });
  });

  it('refuses short, long and non-base64 secrets', () => {
    expect(parseSecretInput(`whsec_${randomBytes(16).toString('base64')}`).ok).toBe(false);
    expect(parseSecretInput(`whsec_${randomBytes(80).toString('base64')}`).ok).toBe(false);
    expect(parseSecretInput('whsec_not-base64-at-all-but-long-enough-to-pass').ok).toBe(false);
  });

  it('accepts an ed25519 seed and derives its public key', () => {
    const generated = generateSecret('ed25519');
    const parsed = parseSecretInput(generated.secret);
    expect(parsed).toEqual({ ok: true, value: { kind: 'ed25519', secret: generated.secret, publicKey: generated.publicKey } });
    expect(generated.publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(parseSecretInput(`whsk_${randomBytes(16).toString('base64')}`).ok).toBe(false);
  });

  it('generates 24-byte HMAC secrets', () => {
    const s = generateSecret('hmac');
    expect(Buffer.from(s.secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
  });
});
