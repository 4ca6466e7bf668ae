/**
 * The circuit breaker across calls, in Postgres so every worker and every call sees one circuit
 * per endpoint. Failures since the endpoint's last success are counted by distinct call; when
 * `threshold` calls have failed the circuit opens: no call sends it an attempt until `retry_at`,
 * then one delivery (the probe) claims the right to try. Its success closes the circuit; its
 * failure opens it for another cool-down.
 */
import type { z } from 'zod';
import type { circuitViewSchema } from '../schemas/responses';
import type { Queryable } from './pool';

/** The circuit as the endpoint's health shows it (its response schema's type). */
type CircuitView = z.output<typeof circuitViewSchema>;

type CircuitState = CircuitView['state'];

/** The circuit as a delivery context reads it (columns of a LEFT JOIN: all null when the endpoint never failed). */
export interface Circuit {
  state: CircuitState;
  failingSince: Date | null;
  retryAt: Date | null;
  probeDeliveryId: string | null;
  probeUntil: Date | null;
}

/** Columns of endpoint_circuits `c` a delivery context selects (see deliveries-repo.ts). */
export const CIRCUIT_COLUMNS = 'c.state AS circuit_state, c.failing_since, c.retry_at, c.probe_delivery_id, c.probe_until';

export interface CircuitRow {
  circuit_state: CircuitState | null;
  failing_since: Date | null;
  retry_at: Date | null;
  probe_delivery_id: string | null;
  probe_until: Date | null;
}

export function toCircuit(row: CircuitRow): Circuit {
  return {
    state: row.circuit_state ?? 'closed',
    failingSince: row.failing_since,
    retryAt: row.retry_at,
    probeDeliveryId: row.probe_delivery_id,
    probeUntil: row.probe_until,
  };
}

/** Distinct failing calls remembered at the most (the threshold cannot exceed it). */
export const MAX_FAILING_CALLS = 1000;

/**
 * Claims the probe of an open circuit whose cool-down is over (or whose last probe outlived
 * `probe_until`, its worker lost): true when this delivery is the one to try.
 */
export async function claimProbe(db: Queryable, endpointId: string, deliveryId: string, probeForMs: number): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'circuit-claim-probe',
    text: `UPDATE endpoint_circuits SET state = 'probing', probe_delivery_id = $2, probe_until = now() + $3 * interval '1 millisecond', updated_at = now()
      WHERE endpoint_id = $1 AND ((state = 'open' AND retry_at <= now()) OR (state = 'probing' AND (probe_until < now() OR probe_delivery_id = $2)))`,
    values: [endpointId, deliveryId, probeForMs],
  });
  return rowCount === 1;
}

/** The failing calls after this failure ($2 the call, $4 retryable): a retryable failure of a call not yet counted adds it. */
const NEW_CALLS = `CASE WHEN NOT $4 OR $2 = ANY (c.failing_calls) OR cardinality(c.failing_calls) >= ${MAX_FAILING_CALLS}
  THEN c.failing_calls ELSE array_append(c.failing_calls, $2::text) END`;
/**
 * The state after this failure ($3 the delivery, $5 the threshold, 0 = no breaker): the probe's
 * failure opens the circuit again (a final answer, the receiver being there, closes it); a final
 * answer closes an open circuit; enough failing calls open a closed one.
 */
const NEXT_STATE = `(CASE
  WHEN c.state = 'probing' AND c.probe_delivery_id = $3 THEN CASE WHEN $4 THEN 'open' ELSE 'closed' END
  WHEN NOT $4 THEN CASE WHEN c.state = 'open' THEN 'closed' ELSE c.state END
  WHEN c.state = 'closed' AND $5 > 0 AND cardinality(${NEW_CALLS}) >= $5 THEN 'open'
  ELSE c.state END)`;
const OPENING = `(${NEXT_STATE} = 'open' AND c.state <> 'open')`;

export interface FailureCounted {
  /** This failure opened the circuit (or, a probe's, opened it again). */
  opened: boolean;
  state: CircuitState;
  failingSince: Date;
  failingCalls: number;
}

