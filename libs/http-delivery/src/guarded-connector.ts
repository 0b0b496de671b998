import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { checkAddress } from '@herald/netguard';

/** Resolves a host name to every address it has (both families). */
export type HostResolver = (hostname: string) => Promise<string[]>;


/** The address policy refused the destination; nothing was sent. */
export class AddressRefusedError extends Error {
  readonly code = 'HERALD_ADDRESS_REFUSED';
  constructor(
    readonly hostname: string,
    readonly reason: string,
  ) {
    super(`destination refused by the address policy: ${reason}`);
    this.name = 'AddressRefusedError';
  }
}

/**
 * Picks the address to connect to: literal IPs are checked as they are; names are resolved and
 * EVERY answer must pass (a mixed answer is how rebinding attacks slip a private address in).
 * The caller connects to the returned address, so a second resolution cannot switch it.
 */
export async function vetDestination(hostname: string, allowedCidrs: readonly string[], resolve: HostResolver): Promise<string> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const addresses = isIP(host) !== 0 ? [host] : await resolve(host);
  const [first] = addresses;
  if (first === undefined) throw new AddressRefusedError(host, `${host} did not resolve to any address`);
  for (const address of addresses) {
    const verdict = checkAddress(address, allowedCidrs);
    if (!verdict.allowed) {
      throw new AddressRefusedError(host, address === host ? verdict.reason : `${host} resolves to ${verdict.reason}`);
    }
  }
  return first;
}

export interface GuardedConnectorOptions {
  allowedCidrs: readonly string[];
  /** Extra trusted CA certificates (PEM), added to Node's public roots. */
  ca?: string[];
  connectTimeoutMs: number;
  resolve: HostResolver;
}

/**
 * An undici connector that runs the SSRF guard on every new connection and connects to the
 * vetted address; TLS keeps the original name for SNI and certificate verification (undici
 * passes it as `servername`), and the Host header comes from the request URL.
 */
export function guardedConnector(options: GuardedConnectorOptions): buildConnector.connector {
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    rejectUnauthorized: true,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  const resolve = options.resolve;
  return (connectOptions, callback) => {
    vetDestination(connectOptions.hostname, options.allowedCidrs, resolve).then(
      (address) => {
        base({ ...connectOptions, hostname: address }, callback);
      },
      (err: unknown) => {
        callback(err instanceof Error ? err : new Error(String(err)), null);
      },
    );
  };
}
