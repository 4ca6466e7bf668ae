/**
 * Endpoints: register, list, read, change, delete; rotate an hmac secret; pause and resume. A client
 * key sees and changes its own client's endpoints only (another client's answers 404). Secrets are
 * shown in full once, in the response that creates (or rotates) them; as hints after that.
 */
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { inTransaction } from '../../db/pool';
import { wakeHeldCallsSoon } from '../../outbox/wake-held-calls';
import { getApiKey } from '../../db/api-keys-repo';
import { pauseEndpoint, resumeEndpoint } from '../../db/endpoint-state-repo';
import { countClientEndpointsLocked, insertEndpoint, softDeleteEndpoint, updateEndpoint } from '../../db/endpoints-repo';
import { logger } from '../../observability/logger';
import { currentSecret, generateSecret, isRotatable, resolveAuth, rotateSecret } from '../../domain/endpoint-auth';
import { newId } from '../../domain/ids';
import {
  createEndpointSchema,
  endpointProblems,
  hmacHexSecretSchema,
  updateEndpointSchema,
  webhookSecretSchema,
  type ClientTls,
  type DestinationRules,
  type EndpointShape,
  type EndpointAuth,
  type EndpointAuthInput,
} from '../../schemas/endpoint';
import { resolveHeaders, type CustomHeader, type CustomHeaderInput } from '../../schemas/endpoint-options';
import { createdEndpointSchema, endpointDeletedSchema, endpointListSchema, endpointViewSchema, rotatedSecretSchema } from '../../schemas/responses';
import { inspectClientTls } from '../../destinations/client-certificates';
import { ApiError, notFound } from '../errors';
import { assertMayActFor, principalOf, type Principal } from '../auth/principal';
import { visibleEndpoint, visibleEndpointsPage } from '../endpoint-access';
import { authView, createdEndpointView, endpointView } from '../endpoint-view';
import { defineRoute } from '../route';
import type { RouteDeps } from '../route-deps';
import type { EventCatalog } from '../../catalog/event-catalog';
import { ALL_EVENTS, TEST_EVENT } from '../../domain/event-types';
import { BAD_ENDPOINT_ID, NO_ENDPOINT, OTHER_CLIENT } from './shared-errors';

export const endpointIdParams = z.object({ id: z.string().regex(/^ep_[0-9a-f]{32}$/, 'not an endpoint id') });

export const listEndpointsQuery = z
  .object({
    clientId: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    after: z.string().max(100).optional().describe('cursor: the last id of the previous page'),
  })
  .strict();

/** Optional body of rotate-secret: the new secret, or none to have one generated. */
export const rotateSecretBody = z.object({ secret: z.string().max(4096).optional() }).strict().optional();

/** The body of pause and resume: none, or an empty object. */
export const endpointStateBody = z.object({}).strict().optional();

function invalid(problems: { path: string; message: string }[]): ApiError {
  return new ApiError(
    400,
    'invalid_request',
    problems.map((p) => `body.${p.path}: ${p.message}`).join('; '),
    problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
  );
}

/**
 * 400 naming every rule across fields the endpoint breaks, and every problem of its client
 * certificate when one is being written (a stored one that expired since must not block other changes).
 */
function assertValid(endpoint: EndpointShape & { tls: ClientTls | null }, rules: DestinationRules, tlsWritten: boolean): void {
  const problems = endpointProblems(endpoint, rules);
  if (endpoint.tls && tlsWritten) {
    const inspected = inspectClientTls(endpoint.tls);
    if (!inspected.ok) problems.push(...inspected.problems.map((p) => ({ path: `tls.${p.path}`, message: p.message })));
  }
  if (problems.length > 0) throw invalid(problems);
}

/** The stored headers the input gives (a secret header without value keeps its value), or a 400. */
function storedHeaders(input: readonly CustomHeaderInput[] | undefined, current: readonly CustomHeader[]): CustomHeader[] {
  if (input === undefined) return [...current];
  const resolved = resolveHeaders(input, current);
  if (!resolved.ok) throw invalid(resolved.problems);
  return resolved.headers;
}

/** The stored form of the auth sent, or a 400; `current` on an update. */
function storedAuth(input: EndpointAuthInput, now: Date, current?: EndpointAuth): EndpointAuth {
  const resolved = resolveAuth(input, now, current);
  if (!resolved.ok) throw invalid([{ path: resolved.path, message: resolved.message }]);
  return resolved.auth;
}

