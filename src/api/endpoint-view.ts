import { stillSigns } from '../endpoint-auth';
import { redactedUrl, secretHint, urlIsCredential } from '../redaction';
import type { Endpoint, EndpointAuth } from '../schemas/endpoint';

export { secretHint };

/** How auth is shown after creation: its type and hints, never a secret itself. */
export type AuthView =
  | { type: 'none' }
  | { type: 'rsa' }
  | { type: 'bearer'; tokenHint: string }
  | { type: 'basic'; username: string; passwordHint: string }
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
  | { type: 'hmac'; secret: string }
  | { type: 'hmac-hex'; header: string; secret: string };

export type EndpointView<A> = Omit<Endpoint, 'auth'> & { auth: A };

export function authView(auth: EndpointAuth, now = new Date()): AuthView {
  switch (auth.type) {
    case 'none':
    case 'rsa':
      return { type: auth.type };
    case 'bearer':
      return { type: 'bearer', tokenHint: secretHint(auth.token) };
    case 'basic':
      return { type: 'basic', username: auth.username, passwordHint: secretHint(auth.password) };
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
  return { ...endpoint, url: urlView(endpoint), auth: authView(endpoint.auth) };
}

/** The creation response: the only endpoint view with the secret (and a Slack/Teams url) in full. */
export function createdEndpointView(endpoint: Endpoint): EndpointView<RevealedAuth> {
  return { ...endpoint, auth: revealedAuth(endpoint.auth) };
}
