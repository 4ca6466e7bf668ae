import type { z } from 'zod';
import type { CallEvent } from '../schemas/call-event';
import type { Endpoint } from '../schemas/endpoint';
import type { attemptOutcomeSchema, deliveryLogEntrySchema, deliveryStatusSchema } from '../schemas/responses';
import { CIRCUIT_COLUMNS, toCircuit, type Circuit, type CircuitRow } from './endpoint-circuit-repo';
import { ENDPOINT_COLUMNS, toEndpoint, type EndpointRow } from './endpoints-repo';
import type { LaneItem } from './lanes-repo';
import { NO_NOTICE_EVENT_TYPES } from './reconcile-repo';
import type { Queryable } from './pool';

// The delivery log's types are its response schemas' (src/schemas/responses.ts): what is read here is what the API documents.
export type DeliveryStatus = z.output<typeof deliveryStatusSchema>;
/** `cancelled`: aborted because its delivery was skipped under way; no attempt of the round. */
type AttemptOutcome = z.output<typeof attemptOutcomeSchema>;


export interface DeliveryContext {
  deliveryId: string;
  callId: string;
  status: DeliveryStatus;
  /** Attempts made so far, and where the current round began (a redelivery starts a new round). */
  attemptCount: number;
  attemptBase: number;
  /** Why its last attempt failed (or why it ended), if it did. */
  lastError: string | null;
  event: CallEvent;
  /** The trace context the event was accepted in (events.trace_parent), when tracing was on. */
  traceparent: string | null;
  endpoint: Endpoint & { deleted: boolean };
  /** The endpoint's circuit breaker, as it was when the context was read. */
  circuit: Circuit;
}

const LOAD_DELIVERY_CONTEXTS = `SELECT d.id AS delivery_id, d.call_id, d.status, d.attempt_count, d.attempt_base, d.last_error, e.payload, e.trace_parent, p.deleted_at IS NOT NULL AS deleted,
    ${ENDPOINT_COLUMNS.split(', ').map((c) => `p.${c}`).join(', ')}, ${CIRCUIT_COLUMNS}
  FROM deliveries d JOIN events e ON e.id = d.event_id JOIN endpoints p ON p.id = d.endpoint_id LEFT JOIN endpoint_circuits c ON c.endpoint_id = d.endpoint_id
  WHERE d.id = ANY ($1::text[])`;

/**
 * Everything the attempts on these deliveries need, in one round trip, read fresh: endpoint
 * changes (url, token, active) apply to the next attempt. Missing ids are left out.
 */
export async function loadDeliveryContexts(db: Queryable, deliveryIds: string[]): Promise<Map<string, DeliveryContext>> {
  const { rows } = await db.query<EndpointRow & CircuitRow & { delivery_id: string; call_id: string; status: DeliveryStatus; attempt_count: number; attempt_base: number; last_error: string | null; payload: CallEvent; trace_parent: string | null; deleted: boolean }>({
    name: 'load-delivery-contexts',
    text: LOAD_DELIVERY_CONTEXTS,
    values: [deliveryIds],
  });
  return new Map(
    rows.map((row) => [
      row.delivery_id,
      {
        deliveryId: row.delivery_id,
        callId: row.call_id,
        status: row.status,
        attemptCount: row.attempt_count,
        attemptBase: row.attempt_base,
        lastError: row.last_error,
        event: row.payload,
        traceparent: row.trace_parent,
        endpoint: { ...toEndpoint(row), deleted: row.deleted },
        circuit: toCircuit(row),
      },
    ]),
  );
}

export interface AttemptRecord {
  deliveryId: string;
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  responseExcerpt: string | null;
  /** The trace the attempt's span is in (tracing on). */
  traceId?: string | null;
}

/**
 * Records one attempt and folds it into the delivery's summary in one statement: `ends` says
 * whether this attempt ended the delivery (succeeded, or failed: a final answer or the last
 * attempt); otherwise `nextAttemptAt` says when the next one is due. A delivery that is no
 * longer pending (skipped meanwhile) keeps its status; the attempt is logged all the same.
 */
