/**
 * Operator actions through the API, all carried out by the call workflows (so lanes keep their
 * order): retry one delivery, redeliver a call's failures, recover an endpoint's failures over a
 * time range, send a test event, try a filter, and read an endpoint's delivery log.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { countFailedInRange, getDeliveryHead, listDeliveryLog } from '../../db/deliveries-repo';
import { RECOVER_WORKFLOW_TYPE, type RecoverInput } from '../../workflows/system-workflows';
import { requestRedelivery, requestRetryNow } from '../../temporal/call-events-client';
import { TEST_EVENT } from '../../domain/event-types';
import { deliveryId, newId } from '../../domain/ids';
import { eventTypeNameSchema, isoInstantSchema, submitEventSchema, type CallEvent, type SubmitEvent } from '../../schemas/call-event';
import { endpointFilterSchema } from '../../schemas/endpoint-filter';
import { deliveryPageSchema, recoverAcceptedSchema, redeliverAcceptedSchema, retryAcceptedSchema, testResultSchema } from '../../schemas/responses';
import { explainFilterMatch, filterableEvent } from '../../filters/evaluate-filter';
import { acceptEvent } from '../accept-event';
import { ApiError, notFound } from '../errors';
import { defineRoute } from '../route';
import { callTemporal } from '../temporal-call';
import { endpointIdParams } from './endpoints';
import { assertCallVisible, callIdParams } from './calls';
import { assertVisible, principalOf } from '../auth/principal';
import { visibleEndpoint } from '../endpoint-access';
import { BAD_ENDPOINT_ID, NO_ENDPOINT, TEMPORAL_DOWN } from './shared-errors';

/** `POST /v1/endpoints/{id}/test`: the test event, or the example of a catalog type. */
export const testEndpointBody = z
  .object({ eventType: eventTypeNameSchema.optional().describe("Send this catalog type's example (marked as a test) instead of WEBHOOK_TEST") })
  .strict();

/** test-filter: a filter (the endpoint's own when absent) against a sample event, or a catalog type's example. */
export const testFilterBody = z
  .object({
    filter: endpointFilterSchema.optional().describe("the filter to try; the endpoint's own when absent"),
    event: submitEventSchema.optional().describe('the sample event, as it would be sent to POST /v1/events'),
    eventType: eventTypeNameSchema.optional().describe("instead of event: this catalog type's example"),
  })
  .strict()
  .refine((body) => (body.event === undefined) !== (body.eventType === undefined), { message: 'give either "event" or "eventType"', path: ['event'] });

export const filterMatchSchema = z.strictObject({
  matched: z.boolean().describe('whether the event would be delivered to the endpoint'),
  reasons: z.array(z.string()).describe('the facts that decided it, e.g. `body.data.callStatus is "COMPLETED", not in ["FAILED"]`'),
  filter: endpointFilterSchema.nullable().describe('the filter tried; null: the endpoint has none, and every event matches'),
});

// Postgres has no year 0 and takes offsets up to ±15:59 (zod takes both): see isoInstantSchema.
const isoInstant = isoInstantSchema;
/** The largest bigint: a longer cursor would fail the query with a 500. */
const MAX_CURSOR = 2n ** 63n - 1n;

const deliveryIdParams = z.object({ id: z.string().regex(/^dlv_[0-9a-f]{32}$/, 'not a delivery id') });
export const redeliverCallBody = z.object({ endpointId: endpointIdParams.shape.id.optional() }).strict();
export const recoverBody = z
  .object({ since: isoInstant, until: isoInstant.optional() })
  .strict()
  .refine((b) => !b.until || Date.parse(b.until) > Date.parse(b.since), { message: 'until must be after since', path: ['until'] });
const endpointDeliveriesQuery = z
  .object({
    status: z.enum(['pending', 'succeeded', 'failed', 'skipped']).optional(),
    since: isoInstant.optional(),
    until: isoInstant.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    after: z
      .string()
      .regex(/^\d{1,19}$/, 'not a cursor')
      .refine((s) => !/^\d+$/.test(s) || BigInt(s) <= MAX_CURSOR, 'not a cursor')
      .optional()
      .describe('cursor: nextCursor of the previous page'),
  })
  .strict();

export const redeliverCallRoute = defineRoute({
  method: 'post',
  path: '/v1/calls/{callId}/redeliver',
  operationId: 'redeliverCall',
  summary: "Send a call's failed deliveries again",
  description: 'The call workflow sends them again in their original order; `endpointId` limits it to one endpoint.',
  tag: 'calls',
  params: callIdParams,
  body: { schema: redeliverCallBody, required: false },
  responses: [{ status: 202, description: 'the failed deliveries to send again (none: nothing was signalled)', schema: redeliverAcceptedSchema }],
  errors: { 404: "a client key: the call is unknown or another client's", 503: TEMPORAL_DOWN },
  handler: async ({ params: { callId }, body, res, reply }, deps) => {
    await assertCallVisible(deps.pool, res, callId);
    const failed = await listDeliveryLog(deps.pool, {
      callId,
      status: 'failed',
      liveEndpointsOnly: true, // as the workflow's reopenDeliveries: deliveries to deleted endpoints stay as they are
      ...(body.endpointId && { endpointId: body.endpointId }),
    }).then((log) => log.filter((d) => d.erasedAt === null)); // as reopenDeliveries: erased content is not sent again
    if (failed.length > 0) {
      await callTemporal(deps, 'signal the call workflow', { callId }, () =>
        requestRedelivery(deps.temporal, callId, { ...body, source: 'api' }, deps),
      );
    }
    return reply(202, { callId, deliveries: failed.map((d) => d.id) });
  },
});

