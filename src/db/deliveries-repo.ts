import type { CallEvent } from '../schemas/call-event';
import type { Endpoint } from '../schemas/endpoint';
import { getEndpointForDelivery } from './endpoints-repo';
import type { Queryable } from './pool';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export type AttemptOutcome = 'succeeded' | 'retryable' | 'final';

export interface PlannedDelivery {
  deliveryId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  kind: Endpoint['kind'];
}

export async function insertDeliveries(
  db: Queryable,
  event: CallEvent,
  deliveries: { id: string; endpointId: string }[],
): Promise<void> {
  if (deliveries.length === 0) return;
  await db.query(
    `INSERT INTO deliveries (id, event_id, endpoint_id, call_id)
     SELECT d.id, $1, d.endpoint_id, $2 FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS d(id, endpoint_id, n)
     ORDER BY d.n
     ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
    [event.id, event.body.data.callId, deliveries.map((d) => d.id), deliveries.map((d) => d.endpointId)],
  );
}

export interface DeliveryContext {
  deliveryId: string;
  status: DeliveryStatus;
  attemptCount: number;
  event: CallEvent;
  endpoint: (Endpoint & { deleted: boolean }) | undefined;
}

/** Everything one attempt needs, read fresh: endpoint changes (url, token) apply to the next attempt. */
export async function loadDeliveryContext(db: Queryable, deliveryId: string): Promise<DeliveryContext | undefined> {
  const { rows } = await db.query<{ status: DeliveryStatus; attempt_count: number; payload: CallEvent; endpoint_id: string }>(
    `SELECT d.status, d.attempt_count, e.payload, d.endpoint_id
     FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = $1`,
    [deliveryId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    deliveryId,
    status: row.status,
    attemptCount: row.attempt_count,
    event: row.payload,
    endpoint: await getEndpointForDelivery(db, row.endpoint_id),
  };
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
}

/** Records one attempt and folds it into the delivery's summary in one statement. */
export async function recordAttempt(db: Queryable, attempt: AttemptRecord): Promise<void> {
  await db.query(
    `WITH attempt AS (
       INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, outcome, error, response_excerpt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     )
     UPDATE deliveries SET
       attempt_count = GREATEST(attempt_count, $2),
       last_status_code = $5,
       last_error = $7,
       status = CASE WHEN $6 = 'succeeded' THEN 'succeeded' ELSE status END,
       ended_at = CASE WHEN $6 = 'succeeded' THEN now() ELSE ended_at END,
       updated_at = now()
     WHERE id = $1`,
    [
      attempt.deliveryId,
      attempt.attemptNumber,
      attempt.startedAt,
      attempt.durationMs,
      attempt.statusCode,
      attempt.outcome,
      attempt.error,
      attempt.responseExcerpt,
    ],
  );
}

/** A delivery that ended without success: retries exhausted, a final answer, or the endpoint gone. */
export async function markDeliveryFailed(db: Queryable, deliveryId: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE deliveries SET status = 'failed', last_error = COALESCE(last_error, $2), ended_at = now(), updated_at = now()
     WHERE id = $1 AND status = 'pending'`,
    [deliveryId, reason],
  );
}

export async function countAttempts(db: Queryable, deliveryId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM delivery_attempts WHERE delivery_id = $1',
    [deliveryId],
  );
  return rows[0]?.n ?? 0;
}

export interface DeliveryLogEntry {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  callId: string;
  status: DeliveryStatus;
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  attempts: {
    attemptNumber: number;
    startedAt: string;
    durationMs: number;
    statusCode: number | null;
    outcome: AttemptOutcome;
    error: string | null;
    responseExcerpt: string | null;
  }[];
}

/** The delivery log with every attempt, for a call or for one event, oldest first. */
export async function listDeliveryLog(
  db: Queryable,
  filter: { callId: string } | { eventId: string },
): Promise<DeliveryLogEntry[]> {
  const [column, value] = 'callId' in filter ? ['d.call_id', filter.callId] : ['d.event_id', filter.eventId];
  const { rows } = await db.query<DeliveryLogEntry>(
    `SELECT d.id, d.event_id AS "eventId", e.event_type AS "eventType", d.endpoint_id AS "endpointId",
            d.call_id AS "callId", d.status, d.attempt_count AS "attemptCount",
            d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
            to_json(d.created_at) #>> '{}' AS "createdAt", to_json(d.updated_at) #>> '{}' AS "updatedAt",
            to_json(d.ended_at) #>> '{}' AS "endedAt",
            COALESCE((SELECT json_agg(json_build_object(
                'attemptNumber', a.attempt_number, 'startedAt', a.started_at, 'durationMs', a.duration_ms,
                'statusCode', a.status_code, 'outcome', a.outcome, 'error', a.error,
                'responseExcerpt', a.response_excerpt) ORDER BY a.id)
              FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]'::json) AS attempts
     FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE ${column} = $1 ORDER BY d.seq`,
    [value],
  );
  return rows;
}
