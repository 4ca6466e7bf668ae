/**
 * The event catalog: every type with its description, body schema and example. Clients read the
 * types in use (not archived); admins read all, and register, change and archive their own types.
 */
import type { Pool } from '../../db/pool';
import { countSubscribers, insertEventType, updateEventType } from '../../db/event-types-repo';
import { eventTypeView, type CatalogEntry, type EventCatalog } from '../../catalog/event-catalog';
import { compileBodySchema, InvalidSchemaError } from '../../catalog/json-schema';
import { submitEventSchema } from '../../schemas/call-event';
import { archiveEventTypeQuery, createEventTypeBody, eventTypeNameParams, eventTypeSchema, patchEventTypeBody, schemaErrorDetail, type SchemaError } from '../../schemas/event-type';
import { eventTypeCatalogSchema } from '../../schemas/responses';
import { ApiError, notFound } from '../errors';
import { principalOf } from '../auth/principal';
import { defineRoute } from '../route';

/** The body every event carries, whatever its type (data.callId, data.clientId): an example must be one too. */
const envelopeBodySchema = submitEventSchema.shape.body;

export const listEventTypesRoute = defineRoute({
  method: 'get',
  path: '/v1/event-types',
  operationId: 'listEventTypes',
  summary: 'The event catalog: every type with its description, body schema and example',
  description: 'Built-in types first, then the types an admin registered. Client keys see the types in use (archived ones are left out).',
  tag: 'event types',
  responses: [{ status: 200, description: 'every event type', schema: eventTypeCatalogSchema }],
  handler: async ({ res, reply }, deps) => {
    const admin = principalOf(res).role === 'admin';
    const data = (await deps.catalog.list()).filter((type) => admin || type.status !== 'archived').map(eventTypeView);
    return reply(200, { data });
  },
});

export const getEventTypeRoute = defineRoute({
  method: 'get',
  path: '/v1/event-types/{name}',
  operationId: 'getEventType',
  summary: 'One event type, with its JSON Schema and example body',
  tag: 'event types',
  params: eventTypeNameParams,
  responses: [{ status: 200, description: 'the type', schema: eventTypeSchema }],
  errors: { 400: 'not an event type name', 404: 'no such type (or archived, for a client key)' },
  handler: async ({ params: { name }, res, reply }, deps) => {
    const type = await deps.catalog.get(name);
    if (!type || (type.status === 'archived' && principalOf(res).role !== 'admin')) throw notFound('event type', name);
    return reply(200, eventTypeView(type));
  },
});

export const createEventTypeRoute = defineRoute({
  method: 'post',
  path: '/v1/event-types',
  operationId: 'createEventType',
  summary: 'Register an event type (admin keys only)',
  description:
    'Takes effect in every API process within 5 s. `schema` is a JSON Schema (draft 2020-12) of the event `body`; `example` must validate against it. `validation` says what intake does with a body the schema refuses: `off` (nothing), `warn` (accepted; the event and the delivery log say what failed), `enforce` (422 with each problem\'s JSON pointer; nothing stored).',
  tag: 'event types',
  admin: true,
  body: { schema: createEventTypeBody, required: true },
  responses: [{ status: 201, description: 'registered', schema: eventTypeSchema, headers: { location: 'the type: `/v1/event-types/{name}`' } }],
  errors: { 400: 'an invalid body, schema (invalid_schema) or example (invalid_example, with pointers)', 409: 'the name is taken (event_type_exists)' },
  handler: async ({ body, res, reply }, deps) => {
    if (await deps.catalog.get(body.name)) throw new ApiError(409, 'event_type_exists', `event type ${body.name} exists already; change it with PATCH /v1/event-types/${body.name}`);
    checkSchemaAndExample(body.schema, body.example);
    const created = await insertEventType(deps.pool, body);
    if (!created) throw new ApiError(409, 'event_type_exists', `event type ${body.name} exists already (archived types keep their name)`);
    deps.catalog.invalidate();
    res.location(`/v1/event-types/${created.name}`);
    return reply(201, eventTypeView((await deps.catalog.get(created.name))!));
  },
});