export async function recordAttempt(
  db: Queryable,
  attempt: AttemptRecord & { ends: 'succeeded' | 'failed' | null; nextAttemptAt: Date | null },
): Promise<DeliveryStatus | undefined> {
  const { rows } = await db.query<{ status: DeliveryStatus }>({
    name: 'record-attempt',
    // The delivery first: its row lock orders this after an erasure of its call under way (src/db/erasure-repo.ts),
    // which then has marked it (erased_at): the attempt is logged without the receiver's answer or the error text.
    text: `WITH updated AS (
       UPDATE deliveries SET
         attempt_count = GREATEST(attempt_count, $2::int),
         last_status_code = $5::int,
         last_error = CASE WHEN erased_at IS NULL THEN $7::text ELSE last_error END,
         status = CASE WHEN status = 'pending' AND $9::text IS NOT NULL THEN $9::text ELSE status END,
         ended_at = CASE WHEN status = 'pending' AND $9::text IS NOT NULL THEN now() ELSE ended_at END,
         next_attempt_at = $10,
         updated_at = now()
       WHERE id = $1
       RETURNING status, erased_at IS NOT NULL AS erased
     ), attempt AS (
       INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, outcome, error, response_excerpt, trace_id)
       SELECT $1, $2::int, $3::timestamptz, $4::int, $5::int, $6::text,
              CASE WHEN u.erased THEN NULL ELSE $7::text END, CASE WHEN u.erased THEN NULL ELSE $8::text END, $11::text
       FROM updated u
     )
     SELECT status FROM updated`,
    values: [
      attempt.deliveryId,
      attempt.attemptNumber,
      attempt.startedAt,
      attempt.durationMs,
      attempt.statusCode,
      attempt.outcome,
      attempt.error,
      attempt.responseExcerpt,
      attempt.ends,
      attempt.nextAttemptAt,
      attempt.traceId ?? null,
    ],
  });
  return rows[0]?.status;
}

/**
 * Logs an attempt aborted because its delivery was skipped while it was under way (outcome
 * `cancelled`). The delivery is left as it is: no attempt counted, no error, no backoff.
 */
export async function recordCancelledAttempt(db: Queryable, attempt: Omit<AttemptRecord, 'outcome' | 'statusCode' | 'responseExcerpt'>): Promise<void> {
  await db.query(
    `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, outcome, error, response_excerpt, trace_id)
     VALUES ($1, $2, $3, $4, NULL, 'cancelled', $5, NULL, $6)`,
    [attempt.deliveryId, attempt.attemptNumber, attempt.startedAt, attempt.durationMs, attempt.error, attempt.traceId ?? null],
  );
}

/** The status of a delivery now (undefined: no such delivery). */
export async function deliveryStatus(db: Queryable, deliveryId: string): Promise<DeliveryStatus | undefined> {
  const { rows } = await db.query<{ status: DeliveryStatus }>({ name: 'delivery-status', text: 'SELECT status FROM deliveries WHERE id = $1', values: [deliveryId] });
  return rows[0]?.status;
}

/** A delivery that ended without success: retries exhausted, a final answer, or the endpoint gone. */
/** Returns the endpoint's kind when the delivery was pending (and is now failed). */
export async function markDeliveryFailed(db: Queryable, deliveryId: string, reason: string): Promise<Endpoint['kind'] | undefined> {
  const { rows } = await db.query<{ kind: Endpoint['kind'] }>(
    `UPDATE deliveries d SET status = 'failed', last_error = COALESCE(d.last_error, $2), ended_at = now(), updated_at = now(), next_attempt_at = NULL
     FROM endpoints p WHERE d.id = $1 AND d.status = 'pending' AND p.id = d.endpoint_id RETURNING p.kind`,
    [deliveryId, reason],
  );
  return rows[0]?.kind;
}

