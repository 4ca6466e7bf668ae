import type { RequestHandler, Response } from 'express';
import { ApiError, notFound } from '../errors';
import type { PortalTheme } from '../../schemas/portal-link';

/**
 * Who a request acts as. An admin (an admin key, or anyone when AUTH=off) acts for every client;
 * a client key for its own client only: another client's objects answer 404 (their existence is
 * not revealed) and a request naming another client answers 403.
 */
export type Principal =
  | { role: 'admin'; keyId: string | null }
  | { role: 'client'; keyId: string; clientId: string; portal?: PortalSession };

/** A request made with a portal link's token: it acts as a client key of the link's client, read-only or not. */
export interface PortalSession {
  linkId: string;
  capabilities: 'read' | 'manage';
  expiresAt: string;
  theme: PortalTheme | null;
}

export function setPrincipal(res: Response, principal: Principal): void {
  res.locals.principal = principal;
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  // A route mounted without authentication in front of it: a bug, never the client's fault.
  if (!principal) throw new Error('no principal on the request: the route is mounted before authentication');
  return principal;
}

/** The client a request is confined to, or undefined for an admin. */
export function clientScope(principal: Principal): string | undefined {
  return principal.role === 'client' ? principal.clientId : undefined;
}

/** 404 unless the principal may see an object of `clientId`. */
export function assertVisible(principal: Principal, clientId: string, what: string, id: string): void {
  if (principal.role === 'client' && principal.clientId !== clientId) throw notFound(what, id);
}

/** 403 when a client key names another client (in a body or a query: `where`). */
export function assertMayActFor(principal: Principal, clientId: string, where: string): void {
  if (principal.role === 'client' && principal.clientId !== clientId) {
    throw new ApiError(403, 'forbidden', `this API key acts for client ${principal.clientId} only; ${where} names another client`, [
      { path: where, message: 'names another client' },
    ]);
  }
}

/** Admin keys only (key management, signing-key rotation, the payload codec). */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (principalOf(res).role !== 'admin') return next(new ApiError(403, 'forbidden', 'this needs an admin API key'));
  next();
};

/** A read-only portal link may read everything its client's key could, and change nothing: every other method is a 403. */
export const denyWritesOfReadOnlyLinks: RequestHandler = (req, res, next) => {
  const principal = principalOf(res);
  if (principal.role === 'client' && principal.portal?.capabilities === 'read' && req.method !== 'GET' && req.method !== 'HEAD') {
    return next(new ApiError(403, 'read_only_link', 'this portal link can read only; ask for a link with the manage capability to change anything'));
  }
  next();
};
