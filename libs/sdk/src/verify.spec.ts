import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { WebhookVerificationError, type WebhookVerificationReason } from './errors.js';
import {
  generateWebhookKeyPair,
  generateWebhookSecret,
  signWebhook,
  signWebhookHeaders,
  verifyWebhook,
  verifyWebhookDetailed,
  webhookPublicKeyFromSecretKey,
  type VerifyWebhookOptions,
} from './verify.js';

// The Standard Webhooks specification's test vector.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const SIG = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const AT_TS = new Date(TS * 1000);

const vectorHeaders = (): Record<string, string> => ({ 'webhook-id': ID, 'webhook-timestamp': String(TS), 'webhook-signature': SIG });

function reasonOf(fn: () => unknown): WebhookVerificationReason {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    return (err as WebhookVerificationError).reason;
  }
  throw new Error('expected verification to fail');
}

function verifyVector(overrides: Partial<VerifyWebhookOptions> = {}): unknown {
  return verifyWebhook({ secret: SECRET, headers: vectorHeaders(), rawBody: BODY, now: AT_TS, ...overrides });
}

describe('verifyWebhook — v1 (HMAC-SHA256)', () => {
  it('accepts the Standard Webhooks test vector and returns the parsed payload', () => {
    expect(verifyVector()).toEqual({ test: 2432232314 });
  });

  it('signs the test vector to the expected signature', () => {
    expect(signWebhook({ secret: SECRET, id: ID, timestamp: AT_TS, rawBody: BODY })).toBe(SIG);
  });

  it('accepts a Buffer body, any header case and a Fetch Headers object', () => {
    const upper = { 'Webhook-Id': ID, 'WEBHOOK-TIMESTAMP': String(TS), 'Webhook-Signature': SIG };
    expect(verifyWebhook({ secret: SECRET, headers: upper, rawBody: Buffer.from(BODY), now: AT_TS })).toEqual({ test: 2432232314 });
    expect(verifyWebhook({ secret: SECRET, headers: new Headers(vectorHeaders()), rawBody: BODY, now: AT_TS })).toEqual({ test: 2432232314 });
  });

  it('returns id and timestamp with the detailed variant', () => {
    const verified = verifyWebhookDetailed({ secret: SECRET, headers: vectorHeaders(), rawBody: BODY, now: AT_TS });
    expect(verified).toEqual({ id: ID, timestamp: AT_TS, payload: { test: 2432232314 } });
  });

  it('rejects a body with one character changed', () => {
    expect(reasonOf(() => verifyVector({ rawBody: '{"test": 2432232315}' }))).toBe('no_matching_signature');
  });

  it('rejects a signature with one character changed', () => {
    const tampered = SIG.replace('g0hM', 'g1hM');
    expect(reasonOf(() => verifyVector({ headers: { ...vectorHeaders(), 'webhook-signature': tampered } }))).toBe('no_matching_signature');
  });

  it('rejects a signature whose last character differs only in padding bits', () => {
    // Decoding would give the same bytes; comparing the text refuses the non-canonical spelling.
    const tampered = SIG.replace('1OE=', '1OF=');
    expect(reasonOf(() => verifyVector({ headers: { ...vectorHeaders(), 'webhook-signature': tampered } }))).toBe('no_matching_signature');
  });

  it('rejects the right signature made with another secret', () => {
    expect(reasonOf(() => verifyVector({ secret: generateWebhookSecret() }))).toBe('no_matching_signature');
  });

  it('accepts a timestamp exactly at the tolerance, rejects one second older', () => {
    expect(verifyVector({ now: new Date((TS + 300) * 1000) })).toEqual({ test: 2432232314 });
    expect(reasonOf(() => verifyVector({ now: new Date((TS + 301) * 1000) }))).toBe('timestamp_too_old');
  });

  it('rejects an expired timestamp with the default clock', () => {
    expect(reasonOf(() => verifyWebhook({ secret: SECRET, headers: vectorHeaders(), rawBody: BODY }))).toBe('timestamp_too_old');
  });

  it('rejects a timestamp too far in the future', () => {
    expect(reasonOf(() => verifyVector({ now: new Date((TS - 301) * 1000) }))).toBe('timestamp_too_new');
    expect(reasonOf(() => verifyVector({ now: new Date((TS - 20) * 1000), toleranceSec: 10 }))).toBe('timestamp_too_new');
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('rejects a request without %s', (name) => {
    const headers: Record<string, string> = vectorHeaders();
    delete headers[name];
    expect(reasonOf(() => verifyVector({ headers }))).toBe('missing_header');
  });

  it('rejects a timestamp that is not Unix seconds', () => {
    expect(reasonOf(() => verifyVector({ headers: { ...vectorHeaders(), 'webhook-timestamp': '2021-02-26T12:22:10Z' } }))).toBe('invalid_timestamp');
    expect(reasonOf(() => verifyVector({ headers: { ...vectorHeaders(), 'webhook-timestamp': '-1614265330' } }))).toBe('invalid_timestamp');
  });

  it.each([
    ['empty', 'whsec_'],
    ['not base64', 'whsec_not*base64!'],
    ['impossible base64 length', 'whsec_abcde'],
    ['an ed25519 public key', generateWebhookKeyPair().publicKey],
  ])('rejects a malformed secret (%s) before looking at the request', (_label, secret) => {
    expect(reasonOf(() => verifyVector({ secret }))).toBe('invalid_key');
    expect(reasonOf(() => verifyWebhook({ secret, headers: {}, rawBody: '' }))).toBe('invalid_key');
  });

  it('rejects a call without any key', () => {
    expect(reasonOf(() => verifyWebhook({ headers: vectorHeaders(), rawBody: BODY, now: AT_TS }))).toBe('invalid_key');
  });

  it('accepts a header with several signatures when one of them is valid (rotation)', () => {
    const other = signWebhook({ secret: generateWebhookSecret(), id: ID, timestamp: AT_TS, rawBody: BODY });
    const signature = `v1,bm90IGEgc2lnbmF0dXJl ${other} v2,ignored-unknown-version ${SIG}`;
    expect(verifyVector({ headers: { ...vectorHeaders(), 'webhook-signature': signature } })).toEqual({ test: 2432232314 });
  });

  it('rejects a header whose several signatures are all wrong', () => {
    const other = signWebhook({ secret: generateWebhookSecret(), id: ID, timestamp: AT_TS, rawBody: BODY });
    expect(reasonOf(() => verifyVector({ headers: { ...vectorHeaders(), 'webhook-signature': `${other} v1,${'A'.repeat(43)}=` } }))).toBe(
      'no_matching_signature',
    );
  });

  it('accepts any of several receiver secrets', () => {
    expect(verifyVector({ secret: [generateWebhookSecret(), SECRET] })).toEqual({ test: 2432232314 });
  });

  it('accepts the svix-* header names', () => {
    const headers = { 'svix-id': ID, 'svix-timestamp': String(TS), 'svix-signature': SIG };
    expect(verifyVector({ headers })).toEqual({ test: 2432232314 });
  });

  it('prefers webhook-* over svix-* when both are present', () => {
    const headers = { ...vectorHeaders(), 'svix-id': 'msg_other', 'svix-timestamp': '1', 'svix-signature': 'v1,wrong' };
    expect(verifyVector({ headers })).toEqual({ test: 2432232314 });
  });

  it('joins repeated signature headers given as an array', () => {
    const headers = { ...vectorHeaders(), 'webhook-signature': ['v1,wrong', SIG] };
    expect(verifyVector({ headers })).toEqual({ test: 2432232314 });
  });

  it('reports a signed body that is not JSON as invalid_body', () => {
    const headers = signWebhookHeaders({ secret: SECRET, id: ID, timestamp: AT_TS, rawBody: 'not json' });
    expect(reasonOf(() => verifyWebhook({ secret: SECRET, headers, rawBody: 'not json', now: AT_TS }))).toBe('invalid_body');
  });
});

describe('verifyWebhook — v1a (ed25519)', () => {
  const { secretKey, publicKey } = generateWebhookKeyPair();
  const body = JSON.stringify({ id: 'in_1', amountCents: 500 });
  const now = new Date();

  it('round-trips: whsk_ signs, whpk_ verifies', () => {
    const headers = signWebhookHeaders({ secret: secretKey, id: 'msg_1', timestamp: now, rawBody: body });
    expect(headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(verifyWebhook({ publicKey, headers, rawBody: body, now })).toEqual({ id: 'in_1', amountCents: 500 });
  });

  it('derives the same public key from the secret key', () => {
    expect(webhookPublicKeyFromSecretKey(secretKey)).toBe(publicKey);
  });

  it('rejects a tampered body', () => {
    const headers = signWebhookHeaders({ secret: secretKey, id: 'msg_1', timestamp: now, rawBody: body });
    expect(reasonOf(() => verifyWebhook({ publicKey, headers, rawBody: body.replace('500', '501'), now }))).toBe('no_matching_signature');
  });

  it('rejects a tampered signature and a tampered id', () => {
    const headers = signWebhookHeaders({ secret: secretKey, id: 'msg_1', timestamp: now, rawBody: body });
    const sig = headers['webhook-signature'];
    const flipped = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
    expect(reasonOf(() => verifyWebhook({ publicKey, headers: { ...headers, 'webhook-signature': flipped }, rawBody: body, now }))).toBe('no_matching_signature');
    expect(reasonOf(() => verifyWebhook({ publicKey, headers: { ...headers, 'webhook-id': 'msg_2' }, rawBody: body, now }))).toBe('no_matching_signature');
  });

  it('rejects a signature made with another key pair', () => {
    const headers = signWebhookHeaders({ secret: generateWebhookKeyPair().secretKey, id: 'msg_1', timestamp: now, rawBody: body });
    expect(reasonOf(() => verifyWebhook({ publicKey, headers, rawBody: body, now }))).toBe('no_matching_signature');
  });

  it('does not accept a v1a signature when only an HMAC secret is configured, nor v1 with only a public key', () => {
    const v1a = signWebhookHeaders({ secret: secretKey, id: 'msg_1', timestamp: now, rawBody: body });
    expect(reasonOf(() => verifyWebhook({ secret: SECRET, headers: v1a, rawBody: body, now }))).toBe('no_matching_signature');
    const v1 = signWebhookHeaders({ secret: SECRET, id: 'msg_1', timestamp: now, rawBody: body });
    expect(reasonOf(() => verifyWebhook({ publicKey, headers: v1, rawBody: body, now }))).toBe('no_matching_signature');
  });

  it('signs with several keys at once, and either verifier accepts the combined header', () => {
    const headers = signWebhookHeaders({ secret: [SECRET, secretKey], id: 'msg_1', timestamp: now, rawBody: body });
    expect(headers['webhook-signature'].split(' ').map((s) => s.split(',')[0])).toEqual(['v1', 'v1a']);
    expect(verifyWebhook({ publicKey, headers, rawBody: body, now })).toEqual({ id: 'in_1', amountCents: 500 });
    expect(verifyWebhook({ secret: SECRET, headers, rawBody: body, now })).toEqual({ id: 'in_1', amountCents: 500 });
  });

  it.each([
    ['missing prefix', publicKey.slice('whpk_'.length)],
    ['wrong length', 'whpk_AAAA'],
    ['not base64', 'whpk_***'],
  ])('rejects a malformed public key (%s)', (_label, key) => {
    const headers = signWebhookHeaders({ secret: secretKey, id: 'msg_1', timestamp: now, rawBody: body });
    expect(reasonOf(() => verifyWebhook({ publicKey: key, headers, rawBody: body, now }))).toBe('invalid_key');
  });
});

describe('interoperability', () => {
  const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'in_1', amountCents: 500 } });

  it('standardwebhooks verifies a signature made here', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhookHeaders({ secret, id: 'msg_interop', rawBody: body });
    expect(new StandardWebhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('verifies a signature made by standardwebhooks', () => {
    const secret = generateWebhookSecret();
    const timestamp = new Date();
    const signature = new StandardWebhook(secret).sign('msg_interop', timestamp, body);
    const headers = { 'webhook-id': 'msg_interop', 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': signature };
    expect(verifyWebhook({ secret, headers, rawBody: body })).toEqual(JSON.parse(body));
  });

  it("svix's Webhook verifies a signature made here, under svix-* header names", () => {
    const secret = generateWebhookSecret(24);
    const headers = signWebhookHeaders({ secret, id: 'msg_interop', rawBody: body });
    const svixHeaders = { 'svix-id': headers['webhook-id'], 'svix-timestamp': headers['webhook-timestamp'], 'svix-signature': headers['webhook-signature'] };
    expect(new SvixWebhook(secret).verify(body, svixHeaders)).toEqual(JSON.parse(body));
  });

  it('the reference libraries reject what was signed with another secret', () => {
    const headers = signWebhookHeaders({ secret: generateWebhookSecret(), id: 'msg_interop', rawBody: body });
    expect(() => new StandardWebhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow();
  });
});
