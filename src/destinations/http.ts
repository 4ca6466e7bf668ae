import { fetch, type Agent } from 'undici';
import type { AttemptRequest, AttemptResult, Destination } from './destination';
import type { EndpointKind } from '../schemas/endpoint';
import { PRIVATE_ADDRESS_CODE, refusedLiteral } from './network-policy';

/** Where deliveries may connect, and the pool of connections they use. */
export interface DeliveryNetwork {
  agent: Agent;
  /** False in production: private and special-purpose addresses are refused (a final failure). */
  allowPrivateNetworks: boolean;
}

export const USER_AGENT = 'callhook/0.1 (+https://github.com/callhook/callhook)';

export interface HttpPost {
  url: string;
  headers: Record<string, string>;
  /** Exactly the bytes sent: signatures are computed over this string. */
  body: string;
  signal: AbortSignal;
  /** At most this many bytes of the response body are read and kept. */
  excerptBytes: number;
  network: DeliveryNetwork;
}

/**
 * POSTs the body and classifies the answer the way every HTTP destination shares:
 * 2xx succeeds; 408, 429 and 5xx are retried (429/503 with Retry-After say when); any other
 * status, redirects included, is final; network errors and timeouts are retried. A refused
 * private address is final. Connections are kept alive between attempts to the same origin.
 */
export async function postAndClassify(request: HttpPost, retryAfterMaxMs: number): Promise<AttemptResult> {
  const refused = request.network.allowPrivateNetworks ? undefined : refusedLiteral(new URL(request.url));
  if (refused) return { outcome: 'final', statusCode: null, error: `refused: ${refused.message}`, responseExcerpt: null };
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, ...request.headers },
      body: request.body,
      redirect: 'manual',
      signal: request.signal,
      dispatcher: request.network.agent,
    });
  } catch (err) {
    const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
    if (cause?.code === PRIVATE_ADDRESS_CODE) return { outcome: 'final', statusCode: null, error: `refused: ${cause.message}`, responseExcerpt: null };
    return { outcome: 'retryable', statusCode: null, error: describeFetchError(err, request.signal), responseExcerpt: null };
  }
  let excerpt: string | null;
  try {
    excerpt = await readExcerpt(response, request.excerptBytes);
  } catch (err) {
    // The status line arrived but the body did not finish: judge by the status, note the read error.
    excerpt = `(response body unreadable: ${describeFetchError(err, request.signal)})`;
  }
  return classifyStatus(response.status, response.headers, excerpt, retryAfterMaxMs);
}

export function classifyStatus(
  status: number,
  headers: Headers,
  responseExcerpt: string | null,
  retryAfterMaxMs: number,
): AttemptResult {
  if (status >= 200 && status < 300) return { outcome: 'succeeded', statusCode: status, responseExcerpt };
  const error = `HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(headers.get('retry-after'), retryAfterMaxMs) : undefined;
    return { outcome: 'retryable', statusCode: status, error, responseExcerpt, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  const why = status >= 300 && status < 400 ? `${error} redirect (redirects are not followed)` : error;
  return { outcome: 'final', statusCode: status, error: why, responseExcerpt };
}

/** Retry-After as seconds or an HTTP date, in ms, capped at `maxMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, maxMs: number, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), maxMs);
}

async function readExcerpt(response: { body: ReadableStream<Uint8Array> | null }, maxBytes: number): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > maxBytes) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  if (size === 0) return null;
  const text = Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
  return truncated ? `${text}…` : text;
}

function describeFetchError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof Error && reason.name === 'TimeoutError') return `timed out: ${reason.message}`;
    return `aborted: ${reason instanceof Error ? reason.message : String(reason)}`;
  }
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

export interface HttpDestinationOptions {
  retryAfterMaxMs: number;
  excerptBytes: number;
  network: DeliveryNetwork;
}

/**
 * A destination that POSTs JSON to the endpoint's URL (custom, Slack, Teams): `render` gives the
 * body — the exact string sent — and any headers; sending and classifying are shared.
 */
export function httpDestination(
  kind: EndpointKind,
  render: (request: AttemptRequest) => { body: string; headers?: Record<string, string> },
  options: HttpDestinationOptions,
): Destination {
  return {
    kind,
    async attempt(request: AttemptRequest): Promise<AttemptResult> {
      const url = request.endpoint.url;
      if (!url) return { outcome: 'final', statusCode: null, error: 'endpoint has no url', responseExcerpt: null };
      const { body, headers } = render(request);
      return postAndClassify(
        {
          url,
          headers: { 'content-type': 'application/json', ...headers },
          body,
          signal: request.signal,
          excerptBytes: options.excerptBytes,
          network: options.network,
        },
        options.retryAfterMaxMs,
      );
    },
  };
}