/**
 * Who a pause is recorded as: `api` when keys are not required, `api-key:<name>` for a key in
 * Postgres (its id when it cannot be read), `api-key:ADMIN_API_KEYS#<n>` for a configured admin key.
 */
async function actorOf(pool: Pool, principal: Principal): Promise<string> {
  const { keyId } = principal;
  if (keyId === null) return 'api';
  if (keyId.startsWith('config:')) return `api-key:ADMIN_API_KEYS#${keyId.slice('config:'.length)}`;
  try {
    return `api-key:${(await getApiKey(pool, keyId))?.name ?? keyId}`;
  } catch (err) {
    // The pause itself needs Postgres next and fails there if it is away; the name is only a label.
    logger.warn({ err, keyId }, 'could not read the key\'s name for pausedBy; recording its id');
    return `api-key:${keyId}`;
  }
}

/** Tells the calls waiting for the endpoint, after the answer, that its state changed (resume, enable, disable, delete). */
function wake(deps: RouteDeps, endpointId: string): void {
  wakeHeldCallsSoon({ pool: deps.pool, outbox: deps.outbox, logger }, endpointId);
}

/** 400 naming each subscribed type the catalog does not have, or has archived (an endpoint keeps an archived type it had). */
async function assertSubscribable(catalog: EventCatalog, events: readonly string[], kept: readonly string[] = []): Promise<void> {
  const problems: { path: string; message: string }[] = [];
  for (const [index, name] of events.entries()) {
    if (name === ALL_EVENTS || kept.includes(name)) continue;
    const type = await catalog.get(name);
    if (!type) problems.push({ path: `events.${index}`, message: `${name} is not in the event catalog (GET /v1/event-types)` });
    else if (type.status === 'archived') problems.push({ path: `events.${index}`, message: `${name} is archived` });
    else if (name === TEST_EVENT) problems.push({ path: `events.${index}`, message: `${name} goes to one endpoint when it is tested; it cannot be subscribed to` });
  }
  if (problems.length > 0) throw invalid(problems);
}

export const createEndpointRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints',
  operationId: 'createEndpoint',
  summary: 'Register an endpoint',
  description: 'The only response with the secret in full.',
  tag: 'endpoints',
  body: { schema: createEndpointSchema, required: true },
  responses: [{ status: 201, description: 'created', schema: createdEndpointSchema, headers: { location: 'the new endpoint: `/v1/endpoints/{id}`' } }],
  errors: { 403: OTHER_CLIENT, 409: 'the client has MAX_ENDPOINTS_PER_CLIENT endpoints already (limit_reached)' },
  handler: async ({ body, res, reply }, deps) => {
    assertMayActFor(principalOf(res), body.clientId, 'body.clientId');
    const fields = {
      id: newId('ep'),
      clientId: body.clientId,
      kind: body.kind,
      url: body.url ?? null,
      email: body.email ?? null,
      events: body.events,
      description: body.description ?? null,
      active: body.active ?? true,
      rateLimit: body.rateLimit ?? null,
      headers: storedHeaders(body.headers ?? [], []),
      filter: body.filter ?? null,
      retry: body.retry ?? null,
      tls: body.tls ?? null,
      sendTraceparent: body.sendTraceparent ?? false,
    };
    const authInput = body.auth ?? { type: 'none' as const };
    assertValid({ ...fields, auth: authInput }, deps.rules, true);
    await assertSubscribable(deps.catalog, fields.events);
    const created = await inTransaction(deps.pool, async (db) => {
      const count = await countClientEndpointsLocked(db, fields.clientId);
      if (count >= deps.maxEndpointsPerClient) {
        throw new ApiError(409, 'limit_reached', `client ${fields.clientId} has ${count} endpoints, the most allowed (MAX_ENDPOINTS_PER_CLIENT); delete one first`);
      }
      return insertEndpoint(db, { ...fields, auth: storedAuth(authInput, new Date()) });
    });
    // The only endpoint response that carries the secret in full: the caller just chose or received it.
    res.location(`/v1/endpoints/${created.id}`);
    return reply(201, createdEndpointView(created));
  },
});

