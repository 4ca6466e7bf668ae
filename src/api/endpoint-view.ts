/**
 * How an endpoint is shown: secrets as hints (`…` and a few characters), a client certificate as
 * what it is and when it expires, a Slack/Teams url (a credential) as its origin and a hint. The
 * types are the response schemas' (src/schemas/responses.ts): what is built here is what is documented.
 */
import type { z } from 'zod';
import { stillSigns } from '../domain/endpoint-auth';
import { redactedUrl, secretHint, urlIsCredential } from '../observability/redaction';
import { certificateExpiryState, describeCertificate } from '../destinations/client-certificates';
import type { ClientTls, Endpoint, EndpointAuth } from '../schemas/endpoint';
import type { CustomHeader } from '../schemas/endpoint-options';
import type { authViewSchema, createdEndpointSchema, endpointViewSchema, revealedAuthSchema } from '../schemas/responses';

export { secretHint };

/** How auth is shown after creation: its type and hints, never a secret itself. */
export type AuthView = z.output<typeof authViewSchema>;

/**
 * How auth is shown once, in the response that creates the endpoint: the input form, resolved
 * (a generated hmac secret, the default hmac-hex header), with the secret in full.
 */
export type RevealedAuth = z.output<typeof revealedAuthSchema>;

/** An endpoint as shown after creation; and as shown once, in the creation response. */
export type EndpointView = z.output<typeof endpointViewSchema>;
type CreatedEndpointView = z.output<typeof createdEndpointSchema>;

/** A custom header as shown: a secret one by a hint of its value only. */
type HeaderView = EndpointView['headers'][number];

/** A client certificate as shown: what it is and when it expires, never its key. */
type TlsView = NonNullable<EndpointView['tls']>;

export function headerView(header: CustomHeader): HeaderView {
  return header.secret ? { name: header.name, secret: true, valueHint: secretHint(header.value) } : { name: header.name, secret: false, value: header.value };
}

export function tlsView(tls: ClientTls, now = new Date()): TlsView {
  const certificate = describeCertificate(tls.certificate);
  return { ...certificate, expiry: certificateExpiryState(certificate.notAfter, now), ca: tls.ca !== undefined };
}

export function authView(auth: EndpointAuth, now = new Date()): AuthView {
  switch (auth.type) {
    case 'none':
    case 'rsa':
      return { type: auth.type };
    case 'bearer':
      return { type: 'bearer', tokenHint: secretHint(auth.token) };
    case 'basic':
      return { type: 'basic', username: auth.username, passwordHint: secretHint(auth.password) };
    case 'oauth2': {
      const { clientSecret, ...shown } = auth;
      return { ...shown, clientSecretHint: secretHint(clientSecret) };
    }
    case 'hmac': {
      const [current, ...previous] = auth.secrets;
      return {
        type: 'hmac',
        secretHint: secretHint(current.secret),
        previousSecrets: previous.filter((s) => stillSigns(s, now)).map((s) => ({ secretHint: secretHint(s.secret), expiresAt: s.expiresAt })),
      };
    }
    case 'hmac-hex':
      return { type: 'hmac-hex', header: auth.header, secretHint: secretHint(auth.secret) };
  }
}

export function revealedAuth(auth: EndpointAuth): RevealedAuth {
  return auth.type === 'hmac' ? { type: 'hmac', secret: auth.secrets[0].secret } : auth;
}

/** The url as shown after creation: a Slack/Teams webhook url is a credential, so only its origin and a hint. */
export function urlView(endpoint: Pick<Endpoint, 'kind' | 'url'>): string | null {
  return endpoint.url !== null && urlIsCredential(endpoint.kind) ? redactedUrl(endpoint.url) : endpoint.url;
}

export function endpointView(endpoint: Endpoint): EndpointView {
  return { ...endpoint, url: urlView(endpoint), auth: authView(endpoint.auth), headers: endpoint.headers.map(headerView), tls: endpoint.tls && tlsView(endpoint.tls) };
}

/** The creation response: the only endpoint view with the auth secret (and a Slack/Teams url) in full; secret headers stay hinted. */
export function createdEndpointView(endpoint: Endpoint): CreatedEndpointView {
  return { ...endpoint, auth: revealedAuth(endpoint.auth), headers: endpoint.headers.map(headerView), tls: endpoint.tls && tlsView(endpoint.tls) };
}