export const recoverEndpointRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/{id}/recover',
  operationId: 'recoverEndpoint',
  summary: "Send an endpoint's failed deliveries in a time range again",
  description:
    'Answers at once: a recovery workflow (`recover-<endpointId>-…`, visible in the Temporal UI) asks each call with failed deliveries in [since, until) to send them again, 100 calls at a time; each call resends them in its original order.',
  tag: 'endpoints',
  params: endpointIdParams,
  body: { schema: recoverBody, required: true },
  responses: [{ status: 202, description: 'what the range holds, and the recovery workflow started for it', schema: recoverAcceptedSchema }],
  errors: { 404: NO_ENDPOINT, 503: TEMPORAL_DOWN },
  handler: async ({ params: { id }, body, res, reply }, deps) => {
    await visibleEndpoint(deps.pool, res, id);
    const found = await countFailedInRange(deps.pool, { endpointId: id, ...body });
    let workflowId: string | null = null;
    if (found.calls > 0) {
      // One workflow signals the calls a page at a time: this request does the same work for ten calls or a million.
      workflowId = `recover-${id}-${randomUUID()}`;
      const input: RecoverInput = { endpointId: id, since: body.since, ...(body.until && { until: body.until }) };
      await callTemporal(deps, 'start the recovery', { endpointId: id }, () =>
        deps.temporal.workflow.start(RECOVER_WORKFLOW_TYPE, { workflowId: workflowId!, taskQueue: deps.taskQueue, args: [input] }),
      );
    }
    return reply(202, { endpointId: id, ...found, workflowId });
  },
});

export const testEndpointRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/{id}/test',
  operationId: 'testEndpoint',
  summary: 'Send a WEBHOOK_TEST event (or a catalog type\'s example) to this endpoint and wait for the first attempt',
  description:
    'With `{ "eventType": "X" }`, sends the example body of type X from the catalog instead, as a test: to this endpoint only (whatever it subscribes to, even paused or disabled), in a call whose id starts with `webhook-test-`, with `data.clientId` the endpoint\'s client.',
  tag: 'endpoints',
  params: endpointIdParams,
  body: { schema: testEndpointBody, required: false },
  responses: [{ status: 200, description: "the first attempt's outcome", schema: testResultSchema }],
  errors: { 400: BAD_ENDPOINT_ID, 404: NO_ENDPOINT, 503: TEMPORAL_DOWN, 504: 'no attempt finished in time; the event id is in the message' },
  handler: async ({ params: { id }, body: { eventType }, res, reply }, deps) => {
    const endpoint = await visibleEndpoint(deps.pool, res, id);
    const callId = `webhook-test-${randomUUID()}`;
    let event: CallEvent = {
      id: newId('evt'),
      eventType: TEST_EVENT,
      occurredAt: new Date().toISOString(),
      body: { data: { callId, clientId: endpoint.clientId, callStatus: 'TEST' }, errors: [] },
      targetEndpointId: endpoint.id,
    };
    if (eventType !== undefined && eventType !== TEST_EVENT) {
      const type = await deps.catalog.get(eventType);
      if (!type || type.status === 'archived') throw new ApiError(400, 'invalid_request', `${eventType} is not in the event catalog`, [{ path: 'body.eventType', message: 'not in the event catalog (GET /v1/event-types)' }]);
      // The type's example, as the call of a test (its callId says so) of this endpoint's client, to this endpoint only.
      const example = type.example as { data?: Record<string, unknown>; errors?: CallEvent['body']['errors'] };
      event = { ...event, eventType, body: { data: { ...example.data, callId, clientId: endpoint.clientId }, errors: example.errors ?? [] } };
    }
    await acceptEvent(deps, event);
    const attempt = await firstAttempt(deps.pool, deliveryId(event.id, endpoint.id), deps.testWaitMs);
    if (!attempt) throw new ApiError(504, 'test_timeout', `no attempt finished within ${deps.testWaitMs} ms; see GET /v1/events/${event.id}`);
    return reply(200, { eventId: event.id, deliveryId: deliveryId(event.id, endpoint.id), ...attempt });
  },
});

