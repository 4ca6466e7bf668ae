import type { Pool } from '../db/pool';
import { deleteUnsignaledEvent, markEventSignaled } from '../db/events-repo';
import { signalCallEvent } from '../client';
import type { CallEvent } from '../schemas/call-event';
import { ApiError } from './errors';
import { eventsAccepted } from '../metrics';
import { callTemporal, type TemporalDeps } from './temporal-call';
import { planEvents } from '../db/lanes-repo';
import type { DeliverySettings } from '../delivery-settings';

/**
 * Accepts an event: stores it and plans its deliveries (to the endpoints subscribed now), then
 * signals the call's workflow with both, so the workflow starts delivering at once. Resolves only
 * once Temporal has the signal; if Temporal cannot be reached, the stored event and its planned
 * deliveries are taken back (503). The same id again with the same content is a replay:
 * accepted, delivered once; with other content: 409.
 */
export async function acceptEvent(
  deps: TemporalDeps & { pool: Pool; deliverySettings?: DeliverySettings },
  event: CallEvent,
): Promise<{ replayed: boolean }> {
  // One statement stores the event (unless its id is known), plans its deliveries and says what was stored before.
  const plan = await planEvents(deps.pool, [event], `api/${event.id}`, { withExisting: true });
  const existing = plan.events[0]?.existing ?? null;
  if (plan.events[0]?.otherClient && !existing) {
    throw new ApiError(409, 'call_of_another_client', `call ${event.body.data.callId} belongs to another client; a call's events all name one clientId`);
  }
  if (existing && !existing.sameContent) {
    throw new ApiError(409, 'idempotency_conflict', `event id ${event.id} was already used for a different event`);
  }
  if (existing?.signaled) return { replayed: true };
  const toSignal = existing ? existing.payload : event;
  try {
    await callTemporal(deps, 'signal the call workflow', { eventId: event.id, callId: event.body.data.callId }, () =>
      signalCallEvent(deps.temporal, toSignal, {
        taskQueue: deps.taskQueue,
        planned: plan.pending,
        ...(!plan.knownCall && deps.deliverySettings && { newCallSettings: deps.deliverySettings }),
      }),
    );
  } catch (err) {
    if (!existing) await deleteUnsignaledEvent(deps.pool, event.id);
    if (err instanceof ApiError) {
      throw new ApiError(503, err.code, 'the event was not accepted: Temporal is unreachable; retry later with the same id');
    }
    throw err;
  }
  // Counted once per event: by whichever request (the first, or a replay after a crash) marks it signalled.
  if (await markEventSignaled(deps.pool, event.id)) eventsAccepted.inc({ event_type: event.eventType });
  return { replayed: false };
}
