import { describe, expect, it } from 'vitest';
import { checkAddress } from './address-policy';
import { checkWebhookUrl } from './url-policy';

describe('checkAddress', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1',
    '169.254.169.254', '0.0.0.0', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::127.0.0.1', '64:ff9b::a00:1', '64:ff9b::169.254.169.254',
    '2002:7f00:1::', '2002:a9fe:a9fe::1', '2001:db8::1',
  ])('refuses %s', (ip) => {
    const verdict = checkAddress(ip);
    expect(verdict.allowed).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows %s', (ip) => {
    expect(checkAddress(ip)).toEqual({ allowed: true });
  });

  it('exempts networks from HERALD_DELIVERY_ALLOWED_CIDRS only', () => {
    expect(checkAddress('127.0.0.1', ['127.0.0.0/8']).allowed).toBe(true);
    expect(checkAddress('10.0.0.1', ['127.0.0.0/8']).allowed).toBe(false);
    expect(checkAddress('::1', ['::1/128']).allowed).toBe(true);
  });

  it('gives a reason', () => {
    expect(checkAddress('169.254.169.254')).toEqual({ allowed: false, reason: '169.254.169.254 is a link-local or cloud metadata address' });
    expect(checkAddress('::1')).toEqual({ allowed: false, reason: '::1 is a loopback address' });
    expect(checkAddress('::ffff:10.0.0.1')).toEqual({ allowed: false, reason: '::ffff:10.0.0.1 embeds 10.0.0.1 is a private address (RFC 1918)' });
  });
});

describe('checkWebhookUrl', () => {
  const policy = { httpsOnly: false, allowedCidrs: [] as string[] };

  it.each([
    'http://127.0.0.1/hook', 'http://2130706433/', 'http://0x7f000001/', 'http://0177.0.0.1/', 'http://127.1/',
    'http://0x7f.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/', 'http://10.0.0.1:8080/',
    'http://169.254.169.254/latest/meta-data', 'http://localhost:3000/', 'http://[fe80::1]/', 'http://0/',
  ])('refuses the literal private host in %s', (url) => {
    const verdict = checkWebhookUrl(url, policy);
    expect(verdict.ok).toBe(false);
  });

  it('refuses bad schemes, credentials and http when https-only', () => {
    expect(checkWebhookUrl('ftp://example.com/', policy)).toMatchObject({ ok: false, reason: expect.stringMatching(/scheme/) });
    expect(checkWebhookUrl('https://user:pw@example.com/', policy)).toMatchObject({ ok: false });
    expect(checkWebhookUrl('not a url', policy)).toMatchObject({ ok: false, reason: 'invalid URL' });
    expect(checkWebhookUrl('http://example.com/', { ...policy, httpsOnly: true })).toMatchObject({ ok: false, reason: 'URL must use https' });
  });

  it('accepts public hosts and names, normalised', () => {
    const verdict = checkWebhookUrl('HTTPS://Example.COM:443/a/../hook', policy);
    expect(verdict.ok && verdict.url.toString()).toBe('https://example.com/hook');
    expect(checkWebhookUrl('http://127.0.0.1:9999/x', { httpsOnly: false, allowedCidrs: ['127.0.0.0/8'] }).ok).toBe(true);
  });
});
