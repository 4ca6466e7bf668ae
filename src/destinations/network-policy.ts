/**
 * Which addresses deliveries may connect to. A webhook URL is chosen by a customer, so in
 * production it must not reach callhook's own network (cloud metadata, databases, admin
 * ports): private, loopback, link-local and other special ranges are refused. The check runs on
 * the addresses a hostname resolves to at connect time, so a DNS answer cannot slip past it.
 */
import dns from 'node:dns';
import type net from 'node:net';
import type tls from 'node:tls';
import { Agent } from 'undici';
import { PrivateAddressError, isPrivateAddress } from '../net/private-addresses';

export { PRIVATE_ADDRESS_CODE, isPrivateAddress, refusedLiteral } from '../net/private-addresses';

/** dns.lookup that fails when any address found is private. */
const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as dns.LookupAddress[];
    const refused = list.find((a) => isPrivateAddress(a.address));
    if (refused) return callback(new PrivateAddressError(hostname, refused.address) as NodeJS.ErrnoException, '', 0);
    if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    const first = list[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    callback(null, first.address, first.family);
  });
};

/** A client certificate to present, and optionally the CA bundle that replaces the default roots. */
export interface DeliveryTls {
  cert: string;
  key: string;
  ca?: string;
}

/**
 * The connection pool deliveries use: keep-alive per origin; with `allowPrivateNetworks` false,
 * connections to private addresses are refused at connect time. With `tls`, every TLS
 * connection presents that client certificate (mutual TLS) and, when `ca` is given, trusts only it.
 */
export function createDeliveryAgent(options: { allowPrivateNetworks: boolean; tls?: DeliveryTls }): Agent {
  const connect: tls.ConnectionOptions = {
    ...(!options.allowPrivateNetworks && { lookup: guardedLookup }),
    ...(options.tls && { cert: options.tls.cert, key: options.tls.key }),
    ...(options.tls?.ca !== undefined && { ca: options.tls.ca }),
  };
  return new Agent({
    keepAliveTimeout: 30_000,
    ...(Object.keys(connect).length > 0 && { connect }),
  });
}