/** One event to one endpoint: its status, every attempt and every operator action, oldest first. */
export type DeliveryLogEntry = z.output<typeof deliveryLogEntrySchema>;

export interface DeliveryLogFilter {
  callId?: string;
  eventId?: string;
  /** Deliveries of any of these events (the call view: the deliveries of one page of a call's events). */
  eventIds?: string[];
  endpointId?: string;
  status?: DeliveryStatus;
  /** Created at or after / before these instants. */
  since?: string;
  until?: string;
  /** Cursor: entries after this one (its `cursor` field). */
  after?: string;
  limit?: number;
  /** Only deliveries to endpoints not deleted (those redelivery can send again). */
  liveEndpointsOnly?: boolean;
}

/** The delivery log with every attempt and operator action, oldest first, filtered. */
export async function listDeliveryLog(db: Queryable, filter: DeliveryLogFilter): Promise<(DeliveryLogEntry & { cursor: string })[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.callId !== undefined) add('d.call_id = ?', filter.callId);
  if (filter.eventId !== undefined) add('d.event_id = ?', filter.eventId);
  if (filter.eventIds !== undefined) add('d.event_id = ANY (?::text[])', filter.eventIds);
  if (filter.endpointId !== undefined) add('d.endpoint_id = ?', filter.endpointId);
  if (filter.status !== undefined) add('d.status = ?', filter.status);
  if (filter.since !== undefined) add('d.created_at >= ?::timestamptz', filter.since);
  if (filter.until !== undefined) add('d.created_at < ?::timestamptz', filter.until);
  if (filter.after !== undefined) add('d.seq > ?::bigint', filter.after);
  if (filter.liveEndpointsOnly) where.push('EXISTS (SELECT 1 FROM endpoints p WHERE p.id = d.endpoint_id AND p.deleted_at IS NULL)');
  const limit = filter.limit === undefined ? '' : `LIMIT ${Number(filter.limit)}`;
  const { rows } = await db.query<DeliveryLogEntry & { cursor: string }>(
    // The event's type, like the attempts and actions, is read per delivery of the page, after ORDER BY … LIMIT:
    // a plain join would read the event of every delivery the filter matches (a week of an endpoint's), then sort.
    `SELECT d.id, d.event_id AS "eventId", e.event_type AS "eventType", e.validation_errors AS "validationErrors", d.endpoint_id AS "endpointId",
            d.call_id AS "callId", d.status, d.attempt_count AS "attemptCount",
            d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
            to_json(d.created_at) #>> '{}' AS "createdAt", to_json(d.updated_at) #>> '{}' AS "updatedAt",
            to_json(d.ended_at) #>> '{}' AS "endedAt", to_json(d.next_attempt_at) #>> '{}' AS "nextAttemptAt", d.seq::text AS cursor,
            to_json(d.erased_at) #>> '{}' AS "erasedAt",
            COALESCE((SELECT json_agg(json_build_object(
                'attemptNumber', a.attempt_number, 'startedAt', a.started_at, 'durationMs', a.duration_ms,
                'statusCode', a.status_code, 'outcome', a.outcome, 'error', a.error,
                'responseExcerpt', a.response_excerpt, 'traceId', a.trace_id) ORDER BY a.id)
              FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS attempts,
            COALESCE((SELECT json_agg(json_build_object(
                'action', x.action, 'source', x.source, 'reason', x.reason, 'at', x.created_at) ORDER BY x.id)
              FROM delivery_actions x WHERE x.delivery_id = d.id), '[]'::json) AS actions
     FROM (SELECT d.* FROM deliveries d ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.seq ${limit}) d
     LEFT JOIN LATERAL (SELECT e.event_type, e.validation_errors FROM events e WHERE e.id = d.event_id) e ON true
     ORDER BY d.seq`,
    params,
  );
  return rows;
}

