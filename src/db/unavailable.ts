/**
 * Whether an error means Postgres could not be reached (down, restarting, the network cut), as
 * opposed to a query's own failure: the API answers those with 503 and a Retry-After instead of
 * a 500, and the activities' retry policies wait them out.
 */

/** Socket-level errors of the node-postgres driver when the server is gone or unreachable. */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/** SQLSTATEs of a server shutting down or refusing connections (admin_shutdown, crash_shutdown, cannot_connect_now). */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);

/** Messages node-postgres gives connection failures that carry no code. */
const CONNECTION_ERROR_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECTION_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
      // Class 08: connection exception (08000, 08003, 08006, 08001, 08004…).
      if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (CONNECTION_ERROR_MESSAGES.some((message) => current instanceof Error && current.message.startsWith(message))) return true;
    // An AggregateError (a host resolving to several addresses, each refused) is unavailable if all its errors are.
    if (current instanceof AggregateError && current.errors.length > 0 && current.errors.every((e) => isDatabaseUnavailable(e))) return true;
  }
  return false;
}
