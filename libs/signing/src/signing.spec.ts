import { createPublicKey, verify } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey, generateEd25519Secret, generateHmacSecret, parseSigningSecret, signatureHeader, webhookHeaders } from './signing';

const hmac = (secret: string) => parseSigningSecret('hmac', secret);

describe('Standard Webhooks signing', () => {
  it('matches the specification test vector', () => {
    const body = Buffer.from('{"test": 2432232314}');
    const header = signatureHeader([hmac('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body);
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies with the standardwebhooks and svix libraries', () => {
    const secret = generateHmacSecret();
    const body = Buffer.from(JSON.stringify({ type: 'invoice.paid', data: { amount: 12, note: 'ünïcödé ✓' } }));
    const headers = webhookHeaders({ msgId: 'msg_1', timestamp: Math.floor(Date.now() / 1000), body, keys: [hmac(secret)], svixHeaders: true });
    expect(new StandardWebhook(secret).verify(body.toString('utf8'), headers)).toMatchObject({ type: 'invoice.paid' });
    expect(new SvixWebhook(secret).verify(body.toString('utf8'), headers)).toMatchObject({ type: 'invoice.paid' });
    // svix-* twins carry the same values
    expect(headers['svix-signature']).toBe(headers['webhook-signature']);
    expect(headers['svix-id']).toBe('msg_1');
    const onlySvix = { 'svix-id': headers['svix-id']!, 'svix-timestamp': headers['svix-timestamp']!, 'svix-signature': headers['svix-signature']! };
    expect(new SvixWebhook(secret).verify(body.toString('utf8'), onlySvix)).toBeTruthy();
  });

  it('signs with every active secret during a rotation; each verifies', () => {
    const [oldSecret, newSecret] = [generateHmacSecret(), generateHmacSecret()];
    const body = Buffer.from('{"a":1}');
    const headers = webhookHeaders({ msgId: 'msg_2', timestamp: Math.floor(Date.now() / 1000), body, keys: [hmac(newSecret), hmac(oldSecret)] });
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(headers['svix-id']).toBeUndefined();
    for (const secret of [oldSecret, newSecret]) {
      expect(new StandardWebhook(secret).verify('{"a":1}', headers)).toEqual({ a: 1 });
      expect(new SvixWebhook(secret).verify('{"a":1}', headers)).toEqual({ a: 1 });
    }
    expect(() => new StandardWebhook(generateHmacSecret()).verify('{"a":1}', headers)).toThrow();
  });

  it('adds a v1a ed25519 signature that verifies with the public key and leaves v1 verifiers working', () => {
    const { secret, publicKey } = generateEd25519Secret();
    expect(ed25519PublicKey(secret)).toBe(publicKey);
    const symmetric = generateHmacSecret();
    const body = Buffer.from('{"b":2}');
    const ts = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders({ msgId: 'msg_3', timestamp: ts, body, keys: [hmac(symmetric), parseSigningSecret('ed25519', secret)] });
    const entries = headers['webhook-signature']!.split(' ');
    const v1a = entries.find((e) => e.startsWith('v1a,'))!.slice(4);
    const raw = Buffer.from(publicKey.slice('whpk_'.length), 'base64');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    expect(verify(null, Buffer.from(`msg_3.${ts}.{"b":2}`), key, Buffer.from(v1a, 'base64'))).toBe(true);
    expect(new StandardWebhook(symmetric).verify('{"b":2}', headers)).toEqual({ b: 2 });
  });

  it('signs the bytes, not a re-serialisation', () => {
    const secret = generateHmacSecret();
    const body = Buffer.from('{ "spaced" :  true }');
    const headers = webhookHeaders({ msgId: 'msg_4', timestamp: Math.floor(Date.now() / 1000), body, keys: [hmac(secret)] });
    expect(() => new StandardWebhook(secret).verify('{"spaced":true}', headers)).toThrow();
    expect(new StandardWebhook(secret).verify(body.toString(), headers)).toEqual({ spaced: true });
  });

  it('refuses malformed secrets', () => {
    expect(() => parseSigningSecret('hmac', 'whsec_')).toThrow(/empty/);
    expect(() => parseSigningSecret('ed25519', 'whsk_AAAA')).toThrow(/32-byte/);
    expect(() => parseSigningSecret('rsa', 'x')).toThrow(/unknown/);
  });
});
