/**
 * Endpoint health for the Webhooks page: per endpoint, its delivery attempts of the last hours in
 * hourly buckets (succeeded and failed counts, p50 and p95 duration), the deliveries that finally
 * failed and wait for an operator, and its latest delivery. Every query is bounded: the attempts
 * of the window (delivery_attempts_started_idx), at most FAILED_WAITING_CAP rows counted per
 * endpoint, one index probe per endpoint for the latest delivery. And its circuit breaker's state.
 */
import type { z } from 'zod';
import type { endpointHealthSchema } from '../schemas/responses';
import { CLOSED_CIRCUIT, loadCircuitViews } from './endpoint-circuit-repo';
import type { Queryable } from './pool';

/** Counting failed deliveries stops here: the page says "10000+" rather than scan a huge backlog. */
export const FAILED_WAITING_CAP = 10_000;

export interface HealthWindow {
  /** The start of the first bucket (a whole hour). */
  since: Date;
  /** Buckets of one hour each, from `since`. */
  hours: number;
}

/**
 * An endpoint's health (its response schema's type): one bucket per hour of the window, oldest
 * first (hours without attempts have zero counts); totals over the whole window (percentiles of
 * all its attempts, not of the buckets); the deliveries that finally failed, counted up to
 * FAILED_WAITING_CAP; its latest delivery; its circuit breaker, closed (CLOSED_CIRCUIT) when it
 * has not failed since its last success.
 */
export type EndpointHealth = z.output<typeof endpointHealthSchema>;
/** Attempts that succeeded and that did not (retryable or final); duration percentiles in ms rounded, null without attempts. */
type AttemptStats = Omit<EndpointHealth['buckets'][number], 'start'>;
/** An endpoint's latest delivery: the delivery log's fields without its attempts and actions. */
type LastDelivery = NonNullable<EndpointHealth['lastDelivery']>;

const HOUR_MS = 3_600_000;

interface StatsRow {
  endpointId: string;
  /** null: the row of the whole window (GROUPING SETS). */
  bucket: number | null;
  succeeded: number;
  failed: number;
  p50: number | null;
  p95: number | null;
}

/** The health of each endpoint in `endpointIds` over `window` (ids without a row: no attempts, no deliveries). */
export async function endpointHealth(db: Queryable, endpointIds: readonly string[], window: HealthWindow): Promise<Map<string, EndpointHealth>> {
  const until = new Date(window.since.getTime() + window.hours * HOUR_MS);
  const ids = [...endpointIds];
  const [stats, failed, last, circuits] = await Promise.all([
    db.query<StatsRow>(
      `SELECT "endpointId", CASE WHEN GROUPING(bucket) = 1 THEN NULL ELSE bucket END AS bucket,
              count(*) FILTER (WHERE outcome = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE outcome <> 'succeeded')::int AS failed,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
       FROM (
         SELECT d.endpoint_id AS "endpointId", a.outcome, a.duration_ms,
                floor(extract(epoch FROM a.started_at - $2::timestamptz) / 3600)::int AS bucket
         FROM delivery_attempts a
         -- One primary-key probe per attempt of the window (LIMIT keeps the planner from turning this into a
         -- hash join, which reads every delivery ever made, however short the window).
         CROSS JOIN LATERAL (SELECT d.endpoint_id FROM deliveries d WHERE d.id = a.delivery_id LIMIT 1) d
         WHERE a.started_at >= $2 AND a.started_at < $3 AND d.endpoint_id = ANY ($1::text[])
       ) w
       GROUP BY GROUPING SETS (("endpointId", bucket), ("endpointId"))`,
      [ids, window.since, until],
    ),
    db.query<{ endpointId: string; n: number }>(
      `SELECT e.id AS "endpointId",
              (SELECT count(*)::int FROM (SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id AND d.status = 'failed' LIMIT $2) f) AS n
       FROM unnest($1::text[]) AS e(id)`,
      [ids, FAILED_WAITING_CAP + 1],
    ),
    db.query<LastDelivery & { endpointId: string }>(
      `SELECT e.id AS "endpointId", l.* FROM unnest($1::text[]) AS e(id)
       CROSS JOIN LATERAL (
         SELECT d.id, ev.event_type AS "eventType", d.call_id AS "callId", d.status, d.attempt_count AS "attemptCount",
                d.last_status_code AS "lastStatusCode", d.last_error AS "lastError",
                to_json(d.created_at) #>> '{}' AS "createdAt", to_json(d.ended_at) #>> '{}' AS "endedAt"
         FROM deliveries d JOIN events ev ON ev.id = d.event_id
         WHERE d.endpoint_id = e.id ORDER BY d.created_at DESC, d.seq DESC LIMIT 1
       ) l`,
      [ids],
    ),
    loadCircuitViews(db, ids),
  ]);

  const health = new Map<string, EndpointHealth>();
  for (const endpointId of ids) {
    health.set(endpointId, {
      endpointId,
      since: window.since.toISOString(),
      until: until.toISOString(),
      buckets: Array.from({ length: window.hours }, (_, i) => ({
        start: new Date(window.since.getTime() + i * HOUR_MS).toISOString(),
        ...emptyStats(),
      })),
      totals: { ...emptyStats(), successRate: null },
      failedWaiting: 0,
      failedWaitingCapped: false,
      lastDelivery: null,
      circuit: circuits.get(endpointId) ?? CLOSED_CIRCUIT,
    });
  }
  for (const row of stats.rows) {
    const entry = health.get(row.endpointId);
    if (!entry) continue;
    const values: AttemptStats = { succeeded: row.succeeded, failed: row.failed, p50Ms: roundMs(row.p50), p95Ms: roundMs(row.p95) };
    if (row.bucket === null) {
      const total = row.succeeded + row.failed;
      entry.totals = { ...values, successRate: total === 0 ? null : row.succeeded / total };
    } else {
      const bucket = entry.buckets[row.bucket];
      // The window's bounds are in the WHERE clause, so every bucket index is in range.
      if (!bucket) throw new Error(`endpoint health: bucket ${row.bucket} of endpoint ${row.endpointId} is outside the ${window.hours}-hour window`);
      Object.assign(bucket, values);
    }
  }
  for (const row of failed.rows) {
    const entry = health.get(row.endpointId);
    if (!entry) continue;
    entry.failedWaitingCapped = row.n > FAILED_WAITING_CAP;
    entry.failedWaiting = Math.min(row.n, FAILED_WAITING_CAP);
  }
  for (const { endpointId, ...lastDelivery } of last.rows) {
    const entry = health.get(endpointId);
    if (entry) entry.lastDelivery = lastDelivery;
  }
  return health;
}

function emptyStats(): AttemptStats {
  return { succeeded: 0, failed: 0, p50Ms: null, p95Ms: null };
}

/** percentile_cont answers a double precision (pg reads it as a number); the API speaks whole milliseconds. */
function roundMs(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

/** The health window that ends with the current hour: `hours` whole hours, the last one still running. */
export function healthWindowEndingNow(hours: number, now = new Date()): HealthWindow {
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return { since: new Date(currentHour - (hours - 1) * HOUR_MS), hours };
}
