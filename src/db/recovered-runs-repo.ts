/**
 * Terminated call runs the reconciler has read (src/activities/recover-terminated-runs.ts): each
 * once, so a run's history is fetched once however often the reconciler looks back over it.
 */
import type { Queryable } from './pool';

/** Of these run ids, the ones not read yet. */
export async function unrecoveredRuns(db: Queryable, runIds: string[]): Promise<Set<string>> {
  if (runIds.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM unnest($1::text[]) AS r(id) WHERE NOT EXISTS (SELECT 1 FROM recovered_runs x WHERE x.run_id = r.id)`,
    [runIds],
  );
  return new Set(rows.map((r) => r.id));
}

export async function markRunRecovered(db: Queryable, run: { runId: string; callId: string; eventIds: string[] }): Promise<void> {
  await db.query(
    `INSERT INTO recovered_runs (run_id, call_id, events_resent, event_ids) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO NOTHING`,
    [run.runId, run.callId, run.eventIds.length, run.eventIds],
  );
}

/** Forgets runs read longer ago than the reconciler looks back: they are no longer listed. */
export async function forgetRecoveredRuns(db: Queryable, olderThanMs: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM recovered_runs WHERE recovered_at < now() - $1 * interval '1 millisecond'`, [olderThanMs]);
  return rowCount ?? 0;
}

/** Of these event ids, the ones Postgres does not hold. */
export async function missingEvents(db: Queryable, eventIds: string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM unnest($1::text[]) AS i(id) WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = i.id)`,
    [eventIds],
  );
  return new Set(rows.map((r) => r.id));
}