/**
 * The call a delivery belongs to, its endpoint's client, its status, whether its endpoint was
 * deleted and whether it waits out a backoff (`retrying`); undefined when there is no such delivery.
 */
export async function getDeliveryHead(
  db: Queryable,
  deliveryId: string,
): Promise<{ callId: string; clientId: string; status: DeliveryStatus; endpointDeleted: boolean; retrying: boolean; erased: boolean } | undefined> {
  const { rows } = await db.query<{ callId: string; clientId: string; status: DeliveryStatus; endpointDeleted: boolean; retrying: boolean; erased: boolean }>(
    `SELECT d.call_id AS "callId", p.client_id AS "clientId", d.status, p.deleted_at IS NOT NULL AS "endpointDeleted",
            d.status = 'pending' AND d.next_attempt_at IS NOT NULL AS retrying, d.erased_at IS NOT NULL AS erased
     FROM deliveries d JOIN endpoints p ON p.id = d.endpoint_id WHERE d.id = $1`,
    [deliveryId],
  );
  return rows[0];
}

export interface RecoverRange {
  endpointId: string;
  since: string;
  until?: string | undefined;
}

/** How many finally-failed deliveries to an endpoint were created in [since, until), and in how many calls. */
export async function countFailedInRange(db: Queryable, range: RecoverRange): Promise<{ calls: number; deliveries: number }> {
  const { rows } = await db.query<{ calls: number; deliveries: number }>(
    `SELECT count(DISTINCT call_id)::int AS calls, count(*)::int AS deliveries FROM deliveries
     WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2 AND ($3::timestamptz IS NULL OR created_at < $3) AND erased_at IS NULL`,
    [range.endpointId, range.since, range.until ?? null],
  );
  return rows[0]!;
}

/**
 * A page of the calls with finally-failed deliveries to an endpoint in [since, until), in the
 * order of their first such delivery, after `afterSeq` (that order's cursor: `firstSeq`).
 */
export async function failedCallsPage(
  db: Queryable,
  range: RecoverRange,
  page: { afterSeq: string; limit: number },
): Promise<{ callId: string; firstSeq: string }[]> {
  const { rows } = await db.query<{ callId: string; firstSeq: string }>(
    `SELECT call_id AS "callId", min(seq)::text AS "firstSeq" FROM deliveries
     WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2 AND ($3::timestamptz IS NULL OR created_at < $3) AND erased_at IS NULL
     GROUP BY call_id HAVING min(seq) > $4::bigint ORDER BY min(seq) LIMIT $5`,
    [range.endpointId, range.since, range.until ?? null, page.afterSeq, page.limit],
  );
  return rows;
}

/** Records an operator action in the delivery log. */
export async function recordAction(
  db: Queryable,
  deliveryIds: string[],
  action: 'redeliver' | 'skip',
  source: string,
  reason: string | null,
): Promise<void> {
  if (deliveryIds.length === 0) return;
  await db.query(
    `INSERT INTO delivery_actions (delivery_id, action, source, reason) SELECT unnest($1::text[]), $2, $3, $4`,
    [deliveryIds, action, source, reason],
  );
}

/** An operator gave up on a delivery: it ends as skipped, and its lane moves on. */
/** Returns the endpoint (its id and kind) when the delivery was pending and is now skipped. */
/** With `callId`, only a delivery of that call (a call's workflow skips its own deliveries only). */
export async function markDeliverySkipped(db: Queryable, deliveryId: string, callId?: string): Promise<{ endpointId: string; kind: Endpoint['kind'] } | undefined> {
  const { rows } = await db.query<{ endpointId: string; kind: Endpoint['kind'] }>(
    `UPDATE deliveries d SET status = 'skipped', ended_at = now(), updated_at = now(), next_attempt_at = NULL
     FROM endpoints p WHERE d.id = $1 AND d.status = 'pending' AND p.id = d.endpoint_id AND ($2::text IS NULL OR d.call_id = $2)
     RETURNING p.id AS "endpointId", p.kind`,
    [deliveryId, callId ?? null],
  );
  return rows[0];
}

