/**
 * The per-endpoint rate limit, shared by every call and worker: a GCRA over one row per endpoint.
 * `next_at` is when the next request may go; a reservation takes the slot at max(next_at, now)
 * and moves `next_at` one interval on, unless that slot is further away than the caller will wait.
 */
import type { Queryable } from './pool';

export type Reservation = { granted: true; slotAt: number } | { granted: false; nextAt: number };

export async function reserveSlot(db: Queryable, endpointId: string, perSecond: number, maxWaitMs: number): Promise<Reservation> {
  const intervalMs = 1000 / perSecond;
  const { rows } = await db.query<{ slot_at: Date }>({
    name: 'pacing-reserve',
    text: `INSERT INTO endpoint_pacing AS p (endpoint_id, next_at) VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
      ON CONFLICT (endpoint_id) DO UPDATE SET next_at = GREATEST(p.next_at, clock_timestamp()) + $2 * interval '1 millisecond'
        WHERE p.next_at <= clock_timestamp() + $3 * interval '1 millisecond'
      RETURNING p.next_at - $2 * interval '1 millisecond' AS slot_at`,
    values: [endpointId, intervalMs, maxWaitMs],
  });
  if (rows[0]) return { granted: true, slotAt: rows[0].slot_at.getTime() };
  const taken = await db.query<{ next_at: Date }>({ name: 'pacing-next', text: 'SELECT next_at FROM endpoint_pacing WHERE endpoint_id = $1', values: [endpointId] });
  return { granted: false, nextAt: taken.rows[0]?.next_at.getTime() ?? Date.now() };
}
