/**
 * What the reconciler (src/workflows/reconcile-workflow.ts) repairs, read from Postgres: calls that
 * Postgres says still have work but whose workflow may be gone (an operator's Terminate, a Reset
 * that left no run). Two signs, each given a grace period so a call whose workflow is simply busy
 * is not looked at:
 *  - a lane's head (its lowest pending lane_seq) overdue: due (next_attempt_at, else its last change)
 *    longer ago than the grace;
 *  - a delivery that finally failed without its failure notice (`whfail_<deliveryId>_<laneSeq>`,
 *    planned by the call workflow's `deliveryFailed`): the run that failed it ended before planning it.
 * Finding a call is no proof its workflow is gone (a lane held by a paused endpoint looks overdue
 * too): the reconciler starts the workflow only if none runs.
 */
import { DELIVERY_FAILED_EVENT, TEST_EVENT } from '../domain/event-types';
import type { LaneItem } from './lanes-repo';
import type { Queryable } from './pool';
import type { ReconcileCursor } from '../schemas/reconcile-cursor';

export type { ReconcileCursor };

/** Event types a failure of which gets no notice: the notices themselves, and test events (as in callWorkflow's deliveryFailed). */
export const NO_NOTICE_EVENT_TYPES = [DELIVERY_FAILED_EVENT, TEST_EVENT];


export interface CallToReconcile {
  callId: string;
  /** The oldest sign: the earliest overdue lane head's due time, or the earliest unnoticed failure's end. */
  since: string;
  /** A lane's head is overdue. */
  overdue: boolean;
  /** A failure notice is missing. */
  unnoticedFailure: boolean;
}

export interface FindCallsToReconcileOptions {
  /** How long past due a lane's head (or how long ago a failure) must be before its call is looked at. */
  graceMs: number;
  /** Calls at most. */
  limit: number;
  /** Failures that ended longer ago than this are not looked for (the scan stays short); loadUnnoticedFailures has no window. */
  noticeWindowMs: number;
  /** The previous page's last call; from the oldest when absent. */
  after?: ReconcileCursor;
}

/**
 * Calls with an overdue lane head or an unnoticed failure, oldest sign first, at most `limit`.
 *
 * Indexes: the lanes' heads come from a loose index scan of `deliveries_pending_lane_idx` (partial on
 * pending; migration 003): one index descent per lane, however long its backlog, so a backlog of
 * thousands behind a retrying head costs one probe, not thousands. The failures come from
 * `deliveries_failed_ended_idx` (partial on failed; migration 011), a range of ended_at, and the
 * events' primary key for the event's type and for the notice. Every page repeats the scan: the
 * reconciler reads a few pages at most, once a minute.
 */
export async function findCallsToReconcile(db: Queryable, options: FindCallsToReconcileOptions): Promise<CallToReconcile[]> {
  const { rows } = await db.query<CallToReconcile>({
    name: 'reconcile-find-calls',
    text: `WITH RECURSIVE heads AS (
       (SELECT d.call_id, d.endpoint_id, COALESCE(d.next_attempt_at, d.updated_at) AS due
          FROM deliveries d WHERE d.status = 'pending'
          ORDER BY d.call_id, d.endpoint_id, d.lane_seq LIMIT 1)
       UNION ALL
       SELECT following.call_id, following.endpoint_id, following.due FROM heads h CROSS JOIN LATERAL (
         SELECT d.call_id, d.endpoint_id, COALESCE(d.next_attempt_at, d.updated_at) AS due
           FROM deliveries d
          WHERE d.status = 'pending' AND (d.call_id, d.endpoint_id) > (h.call_id, h.endpoint_id)
          ORDER BY d.call_id, d.endpoint_id, d.lane_seq LIMIT 1
       ) following
     ),
     signs AS (
       SELECT call_id, due AS since, true AS overdue, false AS unnoticed
         FROM heads WHERE due < now() - $1::float8 * interval '1 millisecond'
       UNION ALL
       SELECT d.call_id, d.ended_at, false, true
         FROM deliveries d JOIN events e ON e.id = d.event_id
        WHERE d.status = 'failed'
          AND d.ended_at >= now() - $2::float8 * interval '1 millisecond'
          AND d.ended_at < now() - $1::float8 * interval '1 millisecond'
          AND e.event_type <> ALL ($3::text[])
          AND d.erased_at IS NULL -- an erased call owes no notice: nothing more is sent for it
          AND NOT EXISTS (SELECT 1 FROM events n WHERE n.id = 'whfail_' || d.id || '_' || d.lane_seq)
       UNION ALL
       -- Rounds redelivered before their notice was planned (owed_failure_notices, migration 018).
       SELECT o.call_id, o.created_at, false, true
         FROM owed_failure_notices o
        WHERE o.created_at >= now() - $2::float8 * interval '1 millisecond'
          AND o.created_at < now() - $1::float8 * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM events n WHERE n.id = 'whfail_' || o.delivery_id || '_' || o.lane_seq)
     ),
     calls AS (
       SELECT call_id, min(since) AS since, bool_or(overdue) AS overdue, bool_or(unnoticed) AS unnoticed
         FROM signs GROUP BY call_id
     )
     SELECT call_id AS "callId", to_json(since) #>> '{}' AS since, overdue, unnoticed AS "unnoticedFailure"
       FROM calls
      WHERE $4::timestamptz IS NULL OR (calls.since, calls.call_id) > ($4::timestamptz, $5::text)
      ORDER BY calls.since, calls.call_id
      LIMIT $6`,
    values: [options.graceMs, options.noticeWindowMs, NO_NOTICE_EVENT_TYPES, options.after?.since ?? null, options.after?.callId ?? '', options.limit],
  });
  return rows;
}

