/**
 * An endpoint's delivery state, as operators and callhook change it: paused (deliveries wait),
 * disabled (with a reason), and the calls whose lanes wait for it (woken when it may go again).
 */
import { ENDPOINT_COLUMNS, toEndpoint, type EndpointRow } from './endpoints-repo';
import type { Endpoint } from '../schemas/endpoint';
import type { Queryable } from './pool';

/** Pauses a live endpoint (already paused: unchanged, the first pause's time and author kept). */
export async function pauseEndpoint(db: Queryable, id: string, by: string): Promise<Endpoint | undefined> {
  const { rows } = await db.query<EndpointRow>(
    `UPDATE endpoints SET paused_at = COALESCE(paused_at, now()), paused_by = CASE WHEN paused_at IS NULL THEN $2 ELSE paused_by END,
       updated_at = CASE WHEN paused_at IS NULL THEN now() ELSE updated_at END
     WHERE id = $1 AND deleted_at IS NULL RETURNING ${ENDPOINT_COLUMNS}`,
    [id, by],
  );
  return rows[0] && toEndpoint(rows[0]);
}

/** Resumes a live endpoint (not paused: unchanged). */
export async function resumeEndpoint(db: Queryable, id: string): Promise<Endpoint | undefined> {
  const { rows } = await db.query<EndpointRow>(
    `UPDATE endpoints SET paused_at = NULL, paused_by = NULL, updated_at = CASE WHEN paused_at IS NULL THEN updated_at ELSE now() END
     WHERE id = $1 AND deleted_at IS NULL RETURNING ${ENDPOINT_COLUMNS}`,
    [id],
  );
  return rows[0] && toEndpoint(rows[0]);
}

export interface EndpointDisabled {
  endpointId: string;
  clientId: string;
  reason: string;
  disabledAt: string;
}

/** Disables an active endpoint with a reason; undefined when it was not active (disabled before, deleted). */
export async function disableEndpoint(db: Queryable, id: string, reason: string): Promise<EndpointDisabled | undefined> {
  const { rows } = await db.query<{ client_id: string; disabled_at: Date }>({
    name: 'disable-endpoint',
    text: `UPDATE endpoints SET active = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
      WHERE id = $1 AND active AND deleted_at IS NULL RETURNING client_id, disabled_at`,
    values: [id, reason],
  });
  const row = rows[0];
  return row && { endpointId: id, clientId: row.client_id, reason, disabledAt: row.disabled_at.toISOString() };
}

/** Notes that a call's lane waits for this endpoint. */
export async function holdCall(db: Queryable, endpointId: string, callId: string): Promise<void> {
  await db.query({
    name: 'hold-call',
    text: 'INSERT INTO endpoint_holds (endpoint_id, call_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    values: [endpointId, callId],
  });
}

/**
 * Notes the call as waiting for its paused endpoint, then reads whether the endpoint is paused
 * still: in two statements, so a resume that committed before the read is seen here, and one
 * after it finds the note (it takes the notes after it unpauses): either way no wake-up is lost.
 */
export async function holdCallWhilePaused(db: Queryable, endpointId: string, callId: string): Promise<boolean> {
  await holdCall(db, endpointId, callId);
  const { rows } = await db.query<{ paused: boolean }>({
    name: 'endpoint-paused',
    text: 'SELECT paused_at IS NOT NULL AS paused FROM endpoints WHERE id = $1',
    values: [endpointId],
  });
  return rows[0]?.paused ?? false;
}

/** Whether a call has a delivery to this endpoint (an operator's signal to a call names one of its endpoints). */
export async function callDeliversTo(db: Queryable, callId: string, endpointId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM deliveries WHERE call_id = $1 AND endpoint_id = $2 LIMIT 1', [callId, endpointId]);
  return rows.length > 0;
}

export interface EndpointStateCounts {
  paused: number;
  disabled: number;
  circuitOpen: number;
}

/** How many live endpoints are paused, disabled, or have their circuit open (or probing): the metrics' gauges. */
export async function countEndpointStates(db: Queryable): Promise<EndpointStateCounts> {
  const { rows } = await db.query<{ paused: number; disabled: number; circuit_open: number }>({
    name: 'count-endpoint-states',
    text: `SELECT
        (SELECT count(*)::int FROM endpoints WHERE deleted_at IS NULL AND paused_at IS NOT NULL) AS paused,
        (SELECT count(*)::int FROM endpoints WHERE deleted_at IS NULL AND NOT active) AS disabled,
        (SELECT count(*)::int FROM endpoint_circuits c JOIN endpoints p ON p.id = c.endpoint_id
          WHERE p.deleted_at IS NULL AND c.state <> 'closed') AS circuit_open`,
  });
  const row = rows[0]!;
  return { paused: row.paused, disabled: row.disabled, circuitOpen: row.circuit_open };
}
