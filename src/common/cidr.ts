import * as ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses an address and unwraps IPv4-mapped IPv6 (`::ffff:10.0.0.1`), so one CIDR list serves
 * sockets of either family. Null when the text is no address.
 */
export function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return null;
  return ipaddr.process(bare);
}

/** Canonical text of an address: IPv4-mapped addresses become plain IPv4. */
export function normalizeAddress(address: string): string {
  return parseAddress(address)?.toString() ?? address;
}

/**
 * Parses a CIDR; a bare address is a range of one host (/32, or /128 for IPv6). Throws when the
 * text is no CIDR.
 */
export function parseCidr(cidr: string): Range {
  const withPrefix = cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`;
  return ipaddr.parseCIDR(withPrefix);
}

/** A compiled CIDR list; `contains` answers for IPv4, IPv6 and IPv4-mapped addresses alike. */
export class CidrList {
  private readonly ranges: Range[];

  constructor(cidrs: readonly string[]) {
    this.ranges = cidrs.map((cidr) => {
      const [address, bits] = parseCidr(cidr);
      // An IPv4-mapped range is matched as the IPv4 range it stands for.
      if (
        address.kind() === 'ipv6' &&
        (address as ipaddr.IPv6).isIPv4MappedAddress() &&
        bits >= 96
      ) {
        return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96] as Range;
      }
      return [address, bits] as Range;
    });
  }

  contains(address: string | undefined): boolean {
    if (!address) return false;
    const parsed = parseAddress(address);
    if (!parsed) return false;
    return this.ranges.some(
      ([range, bits]) => range.kind() === parsed.kind() && parsed.match(range as never, bits),
    );
  }
}
