/**
 * Erasure of a call's content in Postgres (DELETE /v1/calls/:callId/content, per-client payload retention).
 *
 * What goes: every event body of the call (events.payload, and validation_errors, which quote it), the hash of each
 * body (a hash of a guessable body confirms a guess), the response excerpts and error texts of its delivery attempts
 * (a receiver's answer, an SMTP reply, a filter's reasons quote what was sent), the deliveries' last errors, and the
 * call's data keys (its Temporal history then no longer decodes). What stays: ids, call, client, event types, times,
 * attempt numbers, durations, status codes, outcomes and statuses, and operators' actions — the delivery log's shape.
 * A delivery still pending ends as skipped (`the call's content was erased`, logged as a skip), so nothing more is sent.
 *
 * One transaction, under the outbox relay's lock of the call (src/db/outbox-repo.ts): a relay never signals an event
 * of the call read before the erasure after it. Every delivery of the call is locked and marked (erased_at) before
 * the attempts are scrubbed: an attempt that finishes meanwhile records itself after the commit, and recordAttempt
 * then keeps no excerpt or error for a delivery marked erased. Idempotent: a second erasure changes (and counts) nothing.
 */
import { inTransaction, type Pool } from './pool';

/** Why the deliveries an erasure found pending ended (their last error). */
export const ERASED_REASON = "the call's content was erased";
/** The payload_hash of an erased event: no hash of a body is kept; a replay of its id is a duplicate whatever it holds. */
export const ERASED_HASH = 'erased';

export interface ErasureCounts {
  /** Events whose body was erased now. */
  events: number;
  /** Attempts whose response excerpt or error was erased now. */
  attempts: number;
  /** Deliveries that were pending, now skipped. */
  skipped: number;
  /** Pending deliveries skipped, per endpoint kind (for the metrics). */
  skippedKinds: string[];
  /** Data keys of the call deleted now (its Temporal history's). */
  keys: number;
  /** When the call's content was erased (now, or by an earlier erasure); null when the call has no event. */
  erasedAt: string | null;
}

/** Erases the call's content in Postgres (see above); `source` names who (api, retention) in the skips' log. */
export async function eraseCallContent(pool: Pool, callId: string, source: string): Promise<ErasureCounts> {
  return inTransaction(pool, async (tx) => {
    // The outbox relay's lock of the call: one relay round at a time signals it, and never across this erasure.
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('callhook-outbox:' || $1, 0))", [callId]);
    const skipped = await tx.query<{ kind: string }>({
      name: 'erasure-skip-pending',
      text: `WITH ended AS (
               UPDATE deliveries SET status = 'skipped', last_error = $3, ended_at = now(), updated_at = now(), next_attempt_at = NULL, erased_at = now()
               WHERE call_id = $1 AND status = 'pending' RETURNING id, endpoint_id
             ), logged AS (
               INSERT INTO delivery_actions (delivery_id, action, source, reason) SELECT id, 'skip', $2, $3 FROM ended
             )
             SELECT p.kind FROM ended JOIN endpoints p ON p.id = ended.endpoint_id`,
      values: [callId, source, ERASED_REASON],
    });
    // The call's other deliveries: locked and marked too (an attempt recorded after this commit keeps no text), their errors gone.
    await tx.query({
      name: 'erasure-mark-deliveries',
      text: `UPDATE deliveries SET last_error = NULL, erased_at = now() WHERE call_id = $1 AND erased_at IS NULL`,
      values: [callId],
    });
    const attempts = await tx.query({
      name: 'erasure-scrub-attempts',
      text: `UPDATE delivery_attempts a SET response_excerpt = NULL, error = NULL
             FROM deliveries d WHERE d.call_id = $1 AND a.delivery_id = d.id AND (a.response_excerpt IS NOT NULL OR a.error IS NOT NULL)`,
      values: [callId],
    });
    const events = await tx.query({
      name: 'erasure-events',
      // signaled_at: an event the relay had not signalled yet never is (its body is gone; its deliveries are skipped).
      text: `UPDATE events SET payload = NULL, validation_errors = NULL, payload_hash = $2, erased_at = now(), signaled_at = COALESCE(signaled_at, now())
             WHERE call_id = $1 AND erased_at IS NULL`,
      values: [callId, ERASED_HASH],
    });
    // Nothing of the call waits for an endpoint any more, and it owes no failure notice (their errors quote answers).
    await tx.query('DELETE FROM call_wakeups WHERE call_id = $1', [callId]);
    await tx.query('DELETE FROM endpoint_holds WHERE call_id = $1', [callId]);
    await tx.query('DELETE FROM owed_failure_notices WHERE call_id = $1', [callId]);
    const keys = await tx.query({ name: 'erasure-delete-keys', text: 'DELETE FROM call_data_keys WHERE call_id = $1', values: [callId] });
    const when = await tx.query<{ erasedAt: string | null }>({
      name: 'erasure-erased-at',
      text: `SELECT to_json(max(erased_at)) #>> '{}' AS "erasedAt" FROM events WHERE call_id = $1`,
      values: [callId],
    });
    return {
      events: events.rowCount ?? 0,
      attempts: attempts.rowCount ?? 0,
      skipped: skipped.rowCount ?? 0,
      skippedKinds: skipped.rows.map((r) => r.kind),
      keys: keys.rowCount ?? 0,
      erasedAt: when.rows[0]?.erasedAt ?? null,
    };
  });
}

/** A client's payload retention: its calls whose last event arrived before `cutoff` are erased. */
export interface ClientCutoff {
  clientId: string;
  /** ISO-8601. */
  cutoff: string;
}

/**
 * Up to `limit` calls of the client whose content is due for erasure: not erased yet, and no event since `cutoff`.
 * Bounded: reads at most `limit * 20` of the client's oldest unerased events (events_unerased_client_idx, migration
 * 017), then one probe of events_call_idx per call for a later event. A call with a recent event is passed over.
 */
export async function callsDueForErasure(db: Pick<Pool, 'query'>, client: ClientCutoff, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ callId: string }>({
    name: 'erasure-calls-due',
    text: `SELECT o.call_id AS "callId" FROM (
             SELECT e.call_id, min(e.received_at) AS since FROM (
               SELECT call_id, received_at FROM events
               WHERE client_id = $1 AND erased_at IS NULL AND received_at < $2
               ORDER BY received_at LIMIT $3 * 20
             ) e GROUP BY e.call_id
           ) o
           WHERE NOT EXISTS (SELECT 1 FROM events r WHERE r.call_id = o.call_id AND r.received_at >= $2)
           ORDER BY o.since, o.call_id LIMIT $3`,
    values: [client.clientId, client.cutoff, limit],
  });
  return rows.map((r) => r.callId);
}

/**
 * When the call's content was erased, if its latest event was (every event before it was erased with it or
 * earlier); null when it was not, or the call has no event. One probe of events_call_idx.
 */
export async function callErasedAt(db: Pick<Pool, 'query'>, callId: string): Promise<string | null> {
  const { rows } = await db.query<{ erasedAt: string | null }>({
    name: 'erasure-call-erased-at',
    text: `SELECT to_json(erased_at) #>> '{}' AS "erasedAt" FROM events WHERE call_id = $1 ORDER BY received_at DESC LIMIT 1`,
    values: [callId],
  });
  return rows[0]?.erasedAt ?? null;
}
