import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { CallEvent } from '../schemas/call-event';
import type { callEventSummarySchema, eventDetailSchema } from '../schemas/responses';
import type { Queryable } from './pool';

/**
 * An event as stored: what GET /v1/events/{id} shows of it (its response schema's fields but the
 * deliveries: the payload as accepted, or once erased its envelope with `body: null`), and what
 * only intake reads (its content's hash, when it was signalled).
 */
type StoredEvent = Omit<z.output<typeof eventDetailSchema>, 'deliveries'> & {
  payloadHash: string;
  signaledAt: string | null;
};

interface EventRow {
  id: string;
  call_id: string;
  client_id: string;
  event_type: string;
  /** NULL once erased. */
  payload: CallEvent | null;
  payload_hash: string;
  occurred_at: Date;
  received_at: Date;
  signaled_at: Date | null;
  validation_errors: { pointer: string; message: string }[] | null;
  erased_at: Date | null;
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    callId: row.call_id,
    clientId: row.client_id,
    eventType: row.event_type,
    payload: row.payload ?? { id: row.id, eventType: row.event_type, occurredAt: row.occurred_at.toISOString(), body: null },
    payloadHash: row.payload_hash,
    receivedAt: row.received_at.toISOString(),
    signaledAt: row.signaled_at?.toISOString() ?? null,
    validationErrors: row.validation_errors,
    erasedAt: row.erased_at?.toISOString() ?? null,
  };
}

/**
 * What makes two submissions "the same event": its type and body. Used to tell an idempotent
 * replay (same id, same content) from an id reused for something else.
 */
export function eventContentHash(event: Pick<CallEvent, 'eventType' | 'body'>): string {
  return createHash('sha256').update(JSON.stringify([event.eventType, event.body])).digest('hex');
}

export async function getEvent(db: Queryable, id: string): Promise<StoredEvent | undefined> {
  const { rows } = await db.query<EventRow>('SELECT * FROM events WHERE id = $1', [id]);
  return rows[0] && toStoredEvent(rows[0]);
}

/** The client a call belongs to (the client of its events), or undefined for a call with no events. */
export async function callClientId(db: Queryable, callId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ clientId: string }>('SELECT client_id AS "clientId" FROM events WHERE call_id = $1 LIMIT 1', [callId]);
  return rows[0]?.clientId;
}

/** One event of a call as the call view lists it (its response schema's type). */
type CallEventSummary = z.output<typeof callEventSummarySchema>;

/**
 * A page of a call's events in the order they were received (ties: by id), after the event
 * `after` (the last id of the previous page). Uses events_call_idx (call_id, received_at).
 */
export async function listCallEvents(db: Queryable, callId: string, page: { limit: number; after?: string | undefined }): Promise<CallEventSummary[]> {
  const { rows } = await db.query<CallEventSummary>(
    `SELECT e.id, e.event_type AS "eventType", e.payload -> 'body' -> 'data' ->> 'callStatus' AS "callStatus",
            to_json(e.occurred_at) #>> '{}' AS "occurredAt", to_json(e.received_at) #>> '{}' AS "receivedAt",
            to_json(e.erased_at) #>> '{}' AS "erasedAt", split_part(e.trace_parent, '-', 2) AS "traceId"
     FROM events e
     WHERE e.call_id = $1
       AND ($2::text IS NULL OR (e.received_at, e.id) > (SELECT p.received_at, p.id FROM events p WHERE p.id = $2 AND p.call_id = $1))
     ORDER BY e.received_at, e.id LIMIT $3`,
    [callId, page.after ?? null, page.limit],
  );
  return rows;
}
