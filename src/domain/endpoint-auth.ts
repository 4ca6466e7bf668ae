import { randomBytes } from 'node:crypto';
import { generateWebhookSecret } from '../destinations/signing/standard-webhooks';
import {
  DEFAULT_HMAC_HEX_HEADER,
  MAX_HMAC_SECRETS,
  type EndpointAuth,
  type EndpointAuthInput,
  type RetiringWebhookSecret,
} from '../schemas/endpoint';

/** Auth as stored, or why the input cannot become it. */
export type AuthResolution = { ok: true; auth: EndpointAuth } | { ok: false; path: string; message: string };

/**
 * The stored form of the auth a client sent. `current` is the endpoint's auth on an update:
 * `{ "type": "hmac" }` without a secret then keeps the endpoint's hmac secrets as they are.
 * A secret given on an update replaces the old one at once; rotate-secret is the way with an overlap.
 */
export function resolveAuth(input: EndpointAuthInput, now: Date, current?: EndpointAuth): AuthResolution {
  switch (input.type) {
    case 'none':
    case 'bearer':
    case 'basic':
    case 'rsa':
      return { ok: true, auth: input };
    case 'oauth2':
      return { ok: true, auth: { ...input, method: input.method ?? 'client_secret_basic' } };
    case 'hmac':
      if (input.secret !== undefined) return { ok: true, auth: { type: 'hmac', secrets: [{ secret: input.secret, createdAt: now.toISOString() }] } };
      if (current === undefined) return { ok: true, auth: { type: 'hmac', secrets: [{ secret: generateWebhookSecret(), createdAt: now.toISOString() }] } };
      if (current.type === 'hmac') return { ok: true, auth: current };
      return {
        ok: false,
        path: 'auth.secret',
        message: 'switching an existing endpoint to hmac needs a "secret" (whsec_…); a generated secret is shown only when an endpoint is created',
      };
    case 'hmac-hex':
      return { ok: true, auth: { type: 'hmac-hex', secret: input.secret, header: input.header ?? DEFAULT_HMAC_HEX_HEADER } };
  }
}

/** Whether a secret a rotation replaced still signs at `now`. */
export function stillSigns(secret: RetiringWebhookSecret, now: Date): boolean {
  return Date.parse(secret.expiresAt) > now.getTime();
}

/** The secrets an hmac delivery is signed with at `now`: the current one first, then those within their overlap. */
export function activeWebhookSecrets(auth: Extract<EndpointAuth, { type: 'hmac' }>, now: Date): string[] {
  const [current, ...retiring] = auth.secrets;
  return [current.secret, ...retiring.filter((s) => stillSigns(s, now)).map((s) => s.secret)];
}

/** The auth types that have a secret to rotate. */
export type RotatableAuth = Extract<EndpointAuth, { type: 'hmac' | 'hmac-hex' }>;

export function isRotatable(auth: EndpointAuth): auth is RotatableAuth {
  return auth.type === 'hmac' || auth.type === 'hmac-hex';
}

/** A new secret of the auth's own kind. */
export function generateSecret(type: RotatableAuth['type']): string {
  return type === 'hmac' ? generateWebhookSecret() : randomBytes(32).toString('hex');
}

export interface Rotation {
  auth: RotatableAuth;
  /** Until when the previous secret still signs; null when it was replaced at once. */
  previousSecretExpiresAt: string | null;
}

/**
 * Makes `newSecret` the current secret.
 * hmac: the previous secret keeps signing (a second signature in webhook-signature) until
 * now + overlapMs; secrets past their overlap are dropped, and at most MAX_HMAC_SECRETS are kept.
 * hmac-hex: replaced at once — its header carries one hex digest, which the seeds' receivers
 * compare for equality, so a second signature would break every one of them.
 */
export function rotateSecret(auth: RotatableAuth, newSecret: string, now: Date, overlapMs: number): Rotation {
  if (auth.type === 'hmac-hex') return { auth: { ...auth, secret: newSecret }, previousSecretExpiresAt: null };
  const expiresAt = new Date(now.getTime() + overlapMs).toISOString();
  const [current, ...older] = auth.secrets;
  const retiring: RetiringWebhookSecret[] = [
    { secret: current.secret, createdAt: current.createdAt, expiresAt },
    ...older.filter((s) => stillSigns(s, now)),
  ].slice(0, MAX_HMAC_SECRETS - 1);
  return { auth: { type: 'hmac', secrets: [{ secret: newSecret, createdAt: now.toISOString() }, ...retiring] }, previousSecretExpiresAt: expiresAt };
}

/** The secret that signs now (hmac: the first one). */
export function currentSecret(auth: RotatableAuth): string {
  return auth.type === 'hmac-hex' ? auth.secret : auth.secrets[0].secret;
}
