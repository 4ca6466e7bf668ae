import type { Endpoint, EndpointAuth } from '../schemas/endpoint';

/** How auth is shown after creation: its type and a hint, never the secret itself. */
export type AuthView = { type: EndpointAuth['type']; tokenHint?: string };

function hint(secret: string): string {
  return `…${secret.slice(-4)}`;
}

export function authView(auth: EndpointAuth): AuthView {
  return auth.type === 'bearer' ? { type: 'bearer', tokenHint: hint(auth.token) } : { type: auth.type };
}

export function endpointView(endpoint: Endpoint): Omit<Endpoint, 'auth'> & { auth: AuthView } {
  return { ...endpoint, auth: authView(endpoint.auth) };
}
