import { activeWebhookSecrets } from '../endpoint-auth';
import type { CallEvent } from '../schemas/call-event';
import type { EndpointAuth } from '../schemas/endpoint';
import type { Destination } from './destination';
import { httpDestination, type HttpDestinationOptions } from './http';
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

export interface CustomDestinationOptions extends HttpDestinationOptions {
  /** The RSA key rsa endpoints are signed with. */
  signingKeys: Pick<SigningKeyRing, 'current'>;
}

/**
 * The authentication headers of one attempt, computed over `body`, the exact string sent:
 * bearer: Authorization; basic: Authorization (RFC 7617, UTF-8); rsa: x-recho-timestamp, x-recho-signature, x-recho-key-id;
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
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
    case 'rsa':
      return rsaHeaders(signingKeys.current(), body, now);
    case 'hmac':
      return standardWebhookHeaders(activeWebhookSecrets(auth, now), event.id, body, now);
    case 'hmac-hex':
      return hmacHexHeaders(auth.secret, body, auth.header);
  }
}

export function customDestination(options: CustomDestinationOptions): Destination {
  return httpDestination(
    'custom',
    (request) => {
      // Rendered once: the string signed is the string sent, byte for byte.
      const body = renderCustomBody(request.event);
      const headers = {
        [HEADERS.eventId]: request.event.id,
        [HEADERS.deliveryId]: request.deliveryId,
        [HEADERS.attempt]: String(request.attemptNumber),
        ...authHeaders(request.endpoint.auth, request.event, body, new Date(), options.signingKeys),
      };
      return { body, headers };
    },
    options,
  );
}
