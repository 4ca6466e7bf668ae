/**
 * Erasure of a call's content (issue 19): `DELETE /v1/calls/:callId/content`, and per-client payload retention
 * (CLIENT_PAYLOAD_RETENTION, in the retention activity). Three steps:
 *
 *  1. Postgres (src/db/erasure-repo.ts): the event bodies and everything quoting them go, pending deliveries end
 *     as skipped, the call's data keys are deleted — so nothing is pending when its workflow stops.
 *  2. Temporal: the call's running workflow is terminated (nothing more is sent), and its terminated runs are marked
 *     read for the reconciler (src/activities/recover-terminated-runs.ts), which would otherwise signal again the
 *     events a platform emitted through its Temporal client that the run never planned.
 *  3. Postgres again: whatever the workflow did between 1 and 2 (an event it planned, a key it made) is erased too.
 *
 * With PAYLOAD_ENCRYPTION_KEY the call's payloads in Temporal history were sealed under its data key: once the key is
 * deleted they decode nowhere (crypto-shredding). Without it the history stays readable until the namespace's
 * retention (`history: 'not-encrypted'`). Idempotent: erasing again changes and counts nothing.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { z } from 'zod';
import { forgetCallDataKeys } from '../crypto/call-data-keys';
import { ERASED_REASON, eraseCallContent, type ErasureCounts } from '../db/erasure-repo';
import type { Pool } from '../db/pool';
import { markRunRecovered } from '../db/recovered-runs-repo';
import type { Logger } from '../observability/logger';
import type { callErasureSchema } from '../schemas/responses';
import { deliveriesEnded } from '../observability/metrics';
import { CALL_WORKFLOW_TYPE } from '../workflows/messages';

export { ERASED_REASON };

export interface EraseCallDeps {
  pool: Pool;
  /** Stops the call's workflow; absent: Postgres only (the workflow, if any, finds nothing pending). */
  temporal?: Client | undefined;
  logger: Logger;
  /** Whether this process's Temporal payloads are encrypted (PAYLOAD_ENCRYPTION_KEY): the history's data keys are what shreds it. */
  historyEncrypted: boolean;
  /** How long each Temporal call may take (the API answers 503 beyond); 10 s unless given. */
  temporalTimeoutMs?: number;
}

/** What an erasure removed, as DELETE /v1/calls/{callId}/content answers it (its response schema's type). */
type CallErasure = z.output<typeof callErasureSchema>;

/** Temporal did not answer while the call's workflow was being stopped: Postgres is erased already; erasing again finishes. */
export class ErasureTemporalError extends Error {
  override readonly name = 'ErasureTemporalError';
}

/** Terminated runs of the call marked read for the reconciler, at most (visibility lists the latest first). */
const TERMINATED_RUNS_MARKED = 100;

/** Erases the call's content (see above). Undefined when Postgres holds no event of the call (no call to erase). */
export async function eraseCall(deps: EraseCallDeps, callId: string, source: string): Promise<CallErasure | undefined> {
  const first = await eraseCallContent(deps.pool, callId, source);
  forgetCallDataKeys(callId);
  if (first.erasedAt === null) return undefined;
  let stopped = false;
  if (deps.temporal) {
    try {
      stopped = await stopCallWorkflow(deps, deps.temporal, callId);
    } catch (err) {
      deps.logger.error({ err, callId }, "erasure: the call's content was erased in Postgres, but its workflow could not be stopped");
      throw new ErasureTemporalError(`could not stop the call's workflow: ${(err as Error).message}`, { cause: err });
    }
  }
  // What the workflow did before it stopped (an event planned, a data key made) goes too.
  const second = await eraseCallContent(deps.pool, callId, source);
  forgetCallDataKeys(callId);
  const counts = sum(first, second);
  for (const kind of counts.skippedKinds) deliveriesEnded.inc({ kind, outcome: 'skipped' });
  const erasure: CallErasure = {
    callId,
    erasedAt: second.erasedAt ?? first.erasedAt,
    events: counts.events,
    attempts: counts.attempts,
    skipped: counts.skipped,
    historyKeysDestroyed: counts.keys,
    history: deps.historyEncrypted ? 'crypto-shredded' : 'not-encrypted',
  };
  const changed = erasure.events + erasure.attempts + erasure.skipped + erasure.historyKeysDestroyed > 0 || stopped;
  if (changed) deps.logger.warn({ ...erasure, source, workflowStopped: stopped }, "call's content erased");
  return erasure;
}

function sum(a: ErasureCounts, b: ErasureCounts): Omit<ErasureCounts, 'erasedAt'> {
  return {
    events: a.events + b.events,
    attempts: a.attempts + b.attempts,
    skipped: a.skipped + b.skipped,
    skippedKinds: [...a.skippedKinds, ...b.skippedKinds],
    keys: a.keys + b.keys,
  };
}

/**
 * Terminates the call's running workflow, if one runs (a continue-as-new meanwhile: the next run too), and marks its
 * terminated runs read for the reconciler. True when a run was terminated.
 */
async function stopCallWorkflow(deps: EraseCallDeps, temporal: Client, callId: string): Promise<boolean> {
  const within = <T>(call: () => Promise<T>) => temporal.connection.withDeadline(Date.now() + (deps.temporalTimeoutMs ?? 10_000), call);
  let terminated = false;
  for (let turn = 0; turn < 5; turn++) {
    let description;
    try {
      description = await within(() => temporal.workflow.getHandle(callId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return terminated; // never ran, or gone with the namespace's retention
      throw err;
    }
    if (description.type !== CALL_WORKFLOW_TYPE) return terminated; // not a call's workflow: left alone
    if (description.status.name !== 'RUNNING') break;
    try {
      await within(() => temporal.workflow.getHandle(callId, description.runId).terminate(ERASED_REASON));
      terminated = true;
    } catch (err) {
      // The run closed meanwhile (it finished, or continued as new): look again.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    await markRunRecovered(deps.pool, { runId: description.runId, callId, eventIds: [] });
  }
  // Runs terminated before (by an operator) that the reconciler has not read yet: it must not signal their events again.
  const query = `WorkflowId = '${callId.replaceAll("'", "\\'")}' AND WorkflowType = '${CALL_WORKFLOW_TYPE}' AND ExecutionStatus = 'Terminated'`;
  await within(async () => {
    let marked = 0;
    for await (const run of temporal.workflow.list({ query })) {
      await markRunRecovered(deps.pool, { runId: run.runId, callId, eventIds: [] });
      if (++marked >= TERMINATED_RUNS_MARKED) break;
    }
  });
  return terminated;
}
