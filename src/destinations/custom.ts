import { activeWebhookSecrets } from '../domain/endpoint-auth';
import type { CallEvent } from '../schemas/call-event';
import type { Endpoint, EndpointAuth } from '../schemas/endpoint';
import type { CertificateExpiryWatch } from './certificate-expiry-watch';
import type { ClientTlsAgents } from './client-certificates';
import type { AttemptRequest, AttemptResult, Destination } from './destination';
import { postAndClassify, type HttpDestinationOptions } from './http';
import { OAuth2TokenError, oauth2AttemptFailure, type OAuth2TokenCache } from './oauth2-tokens';
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
  /** Access tokens of oauth2 endpoints, shared by every call. */
  oauthTokens: Pick<OAuth2TokenCache, 'token' | 'invalidate'>;
  /** Connection pools of endpoints with a client certificate (mutual TLS). */
  tlsAgents: Pick<ClientTlsAgents, 'agentFor'>;
  /** Publishes the certificates' expiry, and warns 14 days ahead. */
  certificateWatch?: Pick<CertificateExpiryWatch, 'observe'>;
}

/**
 * The authentication headers of one attempt, computed over `body`, the exact string sent:
 * bearer: Authorization; basic: Authorization (RFC 7617, UTF-8); oauth2: Authorization (Bearer, the token given); rsa: x-recho-timestamp, x-recho-signature, x-recho-key-id;
 * hmac: Standard Webhooks (webhook-id = the event id, the same on every retry), signed by every
 * secret still within its rotation overlap; hmac-hex: the hex digest in the endpoint's header.
 */
export function authHeaders(
  auth: EndpointAuth,
  event: Pick<CallEvent, 'id'>,
  body: string,
  now: Date,
  signingKeys: Pick<SigningKeyRing, 'current'>,
  /** oauth2: the access token fetched for this attempt. */
  accessToken?: string,
): Record<string, string> {
  switch (auth.type) {
    case 'none':
      return {};
    case 'oauth2':
      if (accessToken === undefined) throw new Error('authHeaders: an oauth2 endpoint needs the access token fetched for the attempt');
      return { authorization: `Bearer ${accessToken}` };
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

/** The endpoint's own headers, names lowercased so that none doubles one callhook sets (user-agent). */
function customHeaders(endpoint: Endpoint): Record<string, string> {
  return Object.fromEntries(endpoint.headers.map((h) => [h.name.toLowerCase(), h.value]));
}

/**
 * POSTs the seeds' JSON to a custom endpoint: its own headers first, then callhook's (ids,
 * authentication), which no custom header can replace. With a client certificate it connects
 * through that endpoint's own pool. oauth2: the cached access token is sent; a 401 drops it, and
 * the attempt is made once more with a fresh one. A token that cannot be had fails the attempt
 * (retried or final, as the token endpoint's answer is) without reaching the receiver.
 */
export function customDestination(options: CustomDestinationOptions): Destination {
  return {
    kind: 'custom',
    async attempt(request: AttemptRequest): Promise<AttemptResult> {
      const { endpoint, event } = request;
      if (!endpoint.url) return { outcome: 'final', statusCode: null, error: 'endpoint has no url', responseExcerpt: null };
      const url = endpoint.url;
      // Rendered once: the string signed is the string sent, byte for byte.
      const body = renderCustomBody(event);
      if (endpoint.tls) options.certificateWatch?.observe(endpoint.id, endpoint.tls.certificate);
      const network = endpoint.tls ? { ...options.network, agent: options.tlsAgents.agentFor(endpoint.id, endpoint.tls) } : options.network;
      const send = (accessToken?: string) =>
        postAndClassify(
          {
            url,
            headers: {
              ...customHeaders(endpoint),
              'content-type': 'application/json',
              [HEADERS.eventId]: event.id,
              [HEADERS.deliveryId]: request.deliveryId,
              [HEADERS.attempt]: String(request.attemptNumber),
              // The endpoint opted in (sendTraceparent) and tracing is on: the receiver's spans can join the event's trace.
              ...(request.traceparent && { traceparent: request.traceparent }),
              ...authHeaders(endpoint.auth, event, body, new Date(), options.signingKeys, accessToken),
            },
            body,
            signal: request.signal,
            excerptBytes: options.excerptBytes,
            network,
          },
          options.retryAfterMaxMs,
        );
      const auth = endpoint.auth;
      if (auth.type !== 'oauth2') return send();
      const token = async (): Promise<string | AttemptResult> => {
        try {
          return await options.oauthTokens.token(endpoint.id, auth, request.signal);
        } catch (err) {
          if (err instanceof OAuth2TokenError) return oauth2AttemptFailure(err);
          throw err;
        }
      };
      const first = await token();
      if (typeof first !== 'string') return first;
      const result = await send(first);
      if (result.statusCode !== 401) return result;
      // Revoked or expired early: one fresh token, one more try, within this attempt.
      options.oauthTokens.invalidate(endpoint.id, first);
      const fresh = await token();
      if (typeof fresh !== 'string') return fresh;
      return send(fresh);
    },
  };
}
