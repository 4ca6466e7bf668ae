/**
 * Endpoint health, for the Webhooks page: `GET /v1/endpoints/{id}/health` (one endpoint) and
 * `GET /v1/endpoint-health` (a page of endpoints, as `GET /v1/endpoints` pages them: the list's
 * health in one request). Success rate and p50/p95 attempt duration per hour, the failed
 * deliveries waiting for an operator, the latest delivery.
 */
import { z } from 'zod';
import { endpointHealth, healthWindowEndingNow, type EndpointHealth } from '../../db/endpoint-health-repo';
import { endpointHealthListSchema, endpointHealthSchema } from '../../schemas/responses';
import { visibleEndpoint, visibleEndpointsPage } from '../endpoint-access';
import { defineRoute } from '../route';
import { endpointIdParams, listEndpointsQuery } from './endpoints';
import { NO_ENDPOINT, OTHER_CLIENT } from './shared-errors';

/** A week at most: the buckets are hours. */
const hours = z.coerce.number().int().min(1).max(168).default(24).describe('hours of history, in hourly buckets ending with the current hour');

const endpointHealthQuery = z.object({ hours }).strict();
const endpointHealthListQuery = listEndpointsQuery
  .extend({ hours, after: endpointIdParams.shape.id.optional().describe('cursor: nextCursor of the previous page (an endpoint id)') })
  .strict();

export const getEndpointHealthRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoints/{id}/health',
  operationId: 'getEndpointHealth',
  summary: "An endpoint's attempts per hour (succeeded, failed, p50/p95 duration), failed deliveries waiting, latest delivery, circuit breaker state",
  tag: 'endpoints',
  params: endpointIdParams,
  query: endpointHealthQuery,
  responses: [{ status: 200, description: 'the endpoint\'s health', schema: endpointHealthSchema }],
  errors: { 404: NO_ENDPOINT },
  handler: async ({ params: { id }, query, res, reply }, deps) => {
    await visibleEndpoint(deps.pool, res, id);
    const health = await endpointHealth(deps.pool, [id], healthWindowEndingNow(query.hours));
    // endpointHealth answers for every id it is given.
    return reply(200, health.get(id)!);
  },
});

export const listEndpointHealthRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoint-health',
  operationId: 'listEndpointHealth',
  summary: 'The health of a page of endpoints, paged as GET /v1/endpoints pages them',
  tag: 'endpoints',
  query: endpointHealthListQuery,
  responses: [{ status: 200, description: "a page of endpoints' health (a client key: its own client's only)", schema: endpointHealthListSchema }],
  errors: { 403: OTHER_CLIENT },
  handler: async ({ query, res, reply }, deps) => {
    const page = await visibleEndpointsPage(deps.pool, res, query);
    const ids = page.map((e) => e.id);
    const health = ids.length === 0 ? new Map<string, EndpointHealth>() : await endpointHealth(deps.pool, ids, healthWindowEndingNow(query.hours));
    return reply(200, { data: ids.map((id) => health.get(id)!), nextCursor: page.length === query.limit ? ids[ids.length - 1]! : null });
  },
});
