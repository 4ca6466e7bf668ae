/**
 * How an endpoint's secrets are kept in its row: one sealed JSON (AES-256-GCM, `ch1.<keyId>.<data>`)
 * in the `secrets` column holds the bearer token, the Basic password, the OAuth client secret, the
 * hmac secrets (current and previous), the hmac-hex secret, the values of secret custom headers,
 * the mutual-TLS private key and, for slack and teams, the url. The AAD names the endpoint, so a
 * ciphertext copied to another row does not open. The other columns keep the rest in plaintext:
 * `auth` its type, header and secrets' dates; `headers` the names and the values that are not
 * secret; `tls` the certificate and CAs; `url` a slack/teams url only redacted (origin and a hint).
 *
 * A row with `secrets` NULL was written before migration 005 and still holds everything in
 * plaintext; it is read as it is until reencryptEndpointSecrets seals it (at every start).
 */
import { z } from 'zod';
import { sealedKeyId, type KeyRing } from '../crypto/key-ring';
import { redactedUrl, urlIsCredential } from '../observability/redaction';
import type { ClientTls, EndpointAuth, EndpointKind } from '../schemas/endpoint';
import type { CustomHeader } from '../schemas/endpoint-options';

/** What is sealed: only the fields an endpoint's auth type and kind have. */
const sealedPartsSchema = z
  .object({
    /** bearer */
    token: z.string().optional(),
    /** basic */
    password: z.string().optional(),
    /** oauth2 */
    clientSecret: z.string().optional(),
    /** The values of the secret custom headers, in the order of the headers column's secret ones. */
    headers: z.array(z.string()).optional(),
    /** mutual TLS: the client certificate's private key (PEM). */
    tlsPrivateKey: z.string().optional(),
    /** hmac: in the order of the auth column's `secrets` (current first). */
    secrets: z.array(z.string()).optional(),
    /** hmac-hex */
    secret: z.string().optional(),
    /** slack, teams */
    url: z.string().optional(),
  })
  .strict();
type SealedParts = z.infer<typeof sealedPartsSchema>;

/** The secret-bearing columns of a row, as written. */
export interface SealedEndpointColumns {
  url: string | null;
  /** The auth column: the stored auth without its secrets. */
  auth: unknown;
  /** The headers column: secret headers without their value. */
  headers: unknown;
  /** The tls column: without the private key. */
  tls: unknown;
  secrets: string;
}

/** The secret-bearing columns of a row, as read. */
export interface StoredEndpointColumns {
  id: string;
  kind: EndpointKind;
  url: string | null;
  auth: unknown;
  headers: unknown;
  tls: unknown;
  secrets: string | null;
}

/** What sealing reads of an endpoint. */
export interface SealableEndpoint {
  id: string;
  kind: EndpointKind;
  url: string | null;
  auth: EndpointAuth;
  headers: readonly CustomHeader[];
  tls: ClientTls | null;
}

