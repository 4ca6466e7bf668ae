/**
 * Postgres as the queue of each lane (one call, one endpoint): deliveries are planned here in
 * one statement per batch of events, read back in lane order a window at a time, and summed up
 * for a workflow run that starts without knowing the call. The call workflow keeps only a
 * bounded window of each lane in memory; whatever it forgets (continue-as-new, a reset, a late
 * event after the run closed) is read back from here.
 */
import { ALL_EVENTS, EVENT_TYPE_NAMES, isSystemEventType, isTerminalEventType } from '../domain/event-types';
import type { CallEvent } from '../schemas/call-event';
import type { CallSummary, EventPlan, FailureSummary, LaneItem, LaneRetry, LaneWindow, PlannedEvent } from '../schemas/call-workflow-messages';
import type { EndpointKind } from '../schemas/endpoint-kind';
import { eventContentHash } from './events-repo';
import type { Queryable } from './pool';

export type { CallSummary, EventPlan, LaneItem, LaneWindow };

const SYSTEM_EVENT_TYPES = EVENT_TYPE_NAMES.filter(isSystemEventType);

interface LaneItemRow {
  deliveryId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  kind: EndpointKind;
  laneSeq: string;
  /** The event's trace context (events.trace_parent), when it was accepted with tracing on. */
  traceparent: string | null;
}

const toLaneItem = (row: LaneItemRow): LaneItem => ({
  deliveryId: row.deliveryId,
  endpointId: row.endpointId,
  eventId: row.eventId,
  eventType: row.eventType,
  kind: row.kind,
  laneSeq: Number(row.laneSeq),
  ...(row.traceparent && { traceparent: row.traceparent }),
});

type EventRow = { what: 'event'; eventId: string; fresh: boolean; knownCall: boolean; otherClient: boolean; existing: PlannedEvent['existing'] };

/**
 * Plans a batch of events in one statement: stores the ones not stored yet (the API's, and the
 * Temporal client's when they reach the workflow), claims the unplanned ones for `planKey`
 * (`<runId>/<step>`: a retry of the same step claims them again, any other finds them planned),
 * creates one pending delivery per subscribed endpoint (or the test event's one endpoint) in
 * event order, and returns every pending delivery of the batch — the new ones and those planned
 * before but not yet ended (a duplicate signal or a reset run finds them again, nothing is lost).
 * Idempotent: running it again plans nothing twice. An id stored before with other content is
 * neither stored nor planned again (`existing` tells; the API answers 409); nor is an event whose
 * call belongs to another client (`otherClient`: a call is its first event's client's).
 * With `outbox` (the API, callhook's own notices) the events stored are left for the outbox relay
 * to signal (signaled_at NULL); without, they reached their workflow by a signal already.
 */
