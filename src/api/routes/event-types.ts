import { Router, type RequestHandler } from 'express';
import type { Pool } from '../../db/pool';
import { countSubscribers, insertEventType, updateEventType } from '../../db/event-types-repo';
import { eventTypeView, type CatalogEntry, type EventCatalog } from '../../catalog/event-catalog';
import { compileBodySchema, InvalidSchemaError } from '../../catalog/json-schema';
import { submitEventSchema } from '../../schemas/call-event';
import { archiveEventTypeQuery, createEventTypeBody, eventTypeNameParams, patchEventTypeBody, schemaErrorDetail, type SchemaError } from '../../schemas/event-type';
import { ApiError, notFound } from '../errors';
import { principalOf, requireAdmin } from '../auth/principal';
import { parse } from '../validate';

/** The body every event carries, whatever its type (data.callId, data.clientId): an example must be one too. */
const envelopeBodySchema = submitEventSchema.shape.body;

/**
 * The event catalog: every type with its description, body schema and example. Clients read the
 * types in use (not archived); admins read all, and register, change and archive their own types.
 */
export function eventTypesRouter(deps: { pool: Pool; catalog: EventCatalog }): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const admin = principalOf(res).role === 'admin';
    const data = (await deps.catalog.list()).filter((type) => admin || type.status !== 'archived').map(eventTypeView);
    res.json({ data });
  });

  router.get('/:name', async (req, res) => {
    const { name } = parse(eventTypeNameParams, req.params, 'path');
    const type = await deps.catalog.get(name);
    if (!type || (type.status === 'archived' && principalOf(res).role !== 'admin')) throw notFound('event type', name);
    res.json(eventTypeView(type));
  });

  router.post('/', requireAdmin, async (req, res) => {
    const body = parse(createEventTypeBody, req.body, 'body');
    if (await deps.catalog.get(body.name)) throw new ApiError(409, 'event_type_exists', `event type ${body.name} exists already; change it with PATCH /v1/event-types/${body.name}`);
    checkSchemaAndExample(body.schema, body.example);
    const created = await insertEventType(deps.pool, body);
    if (!created) throw new ApiError(409, 'event_type_exists', `event type ${body.name} exists already (archived types keep their name)`);
    deps.catalog.invalidate();
    res.status(201).location(`/v1/event-types/${created.name}`).json(eventTypeView((await deps.catalog.get(created.name))!));
  });

  router.patch('/:name', requireAdmin, async (req, res) => {
    const { name } = parse(eventTypeNameParams, req.params, 'path');
    const body = parse(patchEventTypeBody, req.body, 'body');
    const type = await changeable(deps.catalog, name);
    if (body.schema || body.example) checkSchemaAndExample(body.schema ?? type.schema, body.example ?? type.example);
    if (body.status === 'archived' && type.status !== 'archived') await assertUnused(deps.pool, name, req.query.force === 'true');
    const updated = await updateEventType(deps.pool, name, body);
    if (!updated) throw notFound('event type', name);
    deps.catalog.invalidate();
    res.json(eventTypeView((await deps.catalog.get(name))!));
  });

  // Archive: the type stays readable to admins and in old events; new events of it are refused, and it cannot be subscribed to.
  const archive: RequestHandler = async (req, res) => {
    const { name } = parse(eventTypeNameParams, req.params, 'path');
    const { force } = parse(archiveEventTypeQuery, req.query, 'query');
    const type = await changeable(deps.catalog, name);
    if (type.status !== 'archived') await assertUnused(deps.pool, name, force === 'true');
    await updateEventType(deps.pool, name, { status: 'archived' });
    deps.catalog.invalidate();
    res.json(eventTypeView((await deps.catalog.get(name))!));
  };
  router.delete('/:name', requireAdmin, archive);

  return router;
}

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
