import type { Pool } from '../db/pool';
import { inTransaction } from '../db/pool';
import { markDeliverySkipped, recordAction, reopenDeliveries, type RedeliveryFilter } from '../db/deliveries-repo';
import { countFailedDeliveries, type LaneItem } from '../db/lanes-repo';
import { loadUnnoticedFailures, type UnnoticedFailure } from '../db/reconcile-repo';
import { deliveriesEnded } from '../observability/metrics';

export interface RedeliveryPlan {
  /** The reopened deliveries, at the end of their lanes. */
  deliveries: LaneItem[];
  /** The call's deliveries still failed besides the ones reopened. */
  failedCount: number;
  /**
   * Failed rounds of the call with no notice yet (the run that failed them was reset or terminated
   * before planning it, or they were redelivered first): the workflow sends those notices now.
   * Absent from older workers' results.
   */
  unnoticed?: UnnoticedFailure[];
}

/** Reopens the matching finally-failed deliveries of a call and logs the operator's action. */
export async function planRedelivery(pool: Pool, callId: string, filter: RedeliveryFilter, source: string): Promise<RedeliveryPlan> {
  return inTransaction(pool, async (db) => {
    // A reopened round that failed without its notice is kept in owed_failure_notices by reopenDeliveries.
    const deliveries = await reopenDeliveries(db, callId, filter);
    await recordAction(db, deliveries.map((d) => d.deliveryId), 'redeliver', source, null);
    // Every notice the call still owes (those rounds, and failures whose run ended before planning their notice);
    // one already on its way is planned once only (its id).
    const unnoticed = await loadUnnoticedFailures(db, callId);
    return { deliveries, failedCount: await countFailedDeliveries(db, callId), ...(unnoticed.length > 0 && { unnoticed }) };
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