/** An endpoint's sealed secrets that cannot be opened (wrong or missing key, another row's ciphertext, damage). */
export class EndpointSecretsError extends Error {
  override readonly name = 'EndpointSecretsError';
  constructor(
    readonly endpointId: string,
    /** The key the secrets were sealed under, when it could be read. */
    readonly keyId: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The AAD of an endpoint's sealed secrets: binds the ciphertext to its row. */
export function endpointSecretsAad(endpointId: string): string {
  return `endpoint:${endpointId}:secrets`;
}

/** The columns to write for an endpoint: its secrets sealed under the ring's current key. */
export function sealEndpointSecrets(endpoint: SealableEndpoint, ring: KeyRing): SealedEndpointColumns {
  const { publicAuth, parts } = splitAuth(endpoint.auth);
  const credentialUrl = endpoint.url !== null && urlIsCredential(endpoint.kind) ? endpoint.url : undefined;
  const sealed: SealedParts = { ...parts };
  if (credentialUrl !== undefined) sealed.url = credentialUrl;
  const secretHeaders = endpoint.headers.filter((h) => h.secret);
  if (secretHeaders.length > 0) sealed.headers = secretHeaders.map((h) => h.value);
  if (endpoint.tls) sealed.tlsPrivateKey = endpoint.tls.privateKey;
  return {
    url: credentialUrl === undefined ? endpoint.url : redactedUrl(credentialUrl),
    auth: publicAuth,
    headers: endpoint.headers.map((h) => (h.secret ? { name: h.name, secret: true } : h)),
    tls: endpoint.tls && { certificate: endpoint.tls.certificate, ...(endpoint.tls.ca !== undefined && { ca: endpoint.tls.ca }) },
    secrets: ring.seal(JSON.stringify(sealed), endpointSecretsAad(endpoint.id)),
  };
}

/**
 * The url and auth of a row in plaintext (auth still to be checked against its schema). Throws an
 * EndpointSecretsError naming the endpoint and key id when the sealed secrets do not open.
 */
export function openEndpointSecrets(row: StoredEndpointColumns, ring: KeyRing): { url: string | null; auth: unknown; headers: unknown; tls: unknown } {
  if (row.secrets === null) return { url: row.url, auth: row.auth, headers: row.headers, tls: row.tls };
  const parts = openParts(row.id, row.secrets, ring);
  let url = row.url;
  if (urlIsCredential(row.kind)) {
    if (parts.url === undefined) throw new EndpointSecretsError(row.id, sealedKeyId(row.secrets), `endpoint ${row.id} (${row.kind}): its sealed secrets hold no url`);
    url = parts.url;
  }
  return { url, auth: joinAuth(row.id, row.auth, parts), headers: joinHeaders(row.id, row.headers, parts), tls: joinTls(row.tls, parts) };
}

/** The headers column with the sealed values of its secret headers put back, in order. */
function joinHeaders(endpointId: string, headers: unknown, parts: SealedParts): unknown {
  if (!Array.isArray(headers)) return headers;
  const values = [...(parts.headers ?? [])];
  const secretCount = headers.filter((h) => isRecord(h) && h.secret === true).length;
  if (secretCount !== values.length) {
    throw new EndpointSecretsError(endpointId, undefined, `endpoint ${endpointId}: its headers column lists ${secretCount} secret headers but ${values.length} values are sealed`);
  }
  return headers.map((h: unknown) => (isRecord(h) && h.secret === true ? { ...h, value: values.shift() } : h));
}

/** The tls column with its sealed private key put back. */
function joinTls(tls: unknown, parts: SealedParts): unknown {
  return isRecord(tls) ? { ...tls, privateKey: parts.tlsPrivateKey } : tls;
}

function openParts(endpointId: string, sealed: string, ring: KeyRing): SealedParts {
  let keyId: string | undefined;
  let text: string;
  try {
    keyId = sealedKeyId(sealed);
    text = ring.open(sealed, endpointSecretsAad(endpointId));
  } catch (err) {
    const under = keyId === undefined ? '' : ` (sealed under key "${keyId}")`;
    throw new EndpointSecretsError(endpointId, keyId, `endpoint ${endpointId}: its stored secrets cannot be opened${under}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EndpointSecretsError(endpointId, keyId, `endpoint ${endpointId}: its sealed secrets are not JSON`, { cause: err });
  }
  const parsed = sealedPartsSchema.safeParse(json);
  if (!parsed.success) {
    // Issues name paths and rules only, never values.
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(secrets)'}: ${i.message}`).join('; ');
    throw new EndpointSecretsError(endpointId, keyId, `endpoint ${endpointId}: its sealed secrets are malformed: ${issues}`);
  }
  return parsed.data;
}

/** The auth column's value (the auth without secrets) and the secrets to seal. */
function splitAuth(auth: EndpointAuth): { publicAuth: unknown; parts: SealedParts } {
  switch (auth.type) {
    case 'none':
    case 'rsa':
      return { publicAuth: auth, parts: {} };
    case 'bearer':
      return { publicAuth: { type: auth.type }, parts: { token: auth.token } };
    case 'basic':
      return { publicAuth: { type: auth.type, username: auth.username }, parts: { password: auth.password } };
    case 'oauth2': {
      const { clientSecret, ...publicAuth } = auth;
      return { publicAuth, parts: { clientSecret } };
    }
    case 'hmac':
      return {
        publicAuth: { type: auth.type, secrets: auth.secrets.map(({ secret: _secret, ...dates }) => dates) },
        parts: { secrets: auth.secrets.map((s) => s.secret) },
      };
    case 'hmac-hex':
      return { publicAuth: { type: auth.type, header: auth.header }, parts: { secret: auth.secret } };
  }
}

/** The stored auth again: the auth column with the opened secrets put back (validated by the caller). */
function joinAuth(endpointId: string, publicAuth: unknown, parts: SealedParts): unknown {
  if (!isRecord(publicAuth)) return publicAuth;
  switch (publicAuth.type) {
    case 'bearer':
      return { ...publicAuth, token: parts.token };
    case 'basic':
      return { ...publicAuth, password: parts.password };
    case 'oauth2':
      return { ...publicAuth, clientSecret: parts.clientSecret };
    case 'hmac-hex':
      return { ...publicAuth, secret: parts.secret };
    case 'hmac': {
      const dates = publicAuth.secrets;
      if (!Array.isArray(dates) || dates.length !== (parts.secrets ?? []).length) {
        throw new EndpointSecretsError(
          endpointId,
          undefined,
          `endpoint ${endpointId}: its auth column lists ${Array.isArray(dates) ? dates.length : 'no'} hmac secrets but ${(parts.secrets ?? []).length} are sealed`,
        );
      }
      return { ...publicAuth, secrets: dates.map((entry: unknown, i) => ({ ...(isRecord(entry) ? entry : {}), secret: parts.secrets?.[i] })) };
    }
    default:
      return publicAuth;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
