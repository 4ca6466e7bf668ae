/**
 * Accepting events (one, or a batch of any calls; src/api/accept-event.ts stores and plans them)
 * and reading one back with its deliveries.
 */
import { z } from 'zod';
import { getEvent } from '../../db/events-repo';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { toCallEvent } from '../../temporal/call-events-client';
import { eventBatchEnvelopeSchema, eventIdSchema, submitEventBatchSchema, submitEventSchema, type CallEvent } from '../../schemas/call-event';
import { ApiError, notFound } from '../errors';
import { assertMayActFor, assertVisible, principalOf } from '../auth/principal';
import { acceptEvent, acceptEvents } from '../accept-event';
import { parse } from '../validate';
import { defineRoute } from '../route';
import type { EventCatalog } from '../../catalog/event-catalog';
import { schemaErrorDetail, type SchemaError } from '../../schemas/event-type';
import { acceptedEventSchema, batchAcceptedSchema, eventDetailSchema, type batchItemResultSchema } from '../../schemas/responses';
import { OTHER_CLIENT } from './shared-errors';

const eventIdParams = z.object({ id: eventIdSchema });

/** The catalog's verdict on an event: its warnings (under `warn`), or the refusal the API answers with. */
async function checkAgainstCatalog(catalog: EventCatalog, event: CallEvent, at: string): Promise<SchemaError[]> {
  const verdict = await catalog.check(event.eventType, event.body);
  if (verdict.accept) return verdict.warnings;
  throw new ApiError(
    verdict.status,
    verdict.code,
    verdict.message,
    verdict.errors
      ? verdict.errors.map((e) => schemaErrorDetail(e, { path: `${at}.body`, pointer: '/body' }))
      : [{ path: `${at}.eventType`, message: verdict.message }],
  );
}

type BatchItemResult = z.output<typeof batchItemResultSchema>;

export const submitEventRoute = defineRoute({
  method: 'post',
  path: '/v1/events',
  operationId: 'submitEvent',
  summary: 'Accept a call event',
  description:
    'Answers once Postgres has the event: one statement stores it, dedupes it by `id` and plans its deliveries; the outbox relay then signals the call\'s workflow (within milliseconds while Temporal is up; when it is back otherwise). No receiver is contacted during the request. The event `id` is its idempotency key.',
  tag: 'events',
  body: { schema: submitEventSchema, required: true },
  responses: [
    {
      status: 202,
      description: 'accepted (or an idempotent replay of the same id and content)',
      schema: acceptedEventSchema,
      headers: { 'idempotent-replayed': '`true` when this id was already accepted with the same content' },
    },
  ],
  errors: {
    403: OTHER_CLIENT,
    409: "the id was already used for a different event (idempotency_conflict), or the call is another client's (call_of_another_client)",
    422: "the event type is not in the catalog (unknown_event_type), is archived (archived_event_type) or is callhook's own (system_event_type), or the body does not match the type's schema under `enforce` (schema_validation_failed: `details` has each problem's JSON pointer)",
    503: 'Postgres is unreachable, or OUTBOX_MAX_PENDING accepted events wait for Temporal (outbox_full): the event was not accepted; retry with the same id',
  },
  handler: async ({ body, res, reply }, deps) => {
    const event = toCallEvent(body);
    assertMayActFor(principalOf(res), event.body.data.clientId, 'body.body.data.clientId');
    const warnings = await checkAgainstCatalog(deps.catalog, event, 'body');
    const { replayed } = await acceptEvent(deps, event, warnings);
    if (replayed) res.set('idempotent-replayed', 'true');
    return reply(202, {
      id: event.id,
      callId: event.body.data.callId,
      workflowId: event.body.data.callId,
      ...(warnings.length > 0 && { validationErrors: warnings }),
    });
  },
});

