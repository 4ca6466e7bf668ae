/**
 * Which addresses deliveries may connect to. A webhook URL is chosen by a customer, so in
 * production it must not reach callhook's own network (cloud metadata, databases, admin
 * ports): private, loopback, link-local and other special ranges are refused. The check runs on
 * the addresses a hostname resolves to at connect time, so a DNS answer cannot slip past it.
 */
import dns from 'node:dns';
import type net from 'node:net';
import { Agent } from 'undici';
import { PrivateAddressError, isPrivateAddress } from './private-addresses';

export { PRIVATE_ADDRESS_CODE, isPrivateAddress, refusedLiteral } from './private-addresses';

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

/**
 * The connection pool deliveries use: keep-alive per origin; with `allowPrivateNetworks` false,
 * connections to private addresses are refused at connect time.
 */
export function createDeliveryAgent(options: { allowPrivateNetworks: boolean }): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    ...(!options.allowPrivateNetworks && { connect: { lookup: guardedLookup } }),
  });
}

