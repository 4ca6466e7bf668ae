/**
 * OAuth 2.0 client-credentials access tokens (RFC 6749 §4.4) for custom endpoints whose
 * receiver wants `Authorization: Bearer <token>`. Tokens are fetched from the endpoint's token
 * URL, cached per endpoint until shortly before they expire, and fetched once however many
 * deliveries ask at the same moment. On a 401 from the receiver the caller `invalidate`s the
 * token it sent and asks again: only the first such call drops it, so a burst of 401s for one
 * token costs one new fetch.
 *
 * The token URL is chosen by a customer just like the endpoint URL, so it goes through the same
 * network policy (the delivery agent, private literal addresses refused). Error messages never
 * carry the client secret or a token.
 */
import { createHash } from 'node:crypto';
import { fetch } from 'undici';
import { z } from 'zod';
import type { AttemptResult } from './destination';
import { USER_AGENT, type DeliveryNetwork } from './http';
import { PRIVATE_ADDRESS_CODE, refusedLiteral } from './network-policy';

/** How the client authenticates to the token endpoint (RFC 6749 §2.3.1). */
export type OAuth2ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** What a custom endpoint's `oauth2` auth holds, as stored (`method` already defaulted). */
export interface OAuth2ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Sent as `audience` (not in RFC 6749; Auth0 and others ask for it). */
  audience?: string;
  method: OAuth2ClientAuthMethod;
}

/**
 * Fetching a token failed. `retryable` follows callhook's retry rules: network errors,
 * timeouts, 408, 429 and 5xx are retried; other statuses, malformed answers and refused
 * addresses are final. `statusCode` is the token endpoint's status, null when none arrived.
 * The message starts with `oauth token: ` and never contains the client secret or a token.
 */
export class OAuth2TokenError extends Error {
  override readonly name = 'OAuth2TokenError';
  readonly retryable: boolean;
  readonly statusCode: number | null;

