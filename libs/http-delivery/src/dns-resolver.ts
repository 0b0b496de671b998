import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { HostResolver } from './guarded-connector';

export interface DnsResolverOptions {
  /** DNS servers (ip or ip:port); empty: the system's (from /etc/resolv.conf). */
  servers: readonly string[];
  /** The whole lookup, both families, gives up after this. */
  timeoutMs: number;
}

const MIN_TTL_MS = 1_000;
const MAX_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

export class DnsLookupError extends Error {
  constructor(
    readonly hostname: string,
    message: string,
  ) {
    super(message);
    this.name = 'DnsLookupError';
  }
}

/**
 * Resolves endpoint host names with c-ares (`dns.Resolver`), not `getaddrinfo`: a lookup runs on
 * the event loop's own sockets instead of one of libuv's four pool threads, so a slow DNS server
 * for one tenant's domain cannot stall other tenants' lookups (or file and crypto work). Every
 * lookup has its own deadline (within the delivery timeout). Answers are cached for their TTL
 * (1–60 s); concurrent lookups of one name share one query.
 *
 * c-ares does not read /etc/hosts; `localhost` names (RFC 6761) resolve to loopback here, which
 * the address policy then refuses unless the operator allowed it.
 */
export function createDnsResolver(options: DnsResolverOptions): HostResolver {
  // c-ares retries per server with its own timeout; keep the total within ours.
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(options.timeoutMs / 2)), tries: 2 });
  if (options.servers.length > 0) resolver.setServers([...options.servers]);
  const cache = new Map<string, { addresses: string[]; expiresAt: number }>();
  const inFlight = new Map<string, Promise<string[]>>();

  const lookup = async (hostname: string): Promise<string[]> => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname, { ttl: true }), resolver.resolve6(hostname, { ttl: true })]);
    const answers = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (answers.length === 0) {
      const reason = v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : undefined;
      const code = reason instanceof Error && 'code' in reason ? String(reason.code) : 'ENODATA';
      // c-ares' own retries (2 × half the deadline) can run out just before our deadline fires.
      if (code === 'ETIMEOUT') throw timedOut(hostname, options.timeoutMs);
      throw new DnsLookupError(hostname, `${hostname} did not resolve (${code})`);
    }
    const ttlMs = Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Math.min(...answers.map((a) => a.ttl)) * 1000));
    const addresses = answers.map((a) => a.address);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(hostname, { addresses, expiresAt: Date.now() + ttlMs });
    return addresses;
  };

  return async (raw) => {
    const hostname = raw.toLowerCase().replace(/\.$/, '');
    if (isIP(hostname) !== 0) return [hostname];
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) return ['127.0.0.1', '::1'];
    const hit = cache.get(hostname);
    if (hit && hit.expiresAt > Date.now()) return hit.addresses;
    let pending = inFlight.get(hostname);
    if (!pending) {
      pending = withDeadline(lookup(hostname), options.timeoutMs, hostname).finally(() => inFlight.delete(hostname));
      inFlight.set(hostname, pending);
    }
    return pending;
  };
}

function timedOut(hostname: string, ms: number): DnsLookupError {
  return new DnsLookupError(hostname, `${hostname} did not resolve within ${ms} ms`);
}

function withDeadline<T>(work: Promise<T>, ms: number, hostname: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(hostname, ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
