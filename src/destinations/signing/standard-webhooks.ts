import { createHmac, randomBytes } from 'node:crypto';

export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_PREFIX = 'whsec_';

/** The HMAC key of a `whsec_<base64>` secret: the base64-decoded part (a bare base64 key is read the same). */
export function webhookSecretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('webhook secret has no key after "whsec_"');
  return key;
}

/**
 * Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of "${msgId}.${timestamp}.${body}">`
 * for each secret, space-separated, so a receiver holding either secret of a rotation verifies.
 */
export function signStandardWebhook(secrets: string[], msgId: string, timestamp: number, body: string): string {
  if (secrets.length === 0) throw new Error('at least one webhook secret is needed to sign');
  const content = `${msgId}.${timestamp}.${body}`;
  return secrets.map((secret) => `v1,${createHmac('sha256', webhookSecretKey(secret)).update(content, 'utf8').digest('base64')}`).join(' ');
}

/** `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` for one delivery. */
export function standardWebhookHeaders(secrets: string[], msgId: string, body: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    [STANDARD_WEBHOOK_HEADERS.id]: msgId,
    [STANDARD_WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [STANDARD_WEBHOOK_HEADERS.signature]: signStandardWebhook(secrets, msgId, timestamp, body),
  };
}

/** A new secret: `whsec_` + base64 of 24 random bytes. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}
