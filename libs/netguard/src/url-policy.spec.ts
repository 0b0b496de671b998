import { describe, expect, it } from 'vitest';
import { checkWebhookUrl } from './url-policy';

const options = { httpsOnly: false, allowedCidrs: [] as string[] };

describe('checkWebhookUrl', () => {
  it.each([
    'https://localhost/',
    'https://localhost./',
    'https://LOCALHOST../hook',
    'https://api.localhost./',
    'http://127.0.0.1./',
    'https://[::1]/',
    'https://0x7f000001/',
    'https://10.0.0.1./',
  ])('refuses %s at write time', (url) => {
    const verdict = checkWebhookUrl(url, options);
    expect(verdict.ok, url).toBe(false);
  });

  it('accepts public names, with or without a trailing dot, and loopback when allowed', () => {
    expect(checkWebhookUrl('https://example.com./hook', options)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('https://receiver.example.com/x', options)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('https://localhost./', { httpsOnly: false, allowedCidrs: ['127.0.0.0/8'] })).toMatchObject({ ok: true });
  });
});