export async function planEvents(
  db: Queryable,
  events: CallEvent[],
  planKey: string,
  options: {
    withExisting?: boolean;
    outbox?: boolean;
    /** Per event (in order), what the catalog's schema found wrong with an event accepted under `warn`; stored with it. */
    validationErrors?: (readonly unknown[] | null)[];
    /** The W3C trace context the events were accepted in (src/observability/trace-context.ts): their deliveries join that trace. */
    traceparent?: string | null;
  } = {},
): Promise<EventPlan> {
  if (events.length === 0) return { events: [], knownCall: false, pending: [] };
  const { rows } = await db.query<EventRow | ({ what: 'delivery' } & LaneItemRow)>({
    // Prepared once per connection: it runs for every event.
    name: 'plan-events',
    text: `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::json[], $6::text[], $7::timestamptz[], $8::text[], $14::jsonb[])
         WITH ORDINALITY AS i(id, call_id, client_id, event_type, payload, payload_hash, occurred_at, target, validation_errors, n)
     ),
     stored AS (
       INSERT INTO events (id, call_id, client_id, event_type, payload, payload_hash, occurred_at, planned_run_id, planned_at, signaled_at, validation_errors, trace_parent)
       SELECT id, call_id, client_id, event_type, payload, payload_hash, occurred_at, $9, now(), CASE WHEN $13 THEN NULL ELSE now() END, validation_errors, $15::text FROM input i
       -- A call's events all name one client, so any one of them tells the call's client (one index probe);
       -- for a call new to Postgres, the batch's first event of the call does.
       WHERE COALESCE((SELECT o.client_id FROM events o WHERE o.call_id = i.call_id LIMIT 1),
                      (SELECT f.client_id FROM input f WHERE f.call_id = i.call_id ORDER BY f.n LIMIT 1)) = i.client_id
       ORDER BY n
       ON CONFLICT (id) DO NOTHING
       RETURNING id
     ),
     claimed AS (
       UPDATE events e SET planned_run_id = $9, planned_at = COALESCE(e.planned_at, now())
       FROM input i WHERE e.id = i.id AND e.payload_hash = i.payload_hash AND (e.planned_run_id IS NULL OR e.planned_run_id = $9)
       RETURNING e.id
     ),
     fresh AS (
       SELECT i.* FROM input i WHERE i.id IN (SELECT id FROM stored UNION ALL SELECT id FROM claimed)
     ),
     planned AS (
       INSERT INTO deliveries (id, event_id, endpoint_id, call_id)
       SELECT 'dlv_' || left(encode(sha256(convert_to(f.id || E'\\n' || p.id, 'UTF8')), 'hex'), 32), f.id, p.id, f.call_id
       FROM fresh f JOIN endpoints p ON p.deleted_at IS NULL AND CASE
         WHEN f.target IS NOT NULL THEN p.id = f.target
         ELSE p.client_id = f.client_id AND p.active
              AND (f.event_type = ANY (p.events) OR (NOT f.event_type = ANY ($10::text[]) AND $11 = ANY (p.events)))
       END
       ORDER BY f.n, p.created_at, p.id
       ON CONFLICT (event_id, endpoint_id) DO NOTHING
       RETURNING id, endpoint_id, event_id, lane_seq
     ),
     pending AS (
       SELECT d.id, d.endpoint_id, d.event_id, d.lane_seq FROM planned d
       UNION ALL
       SELECT d.id, d.endpoint_id, d.event_id, d.lane_seq FROM deliveries d
       WHERE d.event_id IN (SELECT id FROM input) AND d.status = 'pending'
     )
     SELECT 'event' AS what, i.id AS "eventId", i.id IN (SELECT id FROM fresh) AS fresh,
            EXISTS (SELECT 1 FROM events o WHERE o.call_id = i.call_id AND o.id <> ALL ($1::text[])) AS "knownCall",
            COALESCE((SELECT o.client_id FROM events o WHERE o.call_id = i.call_id LIMIT 1),
                     (SELECT f.client_id FROM input f WHERE f.call_id = i.call_id ORDER BY f.n LIMIT 1)) <> i.client_id AS "otherClient",
            CASE WHEN $12 THEN (SELECT json_build_object('sameContent', o.payload_hash = i.payload_hash OR o.erased_at IS NOT NULL, 'signaled', o.signaled_at IS NOT NULL, 'payload', o.payload)
             FROM events o WHERE o.id = i.id) END AS existing,
            NULL AS "deliveryId", NULL AS "endpointId", NULL AS "eventType", NULL AS kind, NULL AS "laneSeq", NULL AS traceparent, i.n AS ord
     FROM input i
     UNION ALL
     SELECT 'delivery', d.event_id, NULL, NULL, NULL, NULL, d.id, d.endpoint_id, i.event_type, p.kind, d.lane_seq::text,
            -- An event stored by this very statement is not in the events table yet for it: its trace context is $15.
            COALESCE((SELECT e.trace_parent FROM events e WHERE e.id = d.event_id), $15::text), 0
     FROM pending d JOIN input i ON i.id = d.event_id JOIN endpoints p ON p.id = d.endpoint_id
     ORDER BY what DESC, ord, "laneSeq"`,
    values: [
      events.map((e) => e.id),
      events.map((e) => e.body.data.callId),
      events.map((e) => e.body.data.clientId),
      events.map((e) => e.eventType),
      events.map((e) => JSON.stringify(e)),
      events.map((e) => eventContentHash(e)),
      events.map((e) => e.occurredAt),
      events.map((e) => e.targetEndpointId ?? null),
      planKey,
      SYSTEM_EVENT_TYPES,
      ALL_EVENTS,
      options.withExisting ?? false,
      options.outbox ?? false,
      events.map((_, i) => {
        const errors = options.validationErrors?.[i];
        return errors && errors.length > 0 ? JSON.stringify(errors) : null;
      }),
      options.traceparent ?? null,
    ],
  });
  const pending = rows.filter((r): r is { what: 'delivery' } & LaneItemRow => r.what === 'delivery').map(toLaneItem);
  pending.sort((a, b) => a.laneSeq - b.laneSeq);
  const counts = new Map<string, number>();
  for (const d of pending) counts.set(d.eventId, (counts.get(d.eventId) ?? 0) + 1);
  const eventRows = rows.filter((r): r is EventRow => r.what === 'event');
  return {
    events: eventRows.map((r) => ({
      eventId: r.eventId,
      fresh: r.fresh,
      existing: r.existing,
      deliveries: counts.get(r.eventId) ?? 0,
      otherClient: r.otherClient,
    })),
    knownCall: eventRows.some((r) => r.knownCall),
    pending,
  };
}


