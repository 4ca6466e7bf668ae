import type { Response } from 'express';
import { getEndpoint, listEndpoints } from '../db/endpoints-repo';
import type { Queryable } from '../db/pool';
import type { Endpoint } from '../schemas/endpoint';
import { assertMayActFor, assertVisible, clientScope, principalOf } from './auth/principal';
import { notFound } from './errors';

/** The live endpoint `id` if the request's key may see it; 404 otherwise (another client's looks like none). */
export async function visibleEndpoint(db: Queryable, res: Response, id: string, forUpdate = false): Promise<Endpoint> {
  const endpoint = await getEndpoint(db, id, forUpdate);
  if (!endpoint) throw notFound('endpoint', id);
  assertVisible(principalOf(res), endpoint.clientId, 'endpoint', id);
  return endpoint;
}

/**
 * A page of the endpoints the request's key may see: a client key's own client only (a `clientId`
 * naming another client is a 403), an admin's all or `clientId`'s.
 */
export async function visibleEndpointsPage(
  db: Queryable,
  res: Response,
  query: { clientId?: string | undefined; limit: number; after?: string | undefined },
): Promise<Endpoint[]> {
  const principal = principalOf(res);
  if (query.clientId !== undefined) assertMayActFor(principal, query.clientId, 'query.clientId');
  const clientId = clientScope(principal) ?? query.clientId;
  return listEndpoints(db, {
    limit: query.limit,
    ...(query.after !== undefined && { after: query.after }),
    ...(clientId !== undefined && { clientId }),
  });
}
