import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from '../../db/pool';
import { getEvent } from '../../db/events-repo';
import { listDeliveryLog } from '../../db/deliveries-repo';
import { toCallEvent } from '../../client';
import { eventIdSchema, submitEventSchema } from '../../schemas/call-event';
import { notFound } from '../errors';
import { assertMayActFor, assertVisible, principalOf } from '../auth/principal';
import { acceptEvent } from '../accept-event';
import type { TemporalDeps } from '../temporal-call';
import type { DeliverySettings } from '../../delivery-settings';
import { parse } from '../validate';

export const eventIdParams = z.object({ id: eventIdSchema });

export interface EventsDeps extends TemporalDeps {
  pool: Pool;
  deliverySettings?: DeliverySettings;
}

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
