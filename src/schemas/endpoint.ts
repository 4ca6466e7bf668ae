import { z } from 'zod';
import { refusedLiteral } from '../destinations/private-addresses';
import { ALL_EVENTS } from '../event-types';
import { eventTypeNameSchema } from './call-event';

import { endpointKindSchema, type EndpointKind } from './endpoint-kind';

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

const noneAuth = z.object({ type: z.literal('none') }).strict();
const bearerAuth = z.object({ type: z.literal('bearer'), token: z.string().min(8).max(4096) }).strict();
const rsaAuth = z.object({ type: z.literal('rsa') }).strict();
/** HTTP Basic (RFC 7617): the user id may not contain a colon; the password is sealed at rest like every secret. */
const basicAuth = z
  .object({
    type: z.literal('basic'),
    username: z.string().min(1).max(200).regex(/^[^:\x00-\x1f\x7f]+$/, 'must not contain a colon or control characters (RFC 7617)'),
    password: z.string().min(1).max(4096).regex(/^[^\x00-\x1f\x7f]+$/, 'must not contain control characters'),
  })
  .strict();

/** Input: a Standard Webhooks endpoint; a secret is generated when none is given. */
const hmacAuthInput = z.object({ type: z.literal('hmac'), secret: webhookSecretSchema.optional() }).strict();
/** Input: a hex HMAC of the raw body in one header. */
const hmacHexAuthInput = z
  .object({ type: z.literal('hmac-hex'), secret: hmacHexSecretSchema, header: signatureHeaderSchema.optional() })
  .strict();

export const endpointAuthInputSchema = z.discriminatedUnion('type', [noneAuth, bearerAuth, basicAuth, rsaAuth, hmacAuthInput, hmacHexAuthInput]);
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

export const endpointAuthSchema = z.discriminatedUnion('type', [noneAuth, bearerAuth, basicAuth, rsaAuth, hmacAuthStored, hmacHexAuthStored]);
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
};

export const createEndpointSchema = z.object(endpointFields).strict();
export type CreateEndpoint = z.infer<typeof createEndpointSchema>;

export const updateEndpointSchema = z
  .object({
    url: endpointFields.url,
    email: endpointFields.email,
    events: endpointFields.events,
    auth: endpointFields.auth,
    description: endpointFields.description.nullable(),
    active: endpointFields.active,
    rateLimit: endpointFields.rateLimit.unwrap().nullable(),
  })
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'give at least one field to change');
export type UpdateEndpoint = z.infer<typeof updateEndpointSchema>;

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
  /** Paused: deliveries wait (not attempted, not failed) until it is resumed. */
  pausedAt: string | null;
  pausedBy: string | null;
  /** Why it was disabled (a 410, failing for ENDPOINT_DISABLE_AFTER, the API); null while active. */
  disabledReason: string | null;
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DestinationRules {
  allowHttpUrls: boolean;
  /** False: a url whose host is a private or special-purpose IP address is refused. */
  allowPrivateNetworks?: boolean;
}

/**
 * Rules across fields that depend on the kind: where it is sent (url or email) and which
 * authentication fits. Returns a list of problems; empty when the endpoint is valid.
 */
export function endpointProblems(
  endpoint: Pick<Endpoint, 'kind' | 'url' | 'email'> & { auth: { type: AuthType } },
  rules: DestinationRules,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (endpoint.kind === 'email') {
    if (!endpoint.email) problems.push({ path: 'email', message: 'an email endpoint needs "email"' });
    if (endpoint.url) problems.push({ path: 'url', message: 'an email endpoint takes no "url"' });
  } else {
    if (!endpoint.url) problems.push({ path: 'url', message: `a ${endpoint.kind} endpoint needs "url"` });
    else if (rules.allowPrivateNetworks === false && refusedLiteral(new URL(endpoint.url)))
      problems.push({ path: 'url', message: 'url points at a private or special-purpose address, which deliveries may not reach' });
    else if (!rules.allowHttpUrls && !endpoint.url.startsWith('https://'))
      problems.push({ path: 'url', message: 'url must use https (plain http is allowed only when ALLOW_HTTP_URLS=true)' });
    if (endpoint.email) problems.push({ path: 'email', message: `a ${endpoint.kind} endpoint takes no "email"` });
  }
  if (endpoint.kind !== 'custom' && endpoint.auth.type !== 'none')
    problems.push({ path: 'auth', message: `authentication applies to custom endpoints only, not ${endpoint.kind}` });
  return problems;
}
