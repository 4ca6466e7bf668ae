/**
 * How secrets are shown once stored: a hint of a secret's end, and a credential URL reduced to its
 * origin and such a hint. Used by the API's views and by the endpoints table's redacted url column.
 */
import type { EndpointKind } from '../schemas/endpoint';

/** A hint never shows more than this many characters… */
export const HINT_MAX_CHARS = 4;
/** …nor more than this share of the secret. */
const HINT_MAX_SHARE = 4;

/** `…` and the secret's last characters: at most 4, and at most a quarter of the secret (none of a short one). */
export function secretHint(secret: string): string {
  const chars = Array.from(secret); // code points: a hint never splits a character
  const shown = Math.min(HINT_MAX_CHARS, Math.floor(chars.length / HINT_MAX_SHARE));
  return `…${chars.slice(chars.length - shown).join('')}`;
}

/** Kinds whose url is itself a credential (an incoming-webhook URL: whoever holds it can post). */
const CREDENTIAL_URL_KINDS: ReadonlySet<EndpointKind> = new Set<EndpointKind>(['slack', 'teams']);

export function urlIsCredential(kind: EndpointKind): boolean {
  return CREDENTIAL_URL_KINDS.has(kind);
}

/**
 * A credential URL as shown: its origin (not secret) and a hint of the rest, such as
 * `https://hooks.slack.com/…abcd`. The hint's limits apply to the part after the origin.
 */
export function redactedUrl(url: string): string {
  if (!URL.canParse(url)) return secretHint(url);
  const parsed = new URL(url);
  if (parsed.origin === 'null') return secretHint(url);
  const rest = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  return `${parsed.origin}/${secretHint(rest)}`;
}
