import { inTransaction, type Pool } from './pool';

/** What one batch of the purge deleted. */
export interface PurgeCounts {
  deliveries: number;
  attempts: number;
  actions: number;
  events: number;
}

/**
 * Deletes up to `batchSize` deliveries that ended (succeeded, failed or skipped) before `cutoff`, with their
 * attempts and operator actions; then up to `batchSize` events received before `cutoff` that have no delivery
 * left. Foreign-key order, in one transaction: attempts and actions, deliveries, events.
 *
 * Nothing in flight is touched: a pending delivery is never selected, and it keeps its event. The batch's
 * deliveries are locked first (`FOR UPDATE SKIP LOCKED`), so a redelivery that puts one of them back to pending at
 * the same moment either waits for this batch or is skipped by it — a delivery never loses its attempts and stays.
 * An event is deleted only if no delivery references it when its row is deleted (the foreign key would refuse
 * otherwise), and events get new deliveries only when they are planned, on arrival.
 *
 * Indexes: `deliveries_ended_idx` (migration 007) for the deliveries, the attempts' and actions' `delivery_id`
 * indexes, `events_received_idx` (007) for the events, and `deliveries (event_id, endpoint_id)` (the unique key)
 * for "no delivery left". A batch reads about `batchSize` rows of each table, never a whole table.
 */
export async function purgeExpiredBatch(pool: Pool, cutoff: Date, batchSize: number): Promise<PurgeCounts> {
  return inTransaction(pool, async (tx) => {
    const batch = await tx.query<{ id: string }>({
      name: 'retention-select-deliveries',
      text: `SELECT id FROM deliveries
              WHERE status <> 'pending' AND ended_at < $1
              ORDER BY ended_at
              LIMIT $2
              FOR UPDATE SKIP LOCKED`,
      values: [cutoff, batchSize],
    });
    const ids = batch.rows.map((row) => row.id);
    let attempts = 0;
    let actions = 0;
    let deliveries = 0;
    if (ids.length > 0) {
      attempts = (await tx.query({ name: 'retention-delete-attempts', text: 'DELETE FROM delivery_attempts WHERE delivery_id = ANY($1)', values: [ids] })).rowCount ?? 0;
      actions = (await tx.query({ name: 'retention-delete-actions', text: 'DELETE FROM delivery_actions WHERE delivery_id = ANY($1)', values: [ids] })).rowCount ?? 0;
      deliveries = (await tx.query({ name: 'retention-delete-deliveries', text: 'DELETE FROM deliveries WHERE id = ANY($1)', values: [ids] })).rowCount ?? 0;
    }
    const events = await tx.query({
      name: 'retention-delete-events',
      text: `DELETE FROM events WHERE id IN (
               SELECT e.id FROM events e
                WHERE e.received_at < $1
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
                ORDER BY e.received_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED)`,
      values: [cutoff, batchSize],
    });
    return { deliveries, attempts, actions, events: events.rowCount ?? 0 };
  });
}
