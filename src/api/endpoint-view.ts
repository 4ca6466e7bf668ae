import { stillSigns } from '../domain/endpoint-auth';
import { redactedUrl, secretHint, urlIsCredential } from '../observability/redaction';
import { certificateExpiryState, describeCertificate, type CertificateExpiry } from '../destinations/client-certificates';
import type { ClientTls, Endpoint, EndpointAuth } from '../schemas/endpoint';
import type { CustomHeader } from '../schemas/endpoint-options';

export { secretHint };

/** How auth is shown after creation: its type and hints, never a secret itself. */
export type AuthView =
  | { type: 'none' }
  | { type: 'rsa' }
  | { type: 'bearer'; tokenHint: string }
  | { type: 'basic'; username: string; passwordHint: string }
  | ({ type: 'oauth2'; clientSecretHint: string } & OAuth2Public)
  | { type: 'hmac'; secretHint: string; previousSecrets: { secretHint: string; expiresAt: string }[] }
  | { type: 'hmac-hex'; header: string; secretHint: string };

/**
 * How auth is shown once, in the response that creates the endpoint: the input form, resolved
 * (a generated hmac secret, the default hmac-hex header), with the secret in full.
 */
export type RevealedAuth =
  | { type: 'none' }
  | { type: 'rsa' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | ({ type: 'oauth2'; clientSecret: string } & OAuth2Public)
  | { type: 'hmac'; secret: string }
  | { type: 'hmac-hex'; header: string; secret: string };

type OAuth2Auth = Extract<EndpointAuth, { type: 'oauth2' }>;
/** What of an OAuth client is shown: all but the secret. */
type OAuth2Public = Omit<OAuth2Auth, 'type' | 'clientSecret'>;

/** A custom header as shown: a secret one by a hint of its value only. */
export type HeaderView = { name: string; secret: false; value: string } | { name: string; secret: true; valueHint: string };

/** A client certificate as shown: what it is and when it expires, never its key. */
export interface TlsView {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  /** `expiring`: within 14 days; `expired`: deliveries to the endpoint fail their TLS handshake. */
  expiry: CertificateExpiry;
  /** Whether CAs of its own are trusted for the receiver's certificate. */
  ca: boolean;
}

export type EndpointView<A> = Omit<Endpoint, 'auth' | 'headers' | 'tls'> & { auth: A; headers: HeaderView[]; tls: TlsView | null };

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

export function endpointView(endpoint: Endpoint): EndpointView<AuthView> {
  return { ...endpoint, url: urlView(endpoint), auth: authView(endpoint.auth), headers: endpoint.headers.map(headerView), tls: endpoint.tls && tlsView(endpoint.tls) };
}

/** The creation response: the only endpoint view with the auth secret (and a Slack/Teams url) in full; secret headers stay hinted. */
export function createdEndpointView(endpoint: Endpoint): EndpointView<RevealedAuth> {
  return { ...endpoint, auth: revealedAuth(endpoint.auth), headers: endpoint.headers.map(headerView), tls: endpoint.tls && tlsView(endpoint.tls) };
}