  constructor(reason: string, options: { retryable: boolean; statusCode?: number | null; cause?: unknown }) {
    super(`oauth token: ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.statusCode = options.statusCode ?? null;
  }
}

/**
 * The attempt's result when no token could be had: the receiver was never reached, so there is
 * no status code; retried or final as the token error says.
 */
export function oauth2AttemptFailure(err: OAuth2TokenError): AttemptResult {
  return { outcome: err.retryable ? 'retryable' : 'final', statusCode: null, error: err.message, responseExcerpt: null };
}

export interface OAuth2TokenCacheOptions {
  network: DeliveryNetwork;
  /** One token request, body included, may take this long. Default 10 000 ms. */
  timeoutMs?: number;
  /** The clock, in ms (tests move it). Default `Date.now`. */
  now?: () => number;
  /** At most this many endpoints' tokens are kept; the least recently fetched go first. Default 10 000. */
  maxEntries?: number;
}

/** Used when the token response has no `expires_in` (RFC 6749 §5.1 makes it optional): 5 minutes. */
export const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;
/** A token is given up this long before it expires, at most: clocks and transit take time. */
const MAX_EXPIRY_MARGIN_MS = 60_000;
/** ...and at most this share of its lifetime, so short-lived tokens are still reused. */
const EXPIRY_MARGIN_SHARE = 0.1;
/** A token response is a few hundred bytes (a few KiB for a JWT); anything past this is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** Text the token endpoint chose (`error`, `error_description`, `token_type`) is cut to this length. */
const MAX_SERVER_TEXT = 200;

/** How long a token with this `expires_in` (seconds; absent: the default) is reused, in ms. */
export function tokenReuseMs(expiresInSeconds: number | undefined): number {
  const lifetimeMs = expiresInSeconds === undefined ? DEFAULT_TOKEN_LIFETIME_MS : expiresInSeconds * 1000;
  return lifetimeMs - Math.min(MAX_EXPIRY_MARGIN_MS, EXPIRY_MARGIN_SHARE * lifetimeMs);
}

interface CachedToken {
  /** Of the credentials the token was issued for: edited credentials never reuse it. */
  fingerprint: string;
  token: string;
  /** Reused while `now() <` this. */
  reuseUntil: number;
}

/** One token request that every caller asking for the same endpoint and credentials shares. */
interface Flight {
  promise: Promise<string>;
  controller: AbortController;
  /** Callers still waiting; when the last one gives up, the request is aborted. */
  waiters: number;
}

/**
 * Access tokens per endpoint. `token` returns the cached one or fetches one (a single request for
 * all concurrent callers; a failure is not cached and reaches every one of them);
 * `invalidate` drops a token the receiver refused.
 */
export class OAuth2TokenCache {
  private readonly network: DeliveryNetwork;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly maxEntries: number;
  /** By endpoint id; Map order is fetch order, so the first entry is the one to evict. */
  private readonly cached = new Map<string, CachedToken>();
  /** By endpoint id and credentials fingerprint. */
  private readonly flights = new Map<string, Flight>();

  constructor(options: OAuth2TokenCacheOptions) {
    this.network = options.network;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  }

  /**
   * A token for this endpoint: the cached one while it is fresh and was issued for these very
   * credentials, otherwise a new one. `signal` gives up this caller's wait (an
   * `OAuth2TokenError`, retryable); the request itself goes on while other callers wait for it.
   * Throws `OAuth2TokenError`.
   */
  async token(endpointId: string, credentials: OAuth2ClientCredentials, signal: AbortSignal): Promise<string> {
    if (signal.aborted) throw abortedError(signal);
    const fingerprint = credentialsFingerprint(credentials);
    const hit = this.cached.get(endpointId);
    if (hit && hit.fingerprint === fingerprint && this.now() < hit.reuseUntil) return hit.token;
    const key = `${endpointId}\n${fingerprint}`;
    const flight = this.flights.get(key) ?? this.startFlight(key, endpointId, fingerprint, credentials);
    return this.waitFor(key, flight, signal);
  }

  /**
   * Drops the endpoint's token if it is still `token` (the one the receiver refused). A token
   * already replaced, or already dropped, is left alone: the callers that got the same 401 then
   * share the one new fetch.
   */
  invalidate(endpointId: string, token: string): void {
    if (this.cached.get(endpointId)?.token === token) this.cached.delete(endpointId);
  }

  private startFlight(key: string, endpointId: string, fingerprint: string, credentials: OAuth2ClientCredentials): Flight {
    const controller = new AbortController();
    const requestedAt = this.now();
    const promise = requestToken(credentials, this.network, this.timeoutMs, controller)
      .then((issued) => {
        // Counted from the request, not the answer: the server's clock started no later.
        this.store(endpointId, { fingerprint, token: issued.token, reuseUntil: requestedAt + tokenReuseMs(issued.expiresInSeconds) });
        return issued.token;
      })
      .finally(() => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      });
    const flight: Flight = { promise, controller, waiters: 0 };
    this.flights.set(key, flight);
    return flight;
  }

  private waitFor(key: string, flight: Flight, signal: AbortSignal): Promise<string> {
    flight.waiters += 1;
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        flight.waiters -= 1;
        if (flight.waiters === 0 && this.flights.get(key) === flight) {
          // Nobody wants this answer any more: stop the request; a later caller starts afresh.
          this.flights.delete(key);
          flight.controller.abort(signal.reason);
        }
        reject(abortedError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (token) => {
          signal.removeEventListener('abort', onAbort);
          resolve(token);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  private store(endpointId: string, entry: CachedToken): void {
    this.cached.delete(endpointId);
    if (entry.reuseUntil <= this.now()) return; // expires_in too short to reuse: used once, not kept
    this.cached.set(endpointId, entry);
    while (this.cached.size > this.maxEntries) {
      const oldest = this.cached.keys().next();
      if (oldest.done) break;
      this.cached.delete(oldest.value);
    }
  }
}

/** sha256 of the credentials as JSON, fields in a fixed order. Kept in memory only. */
function credentialsFingerprint(c: OAuth2ClientCredentials): string {
  const json = JSON.stringify([c.tokenUrl, c.clientId, c.clientSecret, c.scope ?? null, c.audience ?? null, c.method]);
  return createHash('sha256').update(json).digest('hex');
}

interface IssuedToken {
  token: string;
  expiresInSeconds: number | undefined;
}

/** RFC 6749 Appendix A.12: access_token = 1*VSCHAR, which is also what a header value can carry. */
const VSCHAR = /^[\x20-\x7e]+$/;

/** RFC 6749 §5.1, as validated; unknown fields are ignored. */
const tokenResponseSchema = z.object(
  {
    access_token: z
      .string({ error: 'no access_token' })
      .min(1, 'no access_token')
      .regex(VSCHAR, 'access_token has characters a header cannot carry'),
    token_type: z
      .string({ error: 'token_type is not a string' })
      .refine((type) => type.toLowerCase() === 'bearer', { error: 'token_type is not Bearer' })
      .optional(),
    // A number by the RFC; some servers send a numeric string, or null for "no expiry given".
    expires_in: z
      .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/).transform(Number)], { error: 'expires_in is not a number of seconds' })
      .pipe(z.number({ error: 'expires_in is not a number of seconds' }).nonnegative('expires_in is negative'))
      .nullable()
      .optional(),
  },
  { error: 'not a JSON object' },
);

/** RFC 6749 §5.2 error response; only these fields are read. */
const errorResponseSchema = z.object({ error: z.string().optional(), error_description: z.string().optional() });

/**
 * One token request (RFC 6749 §4.4.2): a form POST with the client's credentials, no redirects
 * followed, through the delivery agent. `controller` aborts it (every caller gave up); it is
 * also aborted after `timeoutMs`.
 */
async function requestToken(
  credentials: OAuth2ClientCredentials,
  network: DeliveryNetwork,
  timeoutMs: number,
  controller: AbortController,
): Promise<IssuedToken> {
  const redact = redactor(credentials);
  let url: URL;
  try {
    url = new URL(credentials.tokenUrl);
  } catch (err) {
    throw new OAuth2TokenError('tokenUrl is not a valid URL', { retryable: false, cause: err });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OAuth2TokenError('tokenUrl must be http or https', { retryable: false });
  const refused = network.allowPrivateNetworks ? undefined : refusedLiteral(url);
  if (refused) throw new OAuth2TokenError(`refused: ${refused.message}`, { retryable: false });

  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (credentials.scope !== undefined) form.set('scope', credentials.scope);
  if (credentials.audience !== undefined) form.set('audience', credentials.audience);
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (credentials.method === 'client_secret_post') {
    form.set('client_id', credentials.clientId);
    form.set('client_secret', credentials.clientSecret);
  } else {
    headers.authorization = basicAuthorization(credentials.clientId, credentials.clientSecret);
  }

  const timedOut = Object.assign(new Error(`timed out after ${timeoutMs} ms`), { name: 'TimeoutError' });
  const timer = setTimeout(() => controller.abort(timedOut), timeoutMs);
  try {
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: form.toString(),
        redirect: 'manual',
        signal: controller.signal,
        dispatcher: network.agent,
      });
    } catch (err) {
      throw fetchFailure(err, controller.signal, timedOut);
    }
    const status = response.status;
    let body: string;
    try {
      body = await readBounded(response.body, MAX_RESPONSE_BYTES);
    } catch (err) {
      if (err instanceof OAuth2TokenError) throw err;
      if (status >= 200 && status < 300) throw fetchFailure(err, controller.signal, timedOut, 'response body unreadable: ');
      body = ''; // an error status says enough without its body
    }
    if (status >= 200 && status < 300) return parseTokenResponse(body, status, redact);
    throw statusFailure(status, body, redact);
  } finally {
    clearTimeout(timer);
  }
}

/** RFC 6749 §2.3.1: both parts form-urlencoded, then HTTP Basic (RFC 7617). */
function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/** application/x-www-form-urlencoded encoding of one value (as URLSearchParams writes it). */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function parseTokenResponse(body: string, status: number, redact: (text: string) => string): IssuedToken {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new OAuth2TokenError(`response is not a token (HTTP ${status}, not JSON)`, { retryable: false, statusCode: status });
  }
  const parsed = tokenResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let reason = issue?.message ?? 'not a token';
    // Name the type the server gave: it is the one thing worth knowing about a non-Bearer token.
    if (issue?.path[0] === 'token_type' && isRecord(json) && typeof json.token_type === 'string') {
      const token = json.access_token;
      const redactAll = (text: string): string => (typeof token === 'string' && token ? redact(text).split(token).join('[redacted]') : redact(text));
      reason = `token_type "${serverText(json.token_type, redactAll, 40)}" is not Bearer`;
    }
    throw new OAuth2TokenError(`response is not a token (${reason})`, { retryable: false, statusCode: status });
  }
  return { token: parsed.data.access_token, expiresInSeconds: parsed.data.expires_in ?? undefined };
}

/** A non-2xx answer: redirects and most 4xx are final; 408, 429 and 5xx are retried. */
function statusFailure(status: number, body: string, redact: (text: string) => string): OAuth2TokenError {
  const retryable = status === 408 || status === 429 || status >= 500;
  if (status >= 300 && status < 400)
    return new OAuth2TokenError(`HTTP ${status} redirect (redirects are not followed)`, { retryable, statusCode: status });
  let detail = '';
  const oauthError = errorResponseSchema.safeParse(parseJsonOrUndefined(body));
  if (oauthError.success) {
    const { error, error_description: description } = oauthError.data;
    if (error) detail += ` ${serverText(error, redact, MAX_SERVER_TEXT)}`;
    if (description) detail += ` (${serverText(description, redact, MAX_SERVER_TEXT)})`;
  }
  return new OAuth2TokenError(`HTTP ${status}${detail}`, { retryable, statusCode: status });
}

/** Why no response arrived (or its body did not): timed out, refused by the network policy, or a network error. */
function fetchFailure(err: unknown, signal: AbortSignal, timedOut: Error, prefix = ''): OAuth2TokenError {
  if (signal.aborted) {
    if (signal.reason === timedOut) return new OAuth2TokenError(timedOut.message, { retryable: true });
    return abortedError(signal);
  }
  const cause = err instanceof Error && err.cause instanceof Error ? (err.cause as NodeJS.ErrnoException) : undefined;
  if (cause?.code === PRIVATE_ADDRESS_CODE) return new OAuth2TokenError(`refused: ${cause.message}`, { retryable: false, cause });
  // Node's network errors read like "connect ECONNREFUSED 127.0.0.1:443"; undici's like "other side closed".
  const reason = cause?.message || cause?.code || (err instanceof Error ? err.message : String(err));
  return new OAuth2TokenError(`${prefix}${reason}`, { retryable: true, cause: err });
}

/** This caller stopped waiting (its attempt timed out or was cancelled): retried, like any interrupted attempt. */
function abortedError(signal: AbortSignal): OAuth2TokenError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new OAuth2TokenError(`timed out: ${reason.message}`, { retryable: true });
  return new OAuth2TokenError(`aborted: ${reason instanceof Error ? reason.message : String(reason)}`, { retryable: true });
}

/** Reads the body as UTF-8, failing (final) past `maxBytes`. */
async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new OAuth2TokenError(`response is larger than ${maxBytes} bytes`, { retryable: false });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Removes the client secret (as given and as encoded on the wire) from text the token endpoint
 * chose, in case it echoes the request back.
 */
function redactor(credentials: OAuth2ClientCredentials): (text: string) => string {
  const secrets = [
    credentials.clientSecret,
    formUrlEncode(credentials.clientSecret),
    encodeURIComponent(credentials.clientSecret),
    basicAuthorization(credentials.clientId, credentials.clientSecret).slice('Basic '.length),
  ].filter((secret, i, all) => secret.length > 0 && all.indexOf(secret) === i);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** Server-chosen text made fit for a one-line message: secret removed, control characters flattened, cut to `max`. */
function serverText(text: string, redact: (text: string) => string, max: number): string {
  const flat = redact(text).replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a non-JSON error body: the status alone is reported
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