export const updateEventTypeRoute = defineRoute({
  method: 'patch',
  path: '/v1/event-types/{name}',
  operationId: 'updateEventType',
  summary: 'Change a registered event type (admin keys only)',
  description: 'Any of description, schema, example, validation and status; a new schema or example is checked as at registration. `status: archived` is refused while endpoints subscribe to the type, unless `?force=true`.',
  tag: 'event types',
  admin: true,
  params: eventTypeNameParams,
  body: { schema: patchEventTypeBody, required: true },
  responses: [{ status: 200, description: 'the type as it is now', schema: eventTypeSchema }],
  errors: { 400: 'an invalid body, schema or example', 404: 'no such type', 409: 'a built-in type (builtin_event_type), or in use (event_type_in_use)' },
  handler: async ({ params: { name }, body, req, reply }, deps) => {
    const type = await changeable(deps.catalog, name);
    if (body.schema || body.example) checkSchemaAndExample(body.schema ?? type.schema, body.example ?? type.example);
    // `?force=true` as on DELETE: named in the description, read as is (this route parses no query, so the document lists none).
    if (body.status === 'archived' && type.status !== 'archived') await assertUnused(deps.pool, name, req.query.force === 'true');
    const updated = await updateEventType(deps.pool, name, body);
    if (!updated) throw notFound('event type', name);
    deps.catalog.invalidate();
    return reply(200, eventTypeView((await deps.catalog.get(name))!));
  },
});

// Archive: the type stays readable to admins and in old events; new events of it are refused, and it cannot be subscribed to.
export const archiveEventTypeRoute = defineRoute({
  method: 'delete',
  path: '/v1/event-types/{name}',
  operationId: 'archiveEventType',
  summary: 'Archive a registered event type (admin keys only)',
  description: 'New events of it are refused and endpoints can no longer subscribe to it; past events and their deliveries stay. Refused while endpoints subscribe to it by name, unless `?force=true`.',
  tag: 'event types',
  admin: true,
  params: eventTypeNameParams,
  query: archiveEventTypeQuery,
  responses: [{ status: 200, description: 'the archived type', schema: eventTypeSchema }],
  errors: { 404: 'no such type', 409: 'a built-in type (builtin_event_type), or in use (event_type_in_use)' },
  handler: async ({ params: { name }, query: { force }, reply }, deps) => {
    const type = await changeable(deps.catalog, name);
    if (type.status !== 'archived') await assertUnused(deps.pool, name, force === 'true');
    await updateEventType(deps.pool, name, { status: 'archived' });
    deps.catalog.invalidate();
    return reply(200, eventTypeView((await deps.catalog.get(name))!));
  },
});

/** A registered type (built-in ones are not changed through the API). */
async function changeable(catalog: EventCatalog, name: string): Promise<CatalogEntry> {
  const type = await catalog.get(name);
  if (!type) throw notFound('event type', name);
  if (type.builtin) throw new ApiError(409, 'builtin_event_type', `${name} is built in: it cannot be changed or archived`);
  return type;
}

/** Endpoints subscribed to the type by name keep it from being archived, unless forced. */
async function assertUnused(pool: Pool, name: string, force: boolean): Promise<void> {
  const subscribers = await countSubscribers(pool, name);
  if (subscribers > 0 && !force) {
    throw new ApiError(409, 'event_type_in_use', `${subscribers} endpoint(s) subscribe to ${name}; archive it anyway with ?force=true (they stop receiving it)`, { subscribers });
  }
}

/** The schema must compile, and the example must be an event body that validates against it. */
function checkSchemaAndExample(schema: Record<string, unknown>, example: Record<string, unknown>): void {
  let validate;
  try {
    validate = compileBodySchema(schema);
  } catch (err) {
    if (err instanceof InvalidSchemaError) throw new ApiError(400, 'invalid_schema', err.message, [{ path: 'body.schema', message: err.message }]);
    throw err;
  }
  const envelope = envelopeBodySchema.safeParse(example);
  const problems: SchemaError[] = envelope.success
    ? validate(example)
    : envelope.error.issues.map((issue) => ({ pointer: issue.path.map((p) => `/${String(p)}`).join(''), message: issue.message }));
  if (problems.length > 0) {
    throw new ApiError(
      400,
      'invalid_example',
      `the example does not validate: ${problems.map((p) => `${p.pointer || '(body)'} ${p.message}`).join('; ')}`.slice(0, 2_000),
      problems.map((p) => schemaErrorDetail(p, { path: 'body.example', pointer: '/example' })),
    );
  }
}
