import { randomUUID } from 'node:crypto';
import type { Pool } from '../db/pool';
import type { CallEvent } from '../schemas/call-event';
import { ApiError } from './errors';
import { eventsAccepted } from '../observability/metrics';
import { planEvents } from '../db/lanes-repo';
import { eventContentHash } from '../db/events-repo';
import { traceparentOf } from '../observability/trace-context';

/** Where accepted events go next: the outbox relay of this process (nudged), and whether it takes more. */
export interface Outbox {
  nudge(): void;
  status(): { full: boolean; backlog: number };
}

export interface AcceptDeps {
  pool: Pool;
  outbox: Outbox;
}

/** What became of one event of a batch. */
export type AcceptOutcome =
  | { status: 'accepted'; id: string; callId: string }
  | { status: 'duplicate'; id: string; callId: string }
  | { status: 'refused'; id: string; callId: string; error: { code: string; message: string } };

/** Refuses new events while the outbox holds OUTBOX_MAX_PENDING (Temporal away for long): 503, nothing stored. */
function assertRoom(outbox: Outbox): void {
  const { full, backlog } = outbox.status();
  if (full) {
    throw new ApiError(503, 'outbox_full', `the event was not accepted: ${backlog} accepted events wait for Temporal (OUTBOX_MAX_PENDING); retry later with the same id`);
  }
}

/**
 * Accepts events in one statement: stores each (unless its id is known), dedupes it and plans its
 * deliveries to the endpoints subscribed now. Accepted means durable: the outbox relay signals the
 * call workflows from Postgres. The same id again with the same content is a duplicate (accepted
 * once, delivered once); with other content, or naming another client than the call's, refused.
 */
export async function acceptEvents(deps: AcceptDeps, events: CallEvent[], validationErrors?: (readonly unknown[] | null)[]): Promise<AcceptOutcome[]> {
  if (events.length === 0) return [];
  assertRoom(deps.outbox);
  // A key no earlier step used: an event stored before is never planned again (its replay plans nothing new).
  const plan = await planEvents(deps.pool, events, `api/${randomUUID()}`, {
    withExisting: true,
    outbox: true,
    ...(validationErrors && { validationErrors }),
    // The request's span (tracing on): the relay, the workflow and the attempts of these events join its trace.
    traceparent: traceparentOf(),
  });
  // planEvents answers in input order, one row per event (an id twice in the batch: twice).
  const planned = new Map(events.map((event, i) => [event, plan.events[i]]));
  const seen = new Map<string, CallEvent>(); // id → the batch's event taken with that id
  const outcomes = events.map((event): AcceptOutcome => {
    const { id } = event;
    const callId = event.body.data.callId;
    const existing = planned.get(event)?.existing ?? null;
    // A call's events all name one client (the first event's, in Postgres or in this batch).
    if (planned.get(event)?.otherClient && !existing) {
      return { status: 'refused', id, callId, error: { code: 'call_of_another_client', message: `call ${callId} belongs to another client; a call's events all name one clientId` } };
    }
    // The same id twice in one batch: the first one is the event, a later one a replay of it (or a conflict).
    // Hashed only for an id repeated in the batch: planEvents compared the rest with what Postgres holds.
    const first = seen.get(id);
    if ((existing && !existing.sameContent) || (first !== undefined && eventContentHash(first) !== eventContentHash(event))) {
      return { status: 'refused', id, callId, error: { code: 'idempotency_conflict', message: `event id ${id} was already used for a different event` } };
    }
    seen.set(id, first ?? event);
    if (existing || first !== undefined) return { status: 'duplicate', id, callId };
    eventsAccepted.inc({ event_type: event.eventType });
    return { status: 'accepted', id, callId };
  });
  if (outcomes.some((o) => o.status === 'accepted')) deps.outbox.nudge();
  return outcomes;
}

/** Accepts one event (POST /v1/events): a refusal is the error the API answers with (409). */
export async function acceptEvent(deps: AcceptDeps, event: CallEvent, validationErrors?: readonly unknown[]): Promise<{ replayed: boolean }> {
  const [outcome] = await acceptEvents(deps, [event], validationErrors && [validationErrors]);
  if (outcome?.status === 'refused') throw new ApiError(409, outcome.error.code, outcome.error.message);
  return { replayed: outcome?.status === 'duplicate' };
}
