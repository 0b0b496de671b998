import { describe, expect, it } from 'vitest';
import { headerIssues, isSensitiveHeader } from './endpoint-header.rules';

describe('endpoint header rules', () => {
  it('accepts ordinary headers and tokens', () => {
    expect(headerIssues({ 'X-Tenant': 'acme', authorization: 'Bearer x', "x-odd!#$%&'*+.^_`|~": 'v\twith tab' }, ['body', 'headers'])).toEqual([]);
    // obs-text: 0x80–0xFF are sent as Latin-1 bytes.
    expect(headerIssues({ 'x-latin1': 'caf\u00e9 \u00ff \u0080' }, ['body', 'headers'])).toEqual([]);
  });

  it.each([
    ['bad name', 'x:y', 'v'],
    ['space in name', 'x y', 'v'],
    ['CR LF in value', 'x-a', 'v\r\nInjected: 1'],
    ['NUL in value', 'x-a', 'v\u0000'],
    ['DEL in value', 'x-a', 'v\u007f'],
    ['unit separator in value', 'x-a', 'v\u001f'],
    ['character beyond U+00FF in value', 'x-a', 'price \u20ac'],
    ['emoji in value', 'x-a', '\u{1F600}'],
    ['hop-by-hop', 'Connection', 'close'],
    ['hop-by-hop', 'transfer-encoding', 'chunked'],
    ['proxy header', 'Proxy-Authorization', 'x'],
    ['signature header', 'webhook-signature', 'v1,x'],
    ['svix header', 'svix-id', 'x'],
    ['body framing', 'Content-Length', '1'],
    ['host', 'Host', 'evil.example'],
    ['user-agent', 'User-Agent', 'x'],
  ])('refuses %s (%s)', (_what, name, value) => {
    const issues = headerIssues({ [name]: value }, ['body', 'headers']);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.loc).toEqual(['body', 'headers', name]);
  });

  it('refuses names that differ only in case', () => {
    expect(headerIssues({ 'X-A': '1', 'x-a': '2' }, ['h'])).toHaveLength(1);
  });

  it('marks credentials as sensitive', () => {
    for (const name of ['Authorization', 'cookie', 'X-API-Key', 'x-auth-token', 'X-Client-Secret', 'x-signing-key']) expect(isSensitiveHeader(name)).toBe(true);
    for (const name of ['x-tenant', 'accept-language']) expect(isSensitiveHeader(name)).toBe(false);
  });
});
