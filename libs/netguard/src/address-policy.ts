import { BlockList, isIP } from 'node:net';

/**
 * Which addresses Herald may send webhooks to: the one place that decides, used by the API
 * when an endpoint URL is written and by the dispatcher after every DNS resolution.
 */
interface Range {
  network: string;
  prefix: number;
  reason: string;
}

const IPV4_BLOCKED: Range[] = [
  { network: '0.0.0.0', prefix: 8, reason: 'unspecified/"this network" address' },
  { network: '10.0.0.0', prefix: 8, reason: 'private address (RFC 1918)' },
  { network: '100.64.0.0', prefix: 10, reason: 'carrier-grade NAT address (RFC 6598)' },
  { network: '127.0.0.0', prefix: 8, reason: 'loopback address' },
  { network: '169.254.0.0', prefix: 16, reason: 'link-local or cloud metadata address' },
  { network: '172.16.0.0', prefix: 12, reason: 'private address (RFC 1918)' },
  { network: '192.0.0.0', prefix: 24, reason: 'IETF protocol assignment' },
  { network: '192.0.2.0', prefix: 24, reason: 'documentation address' },
  { network: '192.88.99.0', prefix: 24, reason: '6to4 relay anycast address' },
  { network: '192.168.0.0', prefix: 16, reason: 'private address (RFC 1918)' },
  { network: '198.18.0.0', prefix: 15, reason: 'benchmarking address' },
  { network: '198.51.100.0', prefix: 24, reason: 'documentation address' },
  { network: '203.0.113.0', prefix: 24, reason: 'documentation address' },
  { network: '224.0.0.0', prefix: 4, reason: 'multicast address' },
  { network: '240.0.0.0', prefix: 4, reason: 'reserved address' },
];

const IPV6_BLOCKED: Range[] = [
  { network: '::', prefix: 128, reason: 'unspecified address' },
  { network: '::1', prefix: 128, reason: 'loopback address' },
  { network: '64:ff9b:1::', prefix: 48, reason: 'local-use NAT64 address' },
  { network: '100::', prefix: 64, reason: 'discard-only address' },
  { network: '2001::', prefix: 23, reason: 'IETF protocol assignment' },
  { network: '2001:db8::', prefix: 32, reason: 'documentation address' },
  { network: 'fc00::', prefix: 7, reason: 'unique-local address' },
  { network: 'fe80::', prefix: 10, reason: 'link-local address' },
  { network: 'fec0::', prefix: 10, reason: 'site-local address' },
  { network: 'ff00::', prefix: 8, reason: 'multicast address' },
];

/** IPv4 addresses carried inside IPv6 encodings: mapped, compatible, NAT64, 6to4, Teredo. */
function embeddedIpv4(ipv6: string): string[] {
  // Eight 16-bit words; a valid IPv6 literal (checked by isIP) always expands to eight.
  const [w0, w1, w2, w3, w4, w5, w6, w7] = expandIpv6(ipv6) as [number, number, number, number, number, number, number, number];
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const out: string[] = [];
  const leadingZeros = (n: number): boolean => [w0, w1, w2, w3, w4, w5].slice(0, n).every((w) => w === 0);
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, deprecated), ::ffff:0:a.b.c.d (SIIT)
  if (leadingZeros(5) && (w5 === 0xffff || w5 === 0)) out.push(v4(w6, w7));
  if (leadingZeros(4) && w4 === 0xffff && w5 === 0) out.push(v4(w6, w7));
  // 64:ff9b::/96 well-known NAT64 prefix
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) out.push(v4(w6, w7));
  // 2002::/16 6to4
  if (w0 === 0x2002) out.push(v4(w1, w2));
  // 2001:0::/32 Teredo: client address is the last 32 bits, inverted
  if (w0 === 0x2001 && w1 === 0) out.push(v4(w6 ^ 0xffff, w7 ^ 0xffff));
  return out;
}

function expandIpv6(address: string): number[] {
  let text = address.toLowerCase().split('%')[0] ?? '';
  // Trailing dotted IPv4 becomes two hex words.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [, a, b, c, d] = dotted.map(Number) as [number, number, number, number, number];
    text = text.slice(0, -String(dotted[0]).length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headWords = head ? head.split(':') : [];
  const tailWords = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - headWords.length - tailWords.length).fill('0');
  return [...headWords, ...fill, ...tailWords].map((w) => parseInt(w || '0', 16));
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * Decides whether `ip` (a literal address) may receive a webhook. `allowedCidrs`
 * (HERALD_DELIVERY_ALLOWED_CIDRS) exempts networks such as 127.0.0.0/8 in tests.
 */
export function checkAddress(ip: string, allowedCidrs: readonly string[] = []): AddressVerdict {
  const family = isIP(ip);
  if (family === 0) return { allowed: false, reason: `not an IP address: ${ip}` };
  if (allowedCidrs.length > 0 && exemptions(allowedCidrs).has(ip)) return { allowed: true };
  if (family === 4) {
    const hit = IPV4_BLOCKED.find((r) => rangeHas(r, ip, 'ipv4'));
    return hit ? { allowed: false, reason: `${ip} is a ${hit.reason}` } : { allowed: true };
  }
  // Native IPv6 classes first, so ::1 reads "loopback", not "embeds 0.0.0.1".
  const hit = IPV6_BLOCKED.find((r) => rangeHas(r, ip, 'ipv6'));
  if (hit) return { allowed: false, reason: `${ip} is a ${hit.reason}` };
  for (const inner of embeddedIpv4(ip)) {
    const verdict = checkAddress(inner, allowedCidrs);
    if (!verdict.allowed) return { allowed: false, reason: `${ip} embeds ${verdict.reason}` };
  }
  return { allowed: true };
}

function rangeHas(range: Range, ip: string, family: 'ipv4' | 'ipv6'): boolean {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, family);
  return list.check(ip, family);
}

const exemptionCache = new Map<string, { has(ip: string): boolean }>();
function exemptions(cidrs: readonly string[]): { has(ip: string): boolean } {
  const key = cidrs.join(',');
  let set = exemptionCache.get(key);
  if (!set) {
    const list = new BlockList();
    for (const cidr of cidrs) {
      const [network, bits] = cidr.split('/') as [string, string];
      list.addSubnet(network, Number(bits), isIP(network) === 6 ? 'ipv6' : 'ipv4');
    }
    set = { has: (ip: string) => list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4') };
    exemptionCache.set(key, set);
  }
  return set;
}
