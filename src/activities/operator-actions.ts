import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import {
  markDeliverySkipped,
  recordAction,
  reopenDeliveries,
  type RedeliveryFilter,
  type ReopenedDelivery,
} from '../db/deliveries-repo';
import { isTerminalEventType } from '../event-types';
import { deliveriesEnded } from '../metrics';

export interface RedeliveryPlan {
  deliveries: ReopenedDelivery[];
  /** The call's client, and whether the call already emitted a terminal event (a new run needs both). */
  clientId: string | null;
  callTerminal: boolean;
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
    const { rows } = await db.query<{ client_id: string; event_type: string }>(
      'SELECT client_id, event_type FROM events WHERE call_id = $1 ORDER BY received_at',
      [callId],
    );
    return {
      deliveries,
      clientId: rows[0]?.client_id ?? null,
      callTerminal: rows.some((r) => isTerminalEventType(r.event_type)),
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
