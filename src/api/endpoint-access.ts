import type { Response } from 'express';
import { getEndpoint } from '../db/endpoints-repo';
import type { Queryable } from '../db/pool';
import type { Endpoint } from '../schemas/endpoint';
import { assertVisible, principalOf } from './auth/principal';
import { notFound } from './errors';

/** The live endpoint `id` if the request's key may see it; 404 otherwise (another client's looks like none). */
export async function visibleEndpoint(db: Queryable, res: Response, id: string, forUpdate = false): Promise<Endpoint> {
  const endpoint = await getEndpoint(db, id, forUpdate);
  if (!endpoint) throw notFound('endpoint', id);
  assertVisible(principalOf(res), endpoint.clientId, 'endpoint', id);
  return endpoint;
}
