import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { getEvent } from '../../db/events-repo';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { toCallEvent } from '../../temporal/call-events-client';
import { eventBatchEnvelopeSchema, eventIdSchema, submitEventSchema, type CallEvent } from '../../schemas/call-event';
import { ApiError, notFound } from '../errors';
import { assertMayActFor, assertVisible, principalOf } from '../auth/principal';
import { acceptEvent, acceptEvents, type Outbox } from '../accept-event';
import { parse } from '../validate';
import type { EventCatalog } from '../../catalog/event-catalog';
import { schemaErrorDetail, type SchemaError } from '../../schemas/event-type';
import type { z as zod } from 'zod';
import type { batchItemResultSchema } from '../../schemas/responses';

export const eventIdParams = z.object({ id: eventIdSchema });

export interface EventsDeps {
  pool: Pool;
  outbox: Outbox;
  /** An event's JSON at the most (MAX_BODY_BYTES): in a batch, a larger one is refused alone. */
  maxEventBytes: number;
  /** Which event types intake takes, and how it checks their bodies. */
  catalog: EventCatalog;
}

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

type BatchItemResult = zod.infer<typeof batchItemResultSchema>;

export function eventsRouter(deps: EventsDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const event = toCallEvent(parse(submitEventSchema, req.body, 'body'));
    assertMayActFor(principalOf(res), event.body.data.clientId, 'body.body.data.clientId');
    const warnings = await checkAgainstCatalog(deps.catalog, event, 'body');
    const { replayed } = await acceptEvent(deps, event, warnings);
    const accepted = {
      id: event.id,
      callId: event.body.data.callId,
      workflowId: event.body.data.callId,
      ...(warnings.length > 0 && { validationErrors: warnings }),
    };
    if (replayed) res.set('idempotent-replayed', 'true');
    res.status(202).json(accepted);
  });

  // Up to MAX_BATCH_EVENTS events of any calls: one statement stores and plans them all; each is answered on its own.
  router.post('/batch', async (req, res) => {
    const { events: items } = parse(eventBatchEnvelopeSchema, req.body, 'body');
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
      validationErrors: event.validationErrors,
      erasedAt: event.erasedAt,
      deliveries: deliveries.map(({ cursor: _cursor, ...entry }) => entry),
    });
  });

  return router;
}
