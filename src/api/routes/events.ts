import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { deleteUnsignaledEvent, eventContentHash, getEvent, insertEvent, markEventSignaled } from '../../db/events-repo';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { emitCallEvent, toCallEvent } from '../../client';
import { eventIdSchema, submitEventSchema } from '../../schemas/call-event';
import { logger } from '../../logger';
import { ApiError, notFound } from '../errors';
import { parse } from '../validate';

export const eventIdParams = z.object({ id: eventIdSchema });

export interface EventsDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  /** How long to wait for Temporal to accept a signal before answering 503. */
  signalTimeoutMs: number;
}

export function eventsRouter(deps: EventsDeps): Router {
  const router = Router();

  /**
   * Accepts a call event: stores it, then signals the call's workflow. 202 only once Temporal has
   * the signal; if Temporal cannot be reached, the stored row is taken back and the answer is 503.
   * The same id again (same content) answers 202 and is delivered once.
   */
  router.post('/', async (req, res) => {
    const event = toCallEvent(parse(submitEventSchema, req.body, 'body'));
    const stored = await insertEvent(deps.pool, event);
    if (!stored.inserted && stored.event.payloadHash !== eventContentHash(event)) {
      throw new ApiError(409, 'idempotency_conflict', `event id ${event.id} was already used for a different event`);
    }
    const accepted = { id: event.id, callId: event.body.data.callId, workflowId: event.body.data.callId };
    if (stored.event.signaledAt) {
      res.status(202).set('idempotent-replayed', 'true').json(accepted);
      return;
    }
    const toSignal = stored.inserted ? event : stored.event.payload;
    try {
      await deps.temporal.connection.withDeadline(Date.now() + deps.signalTimeoutMs, () =>
        emitCallEvent(deps.temporal, toSignal, { taskQueue: deps.taskQueue }),
      );
    } catch (err) {
      if (stored.inserted) await deleteUnsignaledEvent(deps.pool, event.id);
      logger.error({ err, eventId: event.id, callId: accepted.callId }, 'could not signal the call workflow');
      throw new ApiError(503, 'temporal_unavailable', 'the event was not accepted: Temporal is unreachable; retry later with the same id');
    }
    await markEventSignaled(deps.pool, event.id);
    res.status(202).json(accepted);
  });

  router.get('/:id', async (req, res) => {
    const { id } = parse(eventIdParams, req.params, 'path');
    const event = await getEvent(deps.pool, id);
    if (!event) throw notFound('event', id);
    res.json({
      id: event.id,
      callId: event.callId,
      clientId: event.clientId,
      eventType: event.eventType,
      receivedAt: event.receivedAt,
      payload: event.payload,
      deliveries: await listDeliveryLog(deps.pool, { eventId: id }),
    });
  });

  return router;
}
