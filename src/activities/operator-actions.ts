import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import {
  markDeliverySkipped,
  recordAction,
  reopenDeliveries,
  type RedeliveryFilter,
  type ReopenedDelivery,
} from '../db/deliveries-repo';
import { isSystemEventType, isTerminalEventType } from '../event-types';
import { deliveriesEnded } from '../metrics';
import type { FailureSummary } from '../workflows/messages';

export interface RedeliveryPlan {
  deliveries: ReopenedDelivery[];
  /**
   * What a new run (the call's workflow had finished) needs to know of the call: its client,
   * whether it emitted a terminal event, its latest status and event type, and the deliveries
   * still failed besides the ones reopened.
   */
  clientId: string | null;
  callTerminal: boolean;
  callStatus: string | null;
  lastEventType: string | null;
  stillFailed: FailureSummary[];
}

/** Reopens the matching finally-failed deliveries of a call and logs the operator's action. */
export async function planRedelivery(
  pool: Pool,
  callId: string,
  filter: RedeliveryFilter,
  source: string,
): Promise<RedeliveryPlan> {
  return inTransaction(pool, async (db) => {
    const deliveries = await reopenDeliveries(db, callId, filter);
    await recordAction(db, deliveries.map((d) => d.deliveryId), 'redeliver', source, null);
    const { rows } = await db.query<{ client_id: string; event_type: string; call_status: string | null }>(
      `SELECT client_id, event_type, payload->'body'->'data'->>'callStatus' AS call_status
       FROM events WHERE call_id = $1 ORDER BY received_at`,
      [callId],
    );
    const callEvents = rows.filter((r) => !isSystemEventType(r.event_type));
    const failed = await db.query<FailureSummary>(
      `SELECT d.id AS "deliveryId", d.endpoint_id AS "endpointId", d.event_id AS "eventId", e.event_type AS "eventType",
              COALESCE(d.last_error, '') AS error
       FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.call_id = $1 AND d.status = 'failed' ORDER BY d.seq`,
      [callId],
    );
    return {
      deliveries,
      clientId: rows[0]?.client_id ?? null,
      callTerminal: rows.some((r) => isTerminalEventType(r.event_type)),
      callStatus: callEvents.findLast((r) => r.call_status !== null)?.call_status ?? null,
      lastEventType: callEvents.at(-1)?.event_type ?? null,
      stillFailed: failed.rows,
    };
  });
}

/** Ends a pending delivery as skipped and logs the operator's action. */
export async function skipDelivery(pool: Pool, deliveryId: string, source: string, reason: string | null): Promise<boolean> {
  return inTransaction(pool, async (db) => {
    const kind = await markDeliverySkipped(db, deliveryId);
    if (!kind) return false;
    await recordAction(db, [deliveryId], 'skip', source, reason);
    deliveriesEnded.inc({ kind, outcome: 'skipped' });
    return true;
  });
}
