/**
 * Compile-time checks of what still has two sources. The response types are the response
 * schemas' (src/schemas/responses.ts) and a route's `reply` takes only those; but the endpoint
 * views (src/api/endpoint-view.ts) are built by spreading the stored endpoint (`Endpoint`,
 * `EndpointAuth` in src/schemas/endpoint.ts: the form kept in Postgres, with its secrets), and a
 * spread may carry a field the response schema does not name without TypeScript objecting. So
 * the stored form and the documented view are checked here to have the same fields, each
 * assignable to the other: a field added to one alone fails `tsc`. Nothing here runs.
 */
import type { Endpoint, EndpointAuth } from '../schemas/endpoint';
import type { AuthView, EndpointView, RevealedAuth } from './endpoint-view';

/** True when each type is assignable to the other. */
type Agree<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

type OAuth2<T> = Extract<T, { type: 'oauth2' }>;

export type SpreadViewsAgree = [
  // endpointView and createdEndpointView: `{ ...endpoint, url, auth, headers, tls }`.
  Assert<Agree<Omit<EndpointView, 'url' | 'auth' | 'headers' | 'tls'>, Omit<Endpoint, 'url' | 'auth' | 'headers' | 'tls'>>>,
  // revealedAuth: the stored auth as it is, but hmac's.
  Assert<Agree<Exclude<RevealedAuth, { type: 'hmac' }>, Exclude<EndpointAuth, { type: 'hmac' }>>>,
  // authView of oauth2: the stored auth without its secret, and the secret's hint.
  Assert<Agree<Omit<OAuth2<AuthView>, 'clientSecretHint'>, Omit<OAuth2<EndpointAuth>, 'clientSecret'>>>,
];