/**
 * The pending deliveries of a call's lanes (or of one lane), after `afterLaneSeq`, at most
 * `limit` per lane, in lane order; with the head's retry state, so a new run resumes its backoff.
 */
export async function loadLaneWindows(
  db: Queryable,
  callId: string,
  options: { limit: number; endpointId?: string; afterLaneSeq?: number },
): Promise<LaneWindow[]> {
  const { rows } = await db.query<LaneItemRow & { rn: string; roundAttempts: number; nextAttemptAt: Date | null; lastError: string | null }>(
    `SELECT * FROM (
       SELECT d.id AS "deliveryId", d.endpoint_id AS "endpointId", d.event_id AS "eventId", e.event_type AS "eventType",
              p.kind, d.lane_seq::text AS "laneSeq", e.trace_parent AS traceparent, d.attempt_count - d.attempt_base AS "roundAttempts",
              d.next_attempt_at AS "nextAttemptAt", d.last_error AS "lastError",
              row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.lane_seq) AS rn
       FROM deliveries d JOIN events e ON e.id = d.event_id JOIN endpoints p ON p.id = d.endpoint_id
       WHERE d.call_id = $1 AND d.status = 'pending' AND ($2::text IS NULL OR d.endpoint_id = $2) AND d.lane_seq > $3
     ) w WHERE rn <= $4 + 1 ORDER BY "endpointId", rn`,
    [callId, options.endpointId ?? null, options.afterLaneSeq ?? 0, options.limit],
  );
  const lanes = new Map<string, LaneWindow>();
  for (const row of rows) {
    let lane = lanes.get(row.endpointId);
    if (!lane) {
      const retry =
        row.roundAttempts > 0
          ? { deliveryId: row.deliveryId, attempts: row.roundAttempts, nextAttemptAt: row.nextAttemptAt?.getTime() ?? null, lastError: row.lastError }
          : null;
      lane = { endpointId: row.endpointId, items: [], more: false, retry };
      lanes.set(row.endpointId, lane);
    }
    if (lane.items.length === options.limit) lane.more = true;
    else lane.items.push(toLaneItem(row));
  }
  return [...lanes.values()];
}

/** The types of a call's own events (callhook's notices are not the call's), and those that end a call. */
const CALL_EVENT_TYPES = EVENT_TYPE_NAMES.filter((type) => !isSystemEventType(type));
const TERMINAL_CALL_EVENT_TYPES = CALL_EVENT_TYPES.filter(isTerminalEventType);

/**
 * The summary is read in a bounded number of index probes, however many events the call has: per
 * event type of the catalog (a handful), the call's first and last event of that type and its latest
 * callStatus, each one probe of events_call_type_idx (call_id, event_type, received_at). The catalog's
 * call types are every type a call's own event can have (the schemas accept no other), so this sums up
 * the call's events without callhook's notices, as reading them all in order did.
 */
