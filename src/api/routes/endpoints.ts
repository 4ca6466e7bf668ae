import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { inTransaction } from '../../db/pool';
import { getEndpoint, insertEndpoint, listEndpoints, softDeleteEndpoint, updateEndpoint } from '../../db/endpoints-repo';
import { newId } from '../../ids';
import {
  createEndpointSchema,
  endpointProblems,
  updateEndpointSchema,
  type DestinationRules,
  type Endpoint,
} from '../../schemas/endpoint';
import { ApiError, notFound } from '../errors';
import { endpointView } from '../endpoint-view';
import { parse } from '../validate';

export const endpointIdParams = z.object({ id: z.string().regex(/^ep_[0-9a-f]{32}$/, 'not an endpoint id') });

export const listEndpointsQuery = z
  .object({
    clientId: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    after: z.string().max(100).optional().describe('cursor: the last id of the previous page'),
  })
  .strict();

function assertValid(endpoint: Pick<Endpoint, 'kind' | 'url' | 'email' | 'auth'>, rules: DestinationRules): void {
  const problems = endpointProblems(endpoint, rules);
  if (problems.length > 0) {
    throw new ApiError(
      400,
      'invalid_request',
      problems.map((p) => `body.${p.path}: ${p.message}`).join('; '),
      problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
    );
  }
}

export function endpointsRouter(deps: { pool: Pool; rules: DestinationRules }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = parse(createEndpointSchema, req.body, 'body');
    const endpoint = {
      id: newId('ep'),
      clientId: body.clientId,
      kind: body.kind,
      url: body.url ?? null,
      email: body.email ?? null,
      events: body.events,
      auth: body.auth ?? { type: 'none' as const },
      description: body.description ?? null,
      active: body.active ?? true,
    };
    assertValid(endpoint, deps.rules);
    const created = await insertEndpoint(deps.pool, endpoint);
    // The only response that carries the secret in full: the caller just chose or received it.
    res.status(201).location(`/v1/endpoints/${created.id}`).json(created);
  });

  router.get('/', async (req, res) => {
    const query = parse(listEndpointsQuery, req.query, 'query');
    const endpoints = await listEndpoints(deps.pool, query);
    const nextCursor = endpoints.length === query.limit ? endpoints[endpoints.length - 1]!.id : null;
    res.json({ data: endpoints.map(endpointView), nextCursor });
  });

  router.get('/:id', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    const endpoint = await getEndpoint(deps.pool, id);
    if (!endpoint) throw notFound('endpoint', id);
    res.json(endpointView(endpoint));
  });

  router.patch('/:id', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    const patch = parse(updateEndpointSchema, req.body, 'body');
    const updated = await inTransaction(deps.pool, async (db) => {
      const current = await getEndpoint(db, id, true);
      if (!current) throw notFound('endpoint', id);
      const next: Endpoint = {
        ...current,
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.email !== undefined && { email: patch.email }),
        ...(patch.events !== undefined && { events: patch.events }),
        ...(patch.auth !== undefined && { auth: patch.auth }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.active !== undefined && { active: patch.active }),
      };
      assertValid(next, deps.rules);
      return updateEndpoint(db, next);
    });
    res.json(endpointView(updated));
  });

  router.delete('/:id', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    if (!(await softDeleteEndpoint(deps.pool, id))) throw notFound('endpoint', id);
    res.json({ id, deleted: true });
  });

  return router;
}
