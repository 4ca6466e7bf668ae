import { activeWebhookSecrets } from '../endpoint-auth';
import type { CallEvent } from '../schemas/call-event';
import type { EndpointAuth } from '../schemas/endpoint';
import type { AttemptRequest, AttemptResult, Destination } from './destination';
import { postAndClassify } from './http';
import { hmacHexHeaders } from './signing/hmac-hex';
import { rsaHeaders } from './signing/rsa';
import type { SigningKeyRing } from './signing/signing-keys';
import { standardWebhookHeaders } from './signing/standard-webhooks';

/** Header names a receiver can rely on, in the seed contract's `x-recho-` family. */
export const HEADERS = {
  eventId: 'x-recho-event-id',
  deliveryId: 'x-recho-delivery-id',
  attempt: 'x-recho-attempt',
} as const;

/**
 * The JSON a custom endpoint receives: the seeds' `{ eventType, body: { data, errors } }`
 * (errors always an array), plus the event's id and time.
 */
export function renderCustomBody(event: CallEvent): string {
  return JSON.stringify({
    id: event.id,
    eventType: event.eventType,
    occurredAt: event.occurredAt,
    body: { data: event.body.data, errors: event.body.errors },
  });
}

export interface CustomDestinationOptions {
  retryAfterMaxMs: number;
  excerptBytes: number;
  /** The RSA key rsa endpoints are signed with. */
  signingKeys: Pick<SigningKeyRing, 'current'>;
}

/**
 * The authentication headers of one attempt, computed over `body`, the exact string sent:
 * bearer: Authorization; rsa: x-recho-timestamp, x-recho-signature, x-recho-key-id;
 * hmac: Standard Webhooks (webhook-id = the event id, the same on every retry), signed by every
 * secret still within its rotation overlap; hmac-hex: the hex digest in the endpoint's header.
 */
export function authHeaders(
  auth: EndpointAuth,
  event: Pick<CallEvent, 'id'>,
  body: string,
  now: Date,
  signingKeys: Pick<SigningKeyRing, 'current'>,
): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { authorization: `Bearer ${auth.token}` };
    case 'rsa':
      return rsaHeaders(signingKeys.current(), body, now);
    case 'hmac':
      return standardWebhookHeaders(activeWebhookSecrets(auth, now), event.id, body, now);
    case 'hmac-hex':
      return hmacHexHeaders(auth.secret, body, auth.header);
  }
}

export function customDestination(options: CustomDestinationOptions): Destination {
  return {
    kind: 'custom',
    async attempt(request: AttemptRequest): Promise<AttemptResult> {
      const { endpoint, event } = request;
      if (!endpoint.url) return { outcome: 'final', statusCode: null, error: 'endpoint has no url', responseExcerpt: null };
      // Rendered once: the string signed is the string sent, byte for byte.
      const body = renderCustomBody(event);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [HEADERS.eventId]: event.id,
        [HEADERS.deliveryId]: request.deliveryId,
        [HEADERS.attempt]: String(request.attemptNumber),
        ...authHeaders(endpoint.auth, event, body, new Date(), options.signingKeys),
      };
      return postAndClassify({ url: endpoint.url, headers, body, signal: request.signal, excerptBytes: options.excerptBytes }, options.retryAfterMaxMs);
    },
  };
}
