import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { markDeliverySkipped, recordAction, reopenDeliveries, type RedeliveryFilter } from '../db/deliveries-repo';
import { countFailedDeliveries, type LaneItem } from '../db/lanes-repo';
import { deliveriesEnded } from '../metrics';

export interface RedeliveryPlan {
  /** The reopened deliveries, at the end of their lanes. */
  deliveries: LaneItem[];
  /** The call's deliveries still failed besides the ones reopened. */
  failedCount: number;
}

/** Reopens the matching finally-failed deliveries of a call and logs the operator's action. */
export async function planRedelivery(pool: Pool, callId: string, filter: RedeliveryFilter, source: string): Promise<RedeliveryPlan> {
  return inTransaction(pool, async (db) => {
    const deliveries = await reopenDeliveries(db, callId, filter);
    await recordAction(db, deliveries.map((d) => d.deliveryId), 'redeliver', source, null);
    return { deliveries, failedCount: await countFailedDeliveries(db, callId) };
  });
}

/** Ends a pending delivery (of `callId`, when given) as skipped and logs the operator's action; null when it was no such pending delivery. */
export async function skipDelivery(pool: Pool, deliveryId: string, source: string, reason: string | null, callId?: string): Promise<{ endpointId: string } | null> {
  return inTransaction(pool, async (db) => {
    const skipped = await markDeliverySkipped(db, deliveryId, callId);
    if (!skipped) return null;
    await recordAction(db, [deliveryId], 'skip', source, reason);
    deliveriesEnded.inc({ kind: skipped.kind, outcome: 'skipped' });
    return { endpointId: skipped.endpointId };
  });
}