/** A delivery that finally failed, as its lane knew it, and why: what its failure notice is made of. */
export type UnnoticedFailure = LaneItem & { error: string };

/** Failures loadUnnoticedFailures returns at most: a run's start-up sends their notices, the next run the rest. */
const UNNOTICED_FAILURES_MAX = 100;

/**
 * A call's deliveries that finally failed but have no failure notice (`whfail_<deliveryId>_<laneSeq>`),
 * and earlier failed rounds redelivered before theirs was planned (owed_failure_notices), oldest failure
 * first, at most 100; failures of notices and of test events get none and are not listed.
 * For a run's start-up: the run that failed them ended (terminated, reset) before planning their notices.
 * Indexes: `deliveries_call_status_idx` (call_id, status), then primary keys.
 */
export async function loadUnnoticedFailures(db: Queryable, callId: string): Promise<UnnoticedFailure[]> {
  const { rows } = await db.query<Omit<UnnoticedFailure, 'laneSeq'> & { laneSeq: string }>({
    name: 'reconcile-unnoticed-failures',
    text: `SELECT "deliveryId", "endpointId", "eventId", "eventType", kind, "laneSeq", error FROM (
             SELECT d.id AS "deliveryId", d.endpoint_id AS "endpointId", d.event_id AS "eventId", e.event_type AS "eventType",
                    p.kind, d.lane_seq::text AS "laneSeq", COALESCE(d.last_error, '') AS error, d.ended_at AS failed_at, d.seq
               FROM deliveries d JOIN events e ON e.id = d.event_id JOIN endpoints p ON p.id = d.endpoint_id
              WHERE d.call_id = $1 AND d.status = 'failed'
                AND e.event_type <> ALL ($2::text[])
                AND d.erased_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM events n WHERE n.id = 'whfail_' || d.id || '_' || d.lane_seq)
             UNION ALL
             -- Earlier rounds, redelivered before their notice was planned: the notice names the round's own lane_seq.
             SELECT d.id, d.endpoint_id, d.event_id, e.event_type, p.kind, o.lane_seq::text, o.error, o.created_at, d.seq
               FROM owed_failure_notices o JOIN deliveries d ON d.id = o.delivery_id
               JOIN events e ON e.id = d.event_id JOIN endpoints p ON p.id = d.endpoint_id
              WHERE o.call_id = $1 AND d.erased_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM events n WHERE n.id = 'whfail_' || o.delivery_id || '_' || o.lane_seq)
           ) unnoticed
           ORDER BY failed_at, seq
           LIMIT $3`,
    values: [callId, NO_NOTICE_EVENT_TYPES, UNNOTICED_FAILURES_MAX],
  });
  // lane_seq is a bigint: read as text, a number here as everywhere else (LaneItem).
  return rows.map((row) => ({ ...row, laneSeq: Number(row.laneSeq) }));
}