/** Evaluates a filter against a sample event, without sending anything. */
export const testEndpointFilterRoute = defineRoute({
  method: 'post',
  path: '/v1/endpoints/{id}/test-filter',
  operationId: 'testEndpointFilter',
  summary: 'Evaluate a filter (the endpoint\'s own, or one given) against a sample event or a catalog type\'s example; nothing is sent',
  tag: 'endpoints',
  params: endpointIdParams,
  // Absent, the body is read as `{}`: the 400 then says to give "event" or "eventType", rather than that a body is missing.
  body: { schema: testFilterBody, required: true, emptyWhenAbsent: true },
  responses: [{ status: 200, description: 'whether the event matches, and why', schema: filterMatchSchema }],
  errors: { 400: 'a bad filter (the path names the operator or path) or event', 404: NO_ENDPOINT },
  handler: async ({ params: { id }, body, res, reply }, deps) => {
    const endpoint = await visibleEndpoint(deps.pool, res, id);
    let sample: SubmitEvent;
    if (body.event) sample = body.event;
    else {
      const type = await deps.catalog.get(body.eventType!);
      if (!type) throw new ApiError(400, 'invalid_request', `${body.eventType} is not in the event catalog`, [{ path: 'body.eventType', message: 'not in the event catalog (GET /v1/event-types)' }]);
      sample = { eventType: type.name, body: type.example as SubmitEvent['body'] };
    }
    const filter = body.filter ?? endpoint.filter;
    const event = filterableEvent({
      id: sample.id ?? newId('evt'),
      eventType: sample.eventType,
      occurredAt: sample.occurredAt ?? new Date().toISOString(),
      body: { data: sample.body.data, errors: sample.body.errors ?? [] },
    });
    return reply(200, filter ? { ...explainFilterMatch(filter, event), filter } : { matched: true, reasons: ['the endpoint has no filter'], filter: null });
  },
});

export const listEndpointDeliveriesRoute = defineRoute({
  method: 'get',
  path: '/v1/endpoints/{id}/deliveries',
  operationId: 'listEndpointDeliveries',
  summary: "The endpoint's delivery log, filtered (cursor pagination)",
  tag: 'endpoints',
  params: endpointIdParams,
  query: endpointDeliveriesQuery,
  responses: [{ status: 200, description: 'a page of the delivery log', schema: deliveryPageSchema }],
  errors: { 404: NO_ENDPOINT },
  handler: async ({ params: { id }, query, res, reply }, deps) => {
    await visibleEndpoint(deps.pool, res, id);
    const data = await listDeliveryLog(deps.pool, { endpointId: id, ...query });
    return reply(200, {
      data: data.map(({ cursor: _cursor, ...entry }) => entry),
      nextCursor: data.length === query.limit ? data[data.length - 1]!.cursor : null,
    });
  },
});

export const retryDeliveryRoute = defineRoute({
  method: 'post',
  path: '/v1/deliveries/{id}/retry',
  operationId: 'retryDelivery',
  summary: 'Send one failed or skipped delivery again',
  tag: 'deliveries',
  params: deliveryIdParams,
  responses: [{ status: 202, description: 'the call workflow was signalled', schema: retryAcceptedSchema }],
  errors: {
    400: 'the id is not a delivery id',
    404: "no such delivery (or it is another client's)",
    409: "the delivery is pending or succeeded, or its call's content was erased",
    503: TEMPORAL_DOWN,
  },
  handler: async ({ params: { id }, res, reply }, deps) => {
    const delivery = await getDeliveryHead(deps.pool, id);
    if (!delivery) throw notFound('delivery', id);
    assertVisible(principalOf(res), delivery.clientId, 'delivery', id);
    // Its call's content was erased: there is nothing left to send.
    if (delivery.erased) throw new ApiError(409, 'not_retryable', `delivery ${id} cannot be retried: its call's content was erased`);
    // Waiting out its backoff: retry now (its call's workflow ends the wait; its retries go on from there if it fails).
    if (delivery.retrying && !delivery.endpointDeleted) {
      await callTemporal(deps, 'signal the call workflow', { deliveryId: id }, () => requestRetryNow(deps.temporal, delivery.callId, { deliveryId: id, source: 'api' }));
      return reply(202, { deliveryId: id, callId: delivery.callId });
    }
    if (delivery.status !== 'failed' && delivery.status !== 'skipped') {
      throw new ApiError(409, 'not_retryable', `delivery ${id} is ${delivery.status}; only failed, skipped or retrying deliveries can be retried`);
    }
    // The workflow leaves deliveries to deleted endpoints alone: say so rather than accept a no-op.
    if (delivery.endpointDeleted) throw new ApiError(409, 'not_retryable', `delivery ${id} cannot be retried: its endpoint was deleted`);
    await callTemporal(deps, 'signal the call workflow', { deliveryId: id }, () =>
      requestRedelivery(deps.temporal, delivery.callId, { deliveryId: id, source: 'api' }, deps),
    );
    return reply(202, { deliveryId: id, callId: delivery.callId });
  },
});

/** The first attempt's outcome, as the test's answer shows it. */
type FirstAttempt = Omit<z.output<typeof testResultSchema>, 'eventId' | 'deliveryId'>;

async function firstAttempt(pool: Pool, id: string, waitMs: number): Promise<FirstAttempt | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await pool.query<FirstAttempt>(
      `SELECT outcome, status_code AS "statusCode", duration_ms AS "durationMs", error, response_excerpt AS "responseExcerpt"
       FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id LIMIT 1`,
      [id],
    );
    if (rows[0]) return rows[0];
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
