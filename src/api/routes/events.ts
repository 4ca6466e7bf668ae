import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { getEvent } from '../../db/events-repo';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { toCallEvent } from '../../client';
import { eventBatchEnvelopeSchema, eventIdSchema, submitEventSchema, type CallEvent } from '../../schemas/call-event';
import { ApiError, notFound } from '../errors';
import { assertMayActFor, assertVisible, principalOf } from '../auth/principal';
import { acceptEvent, acceptEvents, type Outbox } from '../accept-event';
import { parse } from '../validate';
import type { z as zod } from 'zod';
import type { batchItemResultSchema } from '../../schemas/responses';

export const eventIdParams = z.object({ id: eventIdSchema });

export interface EventsDeps {
  pool: Pool;
  outbox: Outbox;
  /** An event's JSON at the most (MAX_BODY_BYTES): in a batch, a larger one is refused alone. */
  maxEventBytes: number;
}

type BatchItemResult = zod.infer<typeof batchItemResultSchema>;

export function eventsRouter(deps: EventsDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const event = toCallEvent(parse(submitEventSchema, req.body, 'body'));
    assertMayActFor(principalOf(res), event.body.data.clientId, 'body.body.data.clientId');
    const { replayed } = await acceptEvent(deps, event);
    const accepted = { id: event.id, callId: event.body.data.callId, workflowId: event.body.data.callId };
    if (replayed) res.set('idempotent-replayed', 'true');
    res.status(202).json(accepted);
  });

  // Up to MAX_BATCH_EVENTS events of any calls: one statement stores and plans them all; each is answered on its own.
  router.post('/batch', async (req, res) => {
    const { events: items } = parse(eventBatchEnvelopeSchema, req.body, 'body');
    const principal = principalOf(res);
    const results: BatchItemResult[] = [];
    const valid: { index: number; event: CallEvent }[] = [];
    items.forEach((item, index) => {
      try {
        if (JSON.stringify(item).length > deps.maxEventBytes) {
          throw new ApiError(413, 'payload_too_large', `the event is larger than MAX_BODY_BYTES (${deps.maxEventBytes} bytes)`);
        }
        const event = toCallEvent(parse(submitEventSchema, item, 'body'));
        assertMayActFor(principal, event.body.data.clientId, `events.${index}.body.data.clientId`);
        valid.push({ index, event });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        const id = typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : null;
        const callId = (item as { body?: { data?: { callId?: unknown } } })?.body?.data?.callId;
        const message = err.code === 'invalid_request' && Array.isArray(err.details)
          ? `invalid event: ${(err.details as { path: string; message: string }[]).map((d) => `${d.path.replace(/^body/, `events.${index}`)}: ${d.message}`).join('; ')}`
          : err.message;
        results[index] = { index, id, callId: typeof callId === 'string' ? callId : null, status: 'refused', error: { code: err.code, message } };
      }
    });
    const outcomes = await acceptEvents(deps, valid.map((v) => v.event));
    outcomes.forEach((outcome, i) => {
      const { index } = valid[i]!;
      results[index] = { index, id: outcome.id, callId: outcome.callId, status: outcome.status, ...(outcome.status === 'refused' && { error: outcome.error }) };
    });
    const count = (status: BatchItemResult['status']) => results.filter((r) => r.status === status).length;
    res.status(200).json({ accepted: count('accepted'), duplicates: count('duplicate'), refused: count('refused'), results });
  });

  router.get('/:id', async (req, res) => {
    const { id } = parse(eventIdParams, req.params, 'path');
    const event = await getEvent(deps.pool, id);
    if (!event) throw notFound('event', id);
    assertVisible(principalOf(res), event.clientId, 'event', id);
    const deliveries = await listDeliveryLog(deps.pool, { eventId: id });
    res.json({
      id: event.id,
      callId: event.callId,
      clientId: event.clientId,
      eventType: event.eventType,
      receivedAt: event.receivedAt,
      payload: event.payload,
      deliveries: deliveries.map(({ cursor: _cursor, ...entry }) => entry),
    });
  });

  return router;
}