export const listEndpointsRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoints',
  operationId: 'listEndpoints',
  summary: 'List endpoints (cursor pagination)',
  tag: 'endpoints',
  query: listEndpointsQuery,
  responses: [{ status: 200, description: "a page of endpoints (a client key: its own client's only), secrets shown as hints", schema: endpointListSchema }],
  errors: { 403: OTHER_CLIENT },
  handler: async ({ query, res, reply }, deps) => {
    const endpoints = await visibleEndpointsPage(deps.pool, res, query);
    const nextCursor = endpoints.length === query.limit ? endpoints[endpoints.length - 1]!.id : null;
    return reply(200, { data: endpoints.map(endpointView), nextCursor });
  },
});

export const getEndpointRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoints/{id}',
  operationId: 'getEndpoint',
  summary: 'One endpoint (secrets shown as a hint)',
  tag: 'endpoints',
  params: endpointIdParams,
  responses: [{ status: 200, description: 'the endpoint', schema: endpointViewSchema }],
  errors: { 400: BAD_ENDPOINT_ID, 404: NO_ENDPOINT },
  handler: async ({ params: { id }, res, reply }, deps) => reply(200, endpointView(await visibleEndpoint(deps.pool, res, id))),
});

export const updateEndpointRoute = defineRoute({
  method: 'patch',
  path: '/v1/endpoints/{id}',
  operationId: 'updateEndpoint',
  summary: 'Change url, email, events, auth, description, active or rateLimit',
  description: 'Changes apply from the next event on; a retry reads the endpoint afresh.',
  tag: 'endpoints',
  params: endpointIdParams,
  body: { schema: updateEndpointSchema, required: true },
  responses: [{ status: 200, description: 'the endpoint as changed', schema: endpointViewSchema }],
  errors: { 404: NO_ENDPOINT },
  handler: async ({ params: { id }, body: patch, res, reply }, deps) => {
    if (patch.events) {
      const current = await visibleEndpoint(deps.pool, res, id);
      await assertSubscribable(deps.catalog, patch.events, current.events);
    }
    const updated = await inTransaction(deps.pool, async (db) => {
      const current = await visibleEndpoint(db, res, id, true);
      const next = {
        ...current,
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.email !== undefined && { email: patch.email }),
        ...(patch.events !== undefined && { events: patch.events }),
        ...(patch.description !== undefined && { description: patch.description }),
        ...(patch.active !== undefined && { active: patch.active }),
        ...(patch.rateLimit !== undefined && { rateLimit: patch.rateLimit }),
        ...(patch.filter !== undefined && { filter: patch.filter }),
        ...(patch.retry !== undefined && { retry: patch.retry }),
        ...(patch.tls !== undefined && { tls: patch.tls }),
        ...(patch.sendTraceparent !== undefined && { sendTraceparent: patch.sendTraceparent }),
        headers: storedHeaders(patch.headers, current.headers),
      };
      assertValid({ ...next, auth: patch.auth ?? current.auth }, deps.rules, patch.tls !== undefined);
      const auth = patch.auth === undefined ? current.auth : storedAuth(patch.auth, new Date(), current.auth);
      return updateEndpoint(db, { ...next, auth });
    });
    // Enabled: its waiting calls go on; disabled: they end its deliveries at once rather than at their next look.
    if (patch.active !== undefined) wake(deps, id);
    return reply(200, endpointView(updated));
  },
});

export const deleteEndpointRoute = defineRoute({
  method: 'delete',
  path: '/v1/endpoints/{id}',
  operationId: 'deleteEndpoint',
  summary: 'Delete an endpoint (its delivery log is kept)',
  tag: 'endpoints',
  params: endpointIdParams,
  responses: [{ status: 200, description: 'deleted', schema: endpointDeletedSchema }],
  errors: { 400: BAD_ENDPOINT_ID, 404: NO_ENDPOINT },
  handler: async ({ params: { id }, res, reply }, deps) => {
    await visibleEndpoint(deps.pool, res, id);
    // Deleted meanwhile by another request: the same answer as if this one had deleted it.
    await softDeleteEndpoint(deps.pool, id);
    wake(deps, id); // calls waiting for it (paused, circuit open) end its deliveries now
    return reply(200, { id, deleted: true });
  },
});

/**
 * A new secret for an hmac or hmac-hex endpoint, given in the body or generated, returned in
 * full here only. hmac: the old secret keeps signing beside it for HMAC_SECRET_OVERLAP.
 */
