/**
 * Calls the API (same origin) with the signed-in key. A non-2xx answer becomes an ApiFailure
 * carrying the API's error envelope (code, message, and for a 400 the bad fields); a 401 also
 * tells the page that the key is no longer good.
 */
import type { ErrorEnvelope, ValidationIssue } from './api-types';
import { storedApiKey } from './session';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ValidationIssue[],
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

type Unauthorized = (failure: ApiFailure) => void;
let onUnauthorized: Unauthorized = () => {};

/** What to do when a request answers 401 (the key was revoked, or none was given). */
export function setUnauthorizedHandler(handler: Unauthorized): void {
  onUnauthorized = handler;
}

function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  const error = (value as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

async function send(method: string, path: string, body: unknown, key: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch (err) {
    throw new ApiFailure(0, 'network', `${method} ${path}: the API did not answer (${err instanceof Error ? err.message : String(err)})`, []);
  }
}

async function failure(method: string, path: string, response: Response): Promise<ApiFailure> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined; // not JSON (a proxy's error page): the status line says enough
  }
  if (isErrorEnvelope(parsed)) {
    return new ApiFailure(response.status, parsed.error.code, parsed.error.message, parsed.error.details ?? []);
  }
  return new ApiFailure(response.status, 'http_error', `${method} ${path}: HTTP ${response.status} ${response.statusText}`, []);
}

/** A JSON request; resolves with the parsed body of a 2xx answer. `key` overrides the stored key (signing in). */
export async function api<T>(method: string, path: string, options: { body?: unknown; key?: string | null } = {}): Promise<T> {
  const key = options.key === undefined ? storedApiKey() : options.key;
  const response = await send(method, path, options.body, key);
  if (!response.ok) {
    const error = await failure(method, path, response);
    if (response.status === 401) onUnauthorized(error);
    throw error;
  }
  return (await response.json()) as T;
}

/** A request whose answer is text (the signing key's PEM). */
export async function apiText(path: string): Promise<string> {
  const response = await send('GET', path, undefined, storedApiKey());
  if (!response.ok) throw await failure('GET', path, response);
  return response.text();
}

/** A query string of the defined values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The message to show for any error: the API's, or the thrown value's. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