export async function loadCallSummary(db: Queryable, callId: string, failuresKept: number, errorChars: number): Promise<CallSummary> {
  const [events, failed] = await Promise.all([
    db.query<{ clientId: string | null; callStatus: string | null; lastEventType: string | null; terminalSeen: boolean }>(
      `WITH ends AS (
         SELECT t.event_type, f.client_id, f.received_at AS first_at, l.received_at AS last_at,
                s.call_status, s.received_at AS status_at
         FROM unnest($2::text[]) AS t(event_type)
         -- The type as a range and first in ORDER BY: an order only events_call_type_idx gives, so each probe is one
         -- descent of it. With "=" the planner may walk events_received_idx instead, hoping to meet the call's events
         -- soon: it does for a call with many events, and reads the whole index for a type the call does not have.
         CROSS JOIN LATERAL (SELECT e.client_id, e.received_at FROM events e
           WHERE e.call_id = $1 AND e.event_type BETWEEN t.event_type AND t.event_type
           ORDER BY e.event_type, e.received_at LIMIT 1) f
         CROSS JOIN LATERAL (SELECT e.received_at FROM events e
           WHERE e.call_id = $1 AND e.event_type BETWEEN t.event_type AND t.event_type
           ORDER BY e.event_type DESC, e.received_at DESC LIMIT 1) l
         -- Walks back over the type's events without a callStatus only (a platform's events usually have one).
         LEFT JOIN LATERAL (SELECT e.payload->'body'->'data'->>'callStatus' AS call_status, e.received_at FROM events e
           WHERE e.call_id = $1 AND e.event_type BETWEEN t.event_type AND t.event_type
             AND e.payload->'body'->'data'->>'callStatus' IS NOT NULL
           ORDER BY e.event_type DESC, e.received_at DESC LIMIT 1) s ON true
       )
       SELECT (SELECT client_id FROM ends ORDER BY first_at LIMIT 1) AS "clientId",
              (SELECT call_status FROM ends WHERE call_status IS NOT NULL ORDER BY status_at DESC LIMIT 1) AS "callStatus",
              (SELECT event_type FROM ends ORDER BY last_at DESC LIMIT 1) AS "lastEventType",
              EXISTS (SELECT 1 FROM ends WHERE event_type = ANY ($3::text[])) AS "terminalSeen"`,
      [callId, CALL_EVENT_TYPES, TERMINAL_CALL_EVENT_TYPES],
    ),
    db.query<FailureSummary & { total: number }>(
      `SELECT * FROM (
         SELECT d.id AS "deliveryId", d.endpoint_id AS "endpointId", d.event_id AS "eventId", e.event_type AS "eventType",
                left(COALESCE(d.last_error, ''), $3) AS error, count(*) OVER ()::int AS total, d.seq
         FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.call_id = $1 AND d.status = 'failed'
         ORDER BY d.seq DESC LIMIT $2
       ) f ORDER BY seq`,
      [callId, failuresKept, errorChars],
    ),
  ]);
  const summary = events.rows[0];
  return {
    clientId: summary?.clientId ?? null,
    callStatus: summary?.callStatus ?? null,
    lastEventType: summary?.lastEventType ?? null,
    terminalSeen: summary?.terminalSeen ?? false,
    failedCount: failed.rows[0]?.total ?? 0,
    failures: failed.rows.map(({ deliveryId, endpointId, eventId, eventType, error }) => ({ deliveryId, endpointId, eventId, eventType, error })),
  };
}

/** The number of a call's deliveries that finally failed and were not delivered since. */
export async function countFailedDeliveries(db: Queryable, callId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM deliveries WHERE call_id = $1 AND status = 'failed'`,
    [callId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Ends every pending delivery of a call as skipped (its workflow was cancelled) and logs it as
 * the operator's `cancel`; they can be sent again with retry or redeliver. Returns how many.
 */
export async function cancelPendingDeliveries(db: Queryable, callId: string, source: string, reason: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `WITH ended AS (
       UPDATE deliveries SET status = 'skipped', ended_at = now(), updated_at = now(), next_attempt_at = NULL
       WHERE call_id = $1 AND status = 'pending' RETURNING id
     ), logged AS (
       INSERT INTO delivery_actions (delivery_id, action, source, reason) SELECT id, 'cancel', $2, $3 FROM ended
     )
     SELECT count(*)::int AS n FROM ended`,
    [callId, source, reason],
  );
  return rows[0]?.n ?? 0;
}
