/**
 * The transactional outbox's statements. An accepted event is a row of `events` with signaled_at
 * NULL (stored and planned by one statement: lanes-repo planEvents with `outbox`); a wake-up is a
 * row of `call_wakeups`. The relay (src/outbox/relay.ts) claims calls with work through a session
 * advisory lock per call on its own connection — one relay per call at a time, released at once
 * if the process dies — signals them, then marks what it signalled.
 */
import type { CallEvent } from '../schemas/call-event';
import type { LaneItem } from '../schemas/call-workflow-messages';
import type { Queryable } from './pool';

/** One call's pending work, as the relay signals it. */
export interface PendingCall {
  callId: string;
  /** Whether the call had an event signalled before (false: a new call, whose first run needs no start-up step). */
  known: boolean;
  /** Its events not signalled yet, in the order they were accepted, each with its deliveries still pending. */
  events: { event: CallEvent; planned: LaneItem[]; bytes: number; traceparent: string | null }[];
  /** Endpoints it waits for that may go again. */
  wakeups: string[];
}

/**
 * Locks (session advisory locks on `db`, which must be one connection) up to `limit` calls that
 * have unsignalled events or wake-ups and that no other relay holds, oldest work first. The caller
 * releases them with `releaseCalls`.
 */
export async function claimCalls(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ call_id: string }>({
    name: 'outbox-claim-calls',
    // LIMITed subqueries are not flattened: the lock is tried only on the calls chosen.
    text: `SELECT call_id FROM (
             SELECT call_id FROM (SELECT call_id FROM events WHERE signaled_at IS NULL ORDER BY received_at LIMIT $2) e
             UNION
             SELECT call_id FROM (SELECT call_id FROM call_wakeups ORDER BY queued_at LIMIT $2) w
             LIMIT $1
           ) c
           WHERE pg_try_advisory_lock(hashtextextended('callhook-outbox:' || call_id, 0))`,
    values: [limit, limit * 4],
  });
  return rows.map((r) => r.call_id);
}

export async function releaseCalls(db: Queryable): Promise<void> {
  await db.query('SELECT pg_advisory_unlock_all()');
}

/** What the claimed calls have to be signalled: at most `maxEvents` events in all, oldest first. */
export async function loadPendingCalls(db: Queryable, callIds: string[], maxEvents: number): Promise<PendingCall[]> {
  if (callIds.length === 0) return [];
  // One after the other: `db` is one connection.
  const events = await db.query<{ callId: string; payload: CallEvent; planned: LaneItem[]; bytes: number; traceparent: string | null }>({
    name: 'outbox-load-events',
    text: `SELECT e.call_id AS "callId", e.payload, octet_length(e.payload::text) AS bytes, e.trace_parent AS traceparent,
                  COALESCE((SELECT json_agg(json_strip_nulls(json_build_object('deliveryId', d.id, 'endpointId', d.endpoint_id, 'eventId', d.event_id,
                                                              'eventType', e.event_type, 'kind', p.kind, 'laneSeq', d.lane_seq,
                                                              'traceparent', e.trace_parent)) ORDER BY d.lane_seq)
                            FROM deliveries d JOIN endpoints p ON p.id = d.endpoint_id
                            WHERE d.event_id = e.id AND d.status = 'pending'), '[]') AS planned
           FROM events e WHERE e.call_id = ANY ($1) AND e.signaled_at IS NULL
           ORDER BY e.received_at, e.id LIMIT $2`,
    values: [callIds, maxEvents],
  });
  const wakeups = await db.query<{ callId: string; endpointId: string }>({
    name: 'outbox-load-wakeups',
    text: 'SELECT call_id AS "callId", endpoint_id AS "endpointId" FROM call_wakeups WHERE call_id = ANY ($1)',
    values: [callIds],
  });
  const known = await db.query<{ callId: string }>({
    name: 'outbox-known-calls',
    text: `SELECT c AS "callId" FROM unnest($1::text[]) c
           WHERE EXISTS (SELECT 1 FROM events e WHERE e.call_id = c AND e.signaled_at IS NOT NULL)`,
    values: [callIds],
  });
  const knownCalls = new Set(known.rows.map((r) => r.callId));
  const calls = new Map<string, PendingCall>(
    callIds.map((callId) => [callId, { callId, known: knownCalls.has(callId), events: [], wakeups: [] }]),
  );
  for (const row of events.rows) calls.get(row.callId)?.events.push({ event: row.payload, planned: row.planned.map(toLaneItem), bytes: row.bytes, traceparent: row.traceparent });
  for (const row of wakeups.rows) calls.get(row.callId)?.wakeups.push(row.endpointId);
  return [...calls.values()].filter((call) => call.events.length > 0 || call.wakeups.length > 0);
}

/** json_build_object gives lane_seq (bigint) as a number already; the rest as is. */
function toLaneItem(item: LaneItem): LaneItem {
  return { ...item, laneSeq: Number(item.laneSeq) };
}

/** Marks events signalled (the relay's work on them is done). */
export async function markSignaled(db: Queryable, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db.query({ name: 'outbox-mark-signaled', text: 'UPDATE events SET signaled_at = now() WHERE id = ANY ($1) AND signaled_at IS NULL', values: [eventIds] });
}

/** Deletes wake-ups sent (or no longer needed: the call's workflow is gone). */
export async function deleteWakeups(db: Queryable, callId: string, endpointIds: string[]): Promise<void> {
  if (endpointIds.length === 0) return;
  await db.query({ name: 'outbox-delete-wakeups', text: 'DELETE FROM call_wakeups WHERE call_id = $1 AND endpoint_id = ANY ($2)', values: [callId, endpointIds] });
}

/**
 * Moves every call held for this endpoint to the wake-up outbox, in one statement: a hold is
 * either still there or queued for a wake-up, never lost between. Returns how many were queued.
 */
export async function queueWakeups(db: Queryable, endpointId: string): Promise<number> {
  const { rowCount } = await db.query({
    name: 'outbox-queue-wakeups',
    text: `WITH taken AS (DELETE FROM endpoint_holds WHERE endpoint_id = $1 RETURNING call_id)
           INSERT INTO call_wakeups (call_id, endpoint_id) SELECT call_id, $1 FROM taken ON CONFLICT DO NOTHING`,
    values: [endpointId],
  });
  return rowCount ?? 0;
}

/** How many events wait for the relay (counted up to `cap`: the count stops there), and when the oldest was accepted. */
export async function backlogOf(db: Queryable, cap: number): Promise<{ count: number; oldest: Date | null }> {
  const { rows } = await db.query<{ count: number; oldest: Date | null }>({
    name: 'outbox-backlog',
    text: 'SELECT count(*)::int AS count, min(received_at) AS oldest FROM (SELECT received_at FROM events WHERE signaled_at IS NULL ORDER BY received_at LIMIT $1) b',
    values: [cap],
  });
  return rows[0] ?? { count: 0, oldest: null };
}