export const rotateEndpointSecretRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/{id}/rotate-secret',
  operationId: 'rotateEndpointSecret',
  summary: 'A new secret for an hmac or hmac-hex endpoint',
  description: 'The new secret is given in the body or generated, and returned in full here only. hmac: the old secret keeps signing beside it for HMAC_SECRET_OVERLAP.',
  tag: 'endpoints',
  params: endpointIdParams,
  body: { schema: rotateSecretBody, required: false },
  responses: [{ status: 200, description: 'rotated', schema: rotatedSecretSchema }],
  errors: { 404: NO_ENDPOINT, 409: 'the endpoint has no secret to rotate (auth is not hmac or hmac-hex)' },
  handler: async ({ params: { id }, body: given, res, reply }, deps) => {
    const body = given ?? {};
    const now = new Date();
    const { endpoint, rotation, secret } = await inTransaction(deps.pool, async (db) => {
      const current = await visibleEndpoint(db, res, id, true);
      const auth = current.auth;
      if (!isRotatable(auth)) {
        throw new ApiError(
          409,
          'no_secret_to_rotate',
          `endpoint ${id} uses ${auth.type} authentication; only hmac and hmac-hex endpoints have a secret to rotate`,
        );
      }
      const secret = body.secret ?? generateSecret(auth.type);
      const rule = auth.type === 'hmac' ? webhookSecretSchema : hmacHexSecretSchema;
      const checked = rule.safeParse(secret);
      if (!checked.success) throw invalid(checked.error.issues.map((i) => ({ path: 'secret', message: i.message })));
      if (secret === currentSecret(auth)) throw invalid([{ path: 'secret', message: 'is the current secret; give a new one' }]);
      const rotation = rotateSecret(auth, secret, now, deps.hmacSecretOverlapMs);
      return { endpoint: await updateEndpoint(db, { ...current, auth: rotation.auth }), rotation, secret };
    });
    return reply(200, {
      id: endpoint.id,
      secret,
      previousSecretExpiresAt: rotation.previousSecretExpiresAt,
      auth: authView(endpoint.auth, now),
    });
  },
});

/** Pauses the endpoint: its deliveries wait, neither attempted nor failed, until it is resumed. Idempotent. */
export const pauseEndpointRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/{id}/pause',
  operationId: 'pauseEndpoint',
  summary: 'Pause an endpoint: its deliveries wait, neither attempted nor failed, until it is resumed',
  description:
    'Idempotent: pausing a paused endpoint keeps the first pause (pausedAt, pausedBy). pausedBy is `api` when keys are not required, else `api-key:<key name>`. Attempts under way finish; the next ones wait.',
  tag: 'endpoints',
  params: endpointIdParams,
  body: { schema: endpointStateBody, required: false },
  responses: [{ status: 200, description: 'the endpoint, paused', schema: endpointViewSchema }],
  errors: { 404: NO_ENDPOINT },
  handler: async ({ params: { id }, res, reply }, deps) => {
    await visibleEndpoint(deps.pool, res, id);
    const paused = await pauseEndpoint(deps.pool, id, await actorOf(deps.pool, principalOf(res)));
    // Deleted meanwhile: as if it had been deleted before the request.
    if (!paused) throw notFound('endpoint', id);
    return reply(200, endpointView(paused));
  },
});

/** Resumes the endpoint and wakes the calls waiting for it. Idempotent. */
export const resumeEndpointRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/{id}/resume',
  operationId: 'resumeEndpoint',
  summary: 'Resume a paused endpoint: the deliveries that waited go, in order',
  description:
    'Idempotent: resuming an endpoint that is not paused changes nothing. The calls waiting for it are told at once; one not reached looks again on its own within minutes.',
  tag: 'endpoints',
  params: endpointIdParams,
  body: { schema: endpointStateBody, required: false },
  responses: [{ status: 200, description: 'the endpoint, no longer paused', schema: endpointViewSchema }],
  errors: { 404: NO_ENDPOINT },
  handler: async ({ params: { id }, res, reply }, deps) => {
    await visibleEndpoint(deps.pool, res, id);
    const resumed = await resumeEndpoint(deps.pool, id);
    if (!resumed) throw notFound('endpoint', id);
    wake(deps, id);
    return reply(200, endpointView(resumed));
  },
});
