import { BlockList, isIP } from 'node:net';

/** A set of CIDRs to test addresses against (IPv4-mapped IPv6 addresses count as IPv4). */
export function cidrSet(cidrs: readonly string[]): { has(address: string): boolean } {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, bits] = cidr.split('/') as [string, string];
    const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(network, Number(bits), family);
  }
  return {
    has(address: string): boolean {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
      const plain = mapped ? (mapped[1] as string) : address;
      const family = isIP(plain);
      if (family === 0) return false;
      return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
    },
  };
}

export function isValidCidr(cidr: string): boolean {
  const [network, bits, extra] = cidr.split('/');
  if (extra !== undefined || network === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(network);
  return (family === 4 && Number(bits) <= 32) || (family === 6 && Number(bits) <= 128);
}