/**
 * Counts a failed attempt. `retryable` ones (408, 429, 5xx, timeouts) count toward the circuit;
 * a final answer shows the receiver is there, so it closes an open circuit, but, like any failure,
 * it keeps `failing_since` (auto-disable) where it was.
 */
export async function countFailure(
  db: Queryable,
  failure: { endpointId: string; callId: string; deliveryId: string; retryable: boolean; threshold: number; cooldownMs: number },
): Promise<FailureCounted> {
  const { rows } = await db.query<{ opened: boolean; state: CircuitState; failing_since: Date; failing_calls: number }>({
    name: 'circuit-count-failure',
    text: `INSERT INTO endpoint_circuits AS c (endpoint_id, state, failing_since, failing_calls, opened_at, retry_at)
      SELECT $1, first.state, now(), CASE WHEN $4 THEN ARRAY[$2::text] ELSE '{}'::text[] END,
        CASE WHEN first.state = 'open' THEN now() END, CASE WHEN first.state = 'open' THEN now() + $6 * interval '1 millisecond' END
      FROM (SELECT CASE WHEN $4 AND $5 = 1 THEN 'open' ELSE 'closed' END AS state) first
      ON CONFLICT (endpoint_id) DO UPDATE SET
        failing_since = COALESCE(c.failing_since, now()),
        failing_calls = ${NEW_CALLS},
        state = ${NEXT_STATE},
        opened_at = CASE WHEN ${OPENING} THEN now() ELSE c.opened_at END,
        retry_at = CASE WHEN ${OPENING} THEN now() + $6 * interval '1 millisecond' ELSE c.retry_at END,
        probe_delivery_id = CASE WHEN ${NEXT_STATE} = 'probing' THEN c.probe_delivery_id END,
        probe_until = CASE WHEN ${NEXT_STATE} = 'probing' THEN c.probe_until END,
        updated_at = now()
      RETURNING c.state = 'open' AND c.opened_at = now() AS opened, c.state, c.failing_since, cardinality(c.failing_calls) AS failing_calls`,
    values: [failure.endpointId, failure.callId, failure.deliveryId, failure.retryable, failure.threshold, failure.cooldownMs],
  });
  const row = rows[0]!;
  return { opened: row.opened, state: row.state, failingSince: row.failing_since, failingCalls: row.failing_calls };
}

/** A success: the circuit closes and the count starts again. Returns the state it was in. */
export async function countSuccess(db: Queryable, endpointId: string): Promise<CircuitState | null> {
  const { rows } = await db.query<{ was: CircuitState }>({
    name: 'circuit-count-success',
    text: `UPDATE endpoint_circuits c SET state = 'closed', failing_since = NULL, failing_calls = '{}', opened_at = NULL, retry_at = NULL,
        probe_delivery_id = NULL, probe_until = NULL, updated_at = now()
      FROM (SELECT endpoint_id, state FROM endpoint_circuits WHERE endpoint_id = $1 FOR UPDATE) old
      WHERE c.endpoint_id = old.endpoint_id
      RETURNING old.state AS was`,
    values: [endpointId],
  });
  return rows[0]?.was ?? null;
}

export async function loadCircuitViews(db: Queryable, endpointIds: string[]): Promise<Map<string, CircuitView>> {
  const { rows } = await db.query<{ endpoint_id: string; state: CircuitState; failing_since: Date | null; failing_calls: number; opened_at: Date | null; retry_at: Date | null }>(
    `SELECT endpoint_id, state, failing_since, cardinality(failing_calls) AS failing_calls, opened_at, retry_at
     FROM endpoint_circuits WHERE endpoint_id = ANY ($1::text[])`,
    [endpointIds],
  );
  return new Map(
    rows.map((r) => [
      r.endpoint_id,
      {
        state: r.state,
        failingSince: r.failing_since?.toISOString() ?? null,
        failingCalls: r.failing_calls,
        openedAt: r.opened_at?.toISOString() ?? null,
        retryAt: r.retry_at?.toISOString() ?? null,
      },
    ]),
  );
}

export const CLOSED_CIRCUIT: CircuitView = { state: 'closed', failingSince: null, failingCalls: 0, openedAt: null, retryAt: null };
