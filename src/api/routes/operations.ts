/**
 * Operator actions through the API, all carried out by the call workflows (so lanes keep their
 * order): retry one delivery, redeliver a call's failures, recover an endpoint's failures over a
 * time range, send a test event, and read an endpoint's delivery log.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { countFailedInRange, getDeliveryHead, listDeliveryLog, type AttemptOutcome } from '../../db/deliveries-repo';
import { RECOVER_WORKFLOW_TYPE, type RecoverInput } from '../../workflows/system-workflows';
import { requestRedelivery, requestRetryNow } from '../../temporal/call-events-client';
import { TEST_EVENT } from '../../domain/event-types';
import { deliveryId, newId } from '../../domain/ids';
import { eventTypeNameSchema, isoInstantSchema, submitEventSchema, type CallEvent, type SubmitEvent } from '../../schemas/call-event';
import { endpointFilterSchema } from '../../schemas/endpoint-filter';
import { explainFilterMatch, filterableEvent } from '../../filters/evaluate-filter';
import type { EventCatalog } from '../../catalog/event-catalog';
import { acceptEvent, type Outbox } from '../accept-event';
import { ApiError, notFound } from '../errors';
import { callTemporal, type TemporalDeps } from '../temporal-call';
import { parse } from '../validate';
import { endpointIdParams } from './endpoints';
import { assertCallVisible, callIdParams } from './calls';
import { assertVisible, principalOf } from '../auth/principal';
import { visibleEndpoint } from '../endpoint-access';

export interface OperationsDeps extends TemporalDeps {
  pool: Pool;
  /** The test event goes out through the outbox as every event does. */
  outbox: Outbox;
  /** How long `POST /v1/endpoints/:id/test` waits for the first attempt's outcome. */
  testWaitMs: number;
  /** Where the examples of `POST /v1/endpoints/:id/test { eventType }` come from. */
  catalog: EventCatalog;
}

/** `POST /v1/endpoints/:id/test`: the test event, or the example of a catalog type. */
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

export const deliveryIdParams = z.object({ id: z.string().regex(/^dlv_[0-9a-f]{32}$/, 'not a delivery id') });
export const redeliverCallBody = z.object({ endpointId: endpointIdParams.shape.id.optional() }).strict();
export const recoverBody = z
  .object({ since: isoInstant, until: isoInstant.optional() })
  .strict()
  .refine((b) => !b.until || Date.parse(b.until) > Date.parse(b.since), { message: 'until must be after since', path: ['until'] });
export const endpointDeliveriesQuery = z
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

export function operationsRouter(deps: OperationsDeps): { deliveries: Router; calls: Router; endpoints: Router } {
  const deliveries = Router();
  const calls = Router();
  const endpoints = Router();

  deliveries.post('/:id/retry', async (req, res) => {
    const { id } = parse(deliveryIdParams, req.params, 'path');
    const delivery = await getDeliveryHead(deps.pool, id);
    if (!delivery) throw notFound('delivery', id);
    assertVisible(principalOf(res), delivery.clientId, 'delivery', id);
    // Its call's content was erased: there is nothing left to send.
    if (delivery.erased) throw new ApiError(409, 'not_retryable', `delivery ${id} cannot be retried: its call's content was erased`);
    // Waiting out its backoff: retry now (its call's workflow ends the wait; its retries go on from there if it fails).
    if (delivery.retrying && !delivery.endpointDeleted) {
      await callTemporal(deps, 'signal the call workflow', { deliveryId: id }, () => requestRetryNow(deps.temporal, delivery.callId, { deliveryId: id, source: 'api' }));
      res.status(202).json({ deliveryId: id, callId: delivery.callId });
      return;
    }
    if (delivery.status !== 'failed' && delivery.status !== 'skipped') {
      throw new ApiError(409, 'not_retryable', `delivery ${id} is ${delivery.status}; only failed, skipped or retrying deliveries can be retried`);
    }
    // The workflow leaves deliveries to deleted endpoints alone: say so rather than accept a no-op.
    if (delivery.endpointDeleted) throw new ApiError(409, 'not_retryable', `delivery ${id} cannot be retried: its endpoint was deleted`);
    await callTemporal(deps, 'signal the call workflow', { deliveryId: id }, () =>
      requestRedelivery(deps.temporal, delivery.callId, { deliveryId: id, source: 'api' }, deps),
    );
    res.status(202).json({ deliveryId: id, callId: delivery.callId });
  });

  calls.post('/:callId/redeliver', async (req, res) => {
    const { callId } = parse(callIdParams, req.params, 'path');
    const body = parse(redeliverCallBody, req.body ?? {}, 'body');
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
    res.status(202).json({ callId, deliveries: failed.map((d) => d.id) });
  });

  endpoints.post('/:id/recover', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    const body = parse(recoverBody, req.body, 'body');
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
    res.status(202).json({ endpointId: id, ...found, workflowId });
  });

  endpoints.post('/:id/test', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    const { eventType } = parse(testEndpointBody, req.body ?? {}, 'body');
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
    res.json({ eventId: event.id, deliveryId: deliveryId(event.id, endpoint.id), ...attempt });
  });

  /** Evaluates a filter against a sample event, without sending anything. */
  endpoints.post('/:id/test-filter', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    const body = parse(testFilterBody, req.body ?? {}, 'body');
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
    res.json(filter ? { ...explainFilterMatch(filter, event), filter } : { matched: true, reasons: ['the endpoint has no filter'], filter: null });
  });

  endpoints.get('/:id/deliveries', async (req, res) => {
    const { id } = parse(endpointIdParams, req.params, 'path');
    const query = parse(endpointDeliveriesQuery, req.query, 'query');
    await visibleEndpoint(deps.pool, res, id);
    const data = await listDeliveryLog(deps.pool, { endpointId: id, ...query });
    res.json({
      data: data.map(({ cursor: _cursor, ...entry }) => entry),
      nextCursor: data.length === query.limit ? data[data.length - 1]!.cursor : null,
    });
  });

  return { deliveries, calls, endpoints };
}

interface FirstAttempt {
  outcome: AttemptOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

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