/** The endpoint's filter did not match the event: the delivery ends as skipped, `reason` saying so. True when it was pending. */
export async function markDeliveryFilteredOut(db: Queryable, deliveryId: string, reason: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE deliveries SET status = 'skipped', last_error = $2, ended_at = now(), updated_at = now(), next_attempt_at = NULL
     WHERE id = $1 AND status = 'pending'`,
    [deliveryId, reason],
  );
  return rowCount === 1;
}

export interface RedeliveryFilter {
  /** One delivery: may be failed or skipped. */
  deliveryId?: string;
  /** Every failed delivery to this endpoint. */
  endpointId?: string;
  /** Deliveries created in [since, until). */
  since?: string;
  until?: string;
}

/**
 * Sets finally-failed deliveries of a call back to pending, at the end of their endpoint's lane
 * (a new lane_seq, in their original order), with a fresh round of attempts, so the call's
 * workflow sends them again. Deliveries to deleted endpoints, and of erased content, are left alone.
 */
export async function reopenDeliveries(db: Queryable, callId: string, filter: RedeliveryFilter): Promise<LaneItem[]> {
  const { rows } = await db.query<Omit<LaneItem, 'laneSeq'> & { laneSeq: string }>(
    `WITH chosen AS (
       SELECT d.id, d.lane_seq AS old_seq, d.status AS old_status, d.last_error AS old_error, d.event_id
         FROM deliveries d JOIN endpoints p ON p.id = d.endpoint_id
       WHERE d.call_id = $1 AND p.deleted_at IS NULL AND d.erased_at IS NULL
         AND (CASE WHEN $2::text IS NULL THEN d.status = 'failed' ELSE d.id = $2 AND d.status IN ('failed', 'skipped') END)
         AND ($3::text IS NULL OR d.endpoint_id = $3)
         AND ($4::timestamptz IS NULL OR d.created_at >= $4)
         AND ($5::timestamptz IS NULL OR d.created_at < $5)
       FOR UPDATE OF d
     ), owed AS (
       -- A failed round whose notice was never planned (its run was reset or terminated first) still owes it.
       INSERT INTO owed_failure_notices (delivery_id, lane_seq, call_id, error)
       SELECT c.id, c.old_seq, $1, COALESCE(c.old_error, 'failed') FROM chosen c JOIN events e ON e.id = c.event_id
        WHERE c.old_status = 'failed' AND e.event_type <> ALL ($6::text[])
          AND NOT EXISTS (SELECT 1 FROM events n WHERE n.id = 'whfail_' || c.id || '_' || c.old_seq)
       ON CONFLICT DO NOTHING
     ), numbered AS (
       SELECT id, nextval('delivery_lane_seq') AS lane_seq FROM (SELECT id FROM chosen ORDER BY old_seq) c
     )
     UPDATE deliveries d SET status = 'pending', ended_at = NULL, updated_at = now(), next_attempt_at = NULL,
            attempt_base = d.attempt_count, lane_seq = n.lane_seq
     FROM numbered n, events e, endpoints p
     WHERE d.id = n.id AND e.id = d.event_id AND p.id = d.endpoint_id
     RETURNING d.id AS "deliveryId", d.endpoint_id AS "endpointId", d.event_id AS "eventId", e.event_type AS "eventType",
               p.kind, d.lane_seq::text AS "laneSeq"`,
    [callId, filter.deliveryId ?? null, filter.endpointId ?? null, filter.since ?? null, filter.until ?? null, NO_NOTICE_EVENT_TYPES],
  );
  // UPDATE … RETURNING has no ORDER BY: order by the new lane_seq (a bigint, read as a string).
  return rows.map((row) => ({ ...row, laneSeq: Number(row.laneSeq) })).sort((a, b) => a.laneSeq - b.laneSeq);
}
