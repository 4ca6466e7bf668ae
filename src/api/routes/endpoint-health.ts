/**
 * Endpoint health, for the Webhooks page: `GET /v1/endpoints/:id/health` (one endpoint) and
 * `GET /v1/endpoint-health` (a page of endpoints, as `GET /v1/endpoints` pages them: the list's
 * health in one request). Success rate and p50/p95 attempt duration per hour, the failed
 * deliveries waiting for an operator, the latest delivery.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { endpointHealth, healthWindowEndingNow, type EndpointHealth } from '../../db/endpoint-health-repo';
import { visibleEndpoint, visibleEndpointsPage } from '../endpoint-access';
import { parse } from '../validate';
import { endpointIdParams, listEndpointsQuery } from './endpoints';

/** A week at most: the buckets are hours. */
const hours = z.coerce.number().int().min(1).max(168).default(24).describe('hours of history, in hourly buckets ending with the current hour');

export const endpointHealthQuery = z.object({ hours }).strict();
export const endpointHealthListQuery = listEndpointsQuery
  .extend({ hours, after: endpointIdParams.shape.id.optional().describe('cursor: nextCursor of the previous page (an endpoint id)') })
  .strict();

export function endpointHealthRouter(deps: { pool: Pool }): { endpoints: Router; list: Router } {
  const endpoints = Router();
  const list = Router();

  endpoints.get('/:id/health', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    const query = parse(endpointHealthQuery, req.query, 'query');
    await visibleEndpoint(deps.pool, res, id);
    const health = await endpointHealth(deps.pool, [id], healthWindowEndingNow(query.hours));
    res.json(health.get(id));
  });

  list.get('/', async (req, res) => {
    const query = parse(endpointHealthListQuery, req.query, 'query');
    const page = await visibleEndpointsPage(deps.pool, res, query);
    const ids = page.map((e) => e.id);
    const health = ids.length === 0 ? new Map<string, EndpointHealth>() : await endpointHealth(deps.pool, ids, healthWindowEndingNow(query.hours));
    res.json({ data: ids.map((id) => health.get(id)), nextCursor: page.length === query.limit ? ids[ids.length - 1]! : null });
  });

  return { endpoints, list };
}
