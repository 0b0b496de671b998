import { isIP } from 'node:net';
import { checkAddress } from './address-policy';

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Write-time check of a webhook URL (endpoint or operational webhook): scheme, host, and —
 * when the host is a literal address in any spelling (decimal, hex, octal, short forms are
 * normalised by the WHATWG parser; bracketed IPv6) — the address policy. Names are checked
 * again at connect time, after DNS.
 */
export function checkWebhookUrl(raw: string, options: { httpsOnly: boolean; allowedCidrs: readonly string[] }): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'invalid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'URL scheme must be https or http' };
  if (options.httpsOnly && url.protocol !== 'https:') return { ok: false, reason: 'URL must use https' };
  if (url.username || url.password) return { ok: false, reason: 'URL must not contain credentials' };
  if (!url.hostname) return { ok: false, reason: 'URL must have a host' };
  // A trailing dot names the same host (`localhost.` is `localhost`, fully qualified).
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname.replace(/\.+$/, '');
  if (isIP(host) !== 0) {
    const verdict = checkAddress(host, options.allowedCidrs);
    if (!verdict.allowed) return { ok: false, reason: `URL host is not allowed: ${verdict.reason}` };
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    const verdict = checkAddress('127.0.0.1', options.allowedCidrs);
    if (!verdict.allowed) return { ok: false, reason: 'URL host is not allowed: localhost is a loopback name' };
  }
  return { ok: true, url };
}
