/**
 * Private and special-purpose address ranges, which deliveries must not reach in production
 * (cloud metadata, databases, admin ports). Pure: the API's validation uses it too.
 */
import net, { BlockList } from 'node:net';

const blocked = new BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv4');
}
// ::/96 (IPv4-compatible, e.g. ::127.0.0.1), 2002::/16 (6to4: it embeds an IPv4 address) and
// fec0::/10 (the deprecated site-local range) reach private IPv4 hosts or internal networks too.
for (const [address, prefix] of [
  ['::', 96], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32], ['2002::', 16],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv6');
}

/** Whether an IP address lies in a private or special-purpose range (IPv4-mapped IPv6 included). */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = net.isIP(ip);
  if (family === 0) return false;
  return blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export const PRIVATE_ADDRESS_CODE = 'EPRIVATEADDRESS';

export class PrivateAddressError extends Error {
  readonly code = PRIVATE_ADDRESS_CODE;
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a private or special-purpose address (set ALLOW_PRIVATE_NETWORKS=true to allow)`);
  }
}

/** For a URL whose host is an IP literal (no lookup happens): the refusal, if it is private. */
export function refusedLiteral(url: URL): PrivateAddressError | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return net.isIP(host) !== 0 && isPrivateAddress(host) ? new PrivateAddressError(host, host) : undefined;
}
