import { z } from 'zod';
import { refusedLiteral } from '../net/private-addresses';
import { ALL_EVENTS } from '../domain/event-types';
import { eventTypeNameSchema } from './call-event';

import { endpointKindSchema, type EndpointKind } from './endpoint-kind';
import { endpointFilterSchema, type EndpointFilter } from './endpoint-filter';
import { clientTlsSchema, customHeadersInputSchema, retryScheduleSchema, type CustomHeader, type RetrySchedule } from './endpoint-options';

export { endpointKindSchema, type EndpointKind };

/**
 * Authentication comes in two forms, both defined here:
 * - the INPUT form (`endpointAuthInputSchema`): what a client sends in POST / PATCH;
 * - the STORED form (`endpointAuthSchema`, type `EndpointAuth`): what the database holds and the
 *   destinations sign with. `resolveAuth` turns the first into the second.
 * The two differ only for hmac (a generated secret; a list of secrets so a rotation can keep the
 * old one until its overlap ends) and hmac-hex (the header name filled in).
 */

const WEBHOOK_SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A Standard Webhooks secret: `whsec_` + base64 of 24 to 64 random bytes. */
export const webhookSecretSchema = z
  .string()
  .max(200)
  .refine((secret) => {
    if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
    const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
    if (!BASE64.test(encoded)) return false;
    const bytes = Buffer.from(encoded, 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'must be "whsec_" followed by the base64 of 24 to 64 bytes');

/** An hmac-hex secret, used as given (UTF-8) as the HMAC key, as the OutRival and Recover receivers do. */
export const hmacHexSecretSchema = z.string().min(16).max(4096);

/** Headers callhook sets itself; a signature header must not collide with them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'user-agent', 'transfer-encoding', 'connection', 'authorization']);
export const DEFAULT_HMAC_HEX_HEADER = 'x-signature';

/** A lowercase HTTP header name (RFC 9110 token) that callhook does not set itself. */
export const signatureHeaderSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a lowercase HTTP header name, such as x-signature')
  .refine(
    (name) => !RESERVED_HEADERS.has(name) && !name.startsWith('x-recho-') && !name.startsWith('webhook-'),
    'is a header callhook sets itself; choose another name',
  );

/** The current secret and at most two rotated out, still within their overlap. */
export const MAX_HMAC_SECRETS = 3;

/** Text without control characters and well-formed (no lone surrogate: stored in jsonb, which refuses one). */
const plainText = (what: string) =>
  z
    .string()
    .regex(/^[^\x00-\x1f\x7f]*$/, `${what} must not contain control characters`)
    .refine((text) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text), `${what} must be well-formed Unicode`);

const noneAuth = z.object({ type: z.literal('none') }).strict();
const bearerAuth = z.object({ type: z.literal('bearer'), token: z.string().min(8).max(4096) }).strict();
const rsaAuth = z.object({ type: z.literal('rsa') }).strict();
/** HTTP Basic (RFC 7617): the user id may not contain a colon; the password is sealed at rest like every secret. */
const basicAuth = z
  .object({
    type: z.literal('basic'),
    username: plainText('the username').min(1).max(200).regex(/^[^:]+$/, 'must not contain a colon (RFC 7617)'),
    password: z.string().min(1).max(4096).regex(/^[^\x00-\x1f\x7f]+$/, 'must not contain control characters'),
  })
  .strict();

export const OAUTH2_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
const oauthText = plainText('it').min(1).max(1000);
/** OAuth 2.0 client credentials (RFC 6749 §4.4): callhook fetches and caches the access token, and sends it as a Bearer token. */
const oauth2AuthInput = z
  .object({
    type: z.literal('oauth2'),
    tokenUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .regex(/^[\x21-\x7e]+$/, 'must be written in ASCII (percent-encode anything else)')
      .describe('the authorization server\'s token endpoint; the same network rules as url apply'),
    clientId: oauthText.max(200),
    clientSecret: z.string().min(1).max(4096).regex(/^[^\x00-\x1f\x7f]+$/, 'must not contain control characters'),
    scope: oauthText.optional(),
    audience: oauthText.optional().describe('sent as `audience` (Auth0 and others ask for it)'),
    method: z.enum(OAUTH2_METHODS).optional().describe('how the client authenticates to the token endpoint; client_secret_basic by default'),
  })
  .strict();
const oauth2AuthStored = oauth2AuthInput.extend({ method: z.enum(OAUTH2_METHODS) }).strict();

/** Input: a Standard Webhooks endpoint; a secret is generated when none is given. */
const hmacAuthInput = z.object({ type: z.literal('hmac'), secret: webhookSecretSchema.optional() }).strict();
/** Input: a hex HMAC of the raw body in one header. */
const hmacHexAuthInput = z
  .object({ type: z.literal('hmac-hex'), secret: hmacHexSecretSchema, header: signatureHeaderSchema.optional() })
  .strict();

export const endpointAuthInputSchema = z.discriminatedUnion('type', [noneAuth, bearerAuth, basicAuth, oauth2AuthInput, rsaAuth, hmacAuthInput, hmacHexAuthInput]);
export type EndpointAuthInput = z.infer<typeof endpointAuthInputSchema>;

/** The hmac secret that signs now. */
export const currentWebhookSecretSchema = z.object({ secret: webhookSecretSchema, createdAt: z.iso.datetime() }).strict();
/** An hmac secret a rotation replaced: it keeps signing, beside the current one, until `expiresAt`. */
export const retiringWebhookSecretSchema = currentWebhookSecretSchema.extend({ expiresAt: z.iso.datetime() }).strict();
export type RetiringWebhookSecret = z.infer<typeof retiringWebhookSecretSchema>;

/** Stored: the current secret first, then the secrets rotated out (possibly past their overlap until the next rotation prunes them). */
const hmacAuthStored = z
  .object({
    type: z.literal('hmac'),
    secrets: z
      .tuple([currentWebhookSecretSchema], retiringWebhookSecretSchema)
      .refine((secrets) => secrets.length <= MAX_HMAC_SECRETS, `at most ${MAX_HMAC_SECRETS} secrets`),
  })
  .strict();
const hmacHexAuthStored = z.object({ type: z.literal('hmac-hex'), secret: hmacHexSecretSchema, header: signatureHeaderSchema }).strict();

export const endpointAuthSchema = z.discriminatedUnion('type', [noneAuth, bearerAuth, basicAuth, oauth2AuthStored, rsaAuth, hmacAuthStored, hmacHexAuthStored]);
/** Authentication as stored. */
export type EndpointAuth = z.infer<typeof endpointAuthSchema>;
export type AuthType = EndpointAuth['type'];

/** Event types by name (the catalog's: the API checks each is there and not archived), or `*`. */
export const subscriptionSchema = z
  .array(z.union([eventTypeNameSchema, z.literal(ALL_EVENTS)]))
  .min(1)
  .max(200)
  .refine((events) => new Set(events).size === events.length, 'events must not repeat')
  .refine((events) => !events.includes(ALL_EVENTS) || events.length === 1, `"${ALL_EVENTS}" stands alone`);

const endpointFields = {
  clientId: z.string().min(1).max(200),
  kind: endpointKindSchema,
  url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  email: z.email().max(320).optional(),
  events: subscriptionSchema,
  auth: endpointAuthInputSchema.optional(),
  description: z.string().max(1000).optional(),
  active: z.boolean().optional(),
  rateLimit: z.number().int().min(1).max(10_000).describe('requests per second at the most, across every call; omit (or null) for no limit').optional(),
  headers: customHeadersInputSchema.describe('custom endpoints: headers sent with every request (at most 20)').optional(),
  filter: endpointFilterSchema.describe('only events that match are delivered here; see "Content filters"').optional(),
  retry: retryScheduleSchema.describe('this endpoint\'s own retry schedule; omit (or null) for the default').optional(),
  tls: clientTlsSchema.describe('custom endpoints: a client certificate for mutual TLS').optional(),
  sendTraceparent: z
    .boolean()
    .describe("custom endpoints: send each attempt's W3C `traceparent` header (when callhook's tracing is on), so the receiver's spans join the event's trace; default false")
    .optional(),
};

export const createEndpointSchema = z.object(endpointFields).strict();

export const updateEndpointSchema = z
  .object({
    url: endpointFields.url,
    email: endpointFields.email,
    events: endpointFields.events,
    auth: endpointFields.auth,
    description: endpointFields.description.nullable(),
    active: endpointFields.active,
    rateLimit: endpointFields.rateLimit.unwrap().nullable(),
    headers: endpointFields.headers.unwrap().describe('replaces the list; a secret header given without value keeps its value'),
    filter: endpointFields.filter.unwrap().nullable(),
    retry: endpointFields.retry.unwrap().nullable(),
    tls: endpointFields.tls.unwrap().nullable(),
    sendTraceparent: endpointFields.sendTraceparent.unwrap(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change');

/** An endpoint as stored. */
export interface Endpoint {
  id: string;
  clientId: string;
  kind: EndpointKind;
  url: string | null;
  email: string | null;
  events: string[];
  auth: EndpointAuth;
  description: string | null;
  active: boolean;
  /** Requests per second at the most, across every call; null: no limit. */
  rateLimit: number | null;
  /** Sent with every request (custom endpoints). */
  headers: CustomHeader[];
  /** Only events that match are delivered; null: every event subscribed to. */
  filter: EndpointFilter | null;
  /** The endpoint's own retry schedule; null: the configured one. */
  retry: RetrySchedule | null;
  /** A client certificate presented to the receiver (custom endpoints). */
  tls: ClientTls | null;
  /** Whether each attempt carries a W3C `traceparent` header (custom endpoints; tracing on). */
  sendTraceparent: boolean;
  /** Paused: deliveries wait (not attempted, not failed) until it is resumed. */
  pausedAt: string | null;
  pausedBy: string | null;
  /** Why it was disabled (a 410, failing for ENDPOINT_DISABLE_AFTER, the API); null while active. */
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ClientTls = z.infer<typeof clientTlsSchema>;

export interface DestinationRules {
  allowHttpUrls: boolean;
  /** False: a url whose host is a private or special-purpose IP address is refused. */
  allowPrivateNetworks?: boolean;
}

/** What endpointProblems looks at: an endpoint, stored or about to be, with its auth in either form. */
export type EndpointShape = Pick<Endpoint, 'kind' | 'url' | 'email'> & {
  auth: { type: AuthType; tokenUrl?: string; header?: string };
  headers?: readonly { name: string }[] | undefined;
  tls?: unknown;
  sendTraceparent?: boolean | undefined;
};

/** Where a url may point under the rules; a problem's message, or undefined when it may. */
function urlProblem(url: string, what: string, rules: DestinationRules): string | undefined {
  if (rules.allowPrivateNetworks === false && refusedLiteral(new URL(url)))
    return `${what} points at a private or special-purpose address, which deliveries may not reach`;
  if (!rules.allowHttpUrls && !url.startsWith('https://')) return `${what} must use https (plain http is allowed only when ALLOW_HTTP_URLS=true)`;
  return undefined;
}

/**
 * Rules across fields that depend on the kind: where it is sent (url or email), which
 * authentication fits, and which options a custom endpoint alone takes (headers, mutual TLS).
 * Returns a list of problems; empty when the endpoint is valid.
 */
export function endpointProblems(endpoint: EndpointShape, rules: DestinationRules): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (endpoint.kind === 'email') {
    if (!endpoint.email) problems.push({ path: 'email', message: 'an email endpoint needs "email"' });
    if (endpoint.url) problems.push({ path: 'url', message: 'an email endpoint takes no "url"' });
  } else {
    const why = endpoint.url ? urlProblem(endpoint.url, 'url', rules) : `a ${endpoint.kind} endpoint needs "url"`;
    if (why) problems.push({ path: 'url', message: why });
    if (endpoint.email) problems.push({ path: 'email', message: `a ${endpoint.kind} endpoint takes no "email"` });
  }
  if (endpoint.kind !== 'custom' && endpoint.auth.type !== 'none')
    problems.push({ path: 'auth', message: `authentication applies to custom endpoints only, not ${endpoint.kind}` });
  if (endpoint.auth.type === 'oauth2' && endpoint.auth.tokenUrl) {
    const why = urlProblem(endpoint.auth.tokenUrl, 'tokenUrl', rules);
    if (why) problems.push({ path: 'auth.tokenUrl', message: why });
  }
  const headers = endpoint.headers ?? [];
  if (headers.length > 0 && endpoint.kind !== 'custom') problems.push({ path: 'headers', message: `custom headers apply to custom endpoints only, not ${endpoint.kind}` });
  headers.forEach(({ name }, index) => {
    const lower = name.toLowerCase();
    if (lower === 'authorization' && endpoint.auth.type !== 'none')
      problems.push({ path: `headers.${index}.name`, message: `Authorization is set by the endpoint's ${endpoint.auth.type} authentication; a custom Authorization header needs auth "none"` });
    if (endpoint.auth.type === 'hmac-hex' && lower === endpoint.auth.header?.toLowerCase())
      problems.push({ path: `headers.${index}.name`, message: `${name} carries the endpoint's hmac-hex signature` });
  });
  if (endpoint.sendTraceparent && endpoint.kind !== 'custom')
    problems.push({ path: 'sendTraceparent', message: `a traceparent header applies to custom endpoints only, not ${endpoint.kind}` });
  if (endpoint.tls && endpoint.kind !== 'custom') problems.push({ path: 'tls', message: `mutual TLS applies to custom endpoints only, not ${endpoint.kind}` });
  return problems;
}