// Up to MAX_BATCH_EVENTS events of any calls: one statement stores and plans them all; each is answered on its own.
export const submitEventsRoute = defineRoute({
  method: 'post',
  path: '/v1/events/batch',
  operationId: 'submitEvents',
  summary: 'Accept up to 500 call events, of any calls, in one request',
  description:
    'One statement stores and plans them all, and each call\'s events go to its workflow in one signal. Each event is answered on its own, in `results` (in the order sent): `accepted`, `duplicate` (its id was accepted before with the same content), or `refused` with the reason (an invalid event, another client\'s call, an id reused for another event); a refused event changes nothing and does not stop the others. A call\'s events are delivered in the order they appear. The body may be up to 4 MiB; each event up to MAX_BODY_BYTES.',
  tag: 'events',
  // Documented whole; parsed as an envelope, each item then on its own (a bad one is refused alone).
  body: { schema: submitEventBatchSchema, parsedWith: eventBatchEnvelopeSchema, required: true },
  responses: [{ status: 200, description: 'every event answered (check each result)', schema: batchAcceptedSchema }],
  errors: {
    400: 'the body is not `{ "events": [...] }` with 1 to 500 items',
    503: 'Postgres is unreachable, or the outbox is full (outbox_full): nothing was accepted; retry',
  },
  handler: async ({ body: { events: items }, res, reply }, deps) => {
    const principal = principalOf(res);
    const results: BatchItemResult[] = [];
    const valid: { index: number; event: CallEvent; warnings: SchemaError[] }[] = [];
    for (const [index, item] of items.entries()) {
      try {
        if (JSON.stringify(item).length > deps.maxEventBytes) {
          throw new ApiError(413, 'payload_too_large', `the event is larger than MAX_BODY_BYTES (${deps.maxEventBytes} bytes)`);
        }
        const event = toCallEvent(parse(submitEventSchema, item, 'body'));
        assertMayActFor(principal, event.body.data.clientId, `events.${index}.body.data.clientId`);
        const warnings = await checkAgainstCatalog(deps.catalog, event, `events.${index}`);
        valid.push({ index, event, warnings });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        const id = typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : null;
        const callId = (item as { body?: { data?: { callId?: unknown } } })?.body?.data?.callId;
        const details = Array.isArray(err.details) ? (err.details as { path: string; message: string }[]) : [];
        const message =
          err.code === 'invalid_request' && details.length > 0
            ? `invalid event: ${details.map((d) => `${d.path.replace(/^body/, `events.${index}`)}: ${d.message}`).join('; ')}`
            : details.length > 0
              ? `${err.message} (${details.map((d) => d.path).join(', ')})`.slice(0, 2_000)
              : err.message;
        results[index] = { index, id, callId: typeof callId === 'string' ? callId : null, status: 'refused', error: { code: err.code, message } };
      }
    }
    const outcomes = await acceptEvents(deps, valid.map((v) => v.event), valid.map((v) => v.warnings));
    outcomes.forEach((outcome, i) => {
      const { index, warnings } = valid[i]!;
      results[index] = {
        index,
        id: outcome.id,
        callId: outcome.callId,
        status: outcome.status,
        ...(outcome.status === 'refused' && { error: outcome.error }),
        ...(outcome.status === 'accepted' && warnings.length > 0 && { validationErrors: warnings }),
      };
    });
    const count = (status: BatchItemResult['status']) => results.filter((r) => r.status === status).length;
    return reply(200, { accepted: count('accepted'), duplicates: count('duplicate'), refused: count('refused'), results });
  },
});

export const getEventRoute = defineRoute({
  method: 'get',
  path: '/v1/events/{id}',
  operationId: 'getEvent',
  summary: 'An event and its deliveries, with every attempt',
  tag: 'events',
  params: eventIdParams,
  responses: [{ status: 200, description: 'the event', schema: eventDetailSchema }],
  errors: { 400: 'the id is not a valid event id', 404: "no such event (or it is another client's)" },
  handler: async ({ params: { id }, res, reply }, deps) => {
    const event = await getEvent(deps.pool, id);
    if (!event) throw notFound('event', id);
    assertVisible(principalOf(res), event.clientId, 'event', id);
    const deliveries = await listDeliveryLog(deps.pool, { eventId: id });
    return reply(200, {
      id: event.id,
      callId: event.callId,
      clientId: event.clientId,
      eventType: event.eventType,
      receivedAt: event.receivedAt,
      payload: event.payload,
      validationErrors: event.validationErrors,
      erasedAt: event.erasedAt,
      deliveries: deliveries.map(({ cursor: _cursor, ...entry }) => entry),
    });
  },
});
