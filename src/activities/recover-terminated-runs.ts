/**
 * The other half of repairing a Terminate (or the run a Reset replaced): events a platform service
 * emitted through its own Temporal client live only in the run's history until the run plans them.
 * A run terminated before that would lose them. The reconciler reads each call run terminated in
 * the last `windowMs` once, and signals again (signal-with-start, in their order) every `callEvent`
 * of it that Postgres does not hold; the call's next run plans and delivers them. Events accepted
 * by the API are stored before they are signalled, so they are never among them.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { Pool } from '../db/pool';
import { forgetRecoveredRuns, markRunRecovered, missingEvents, unrecoveredRuns } from '../db/recovered-runs-repo';
import type { Logger } from '../observability/logger';
import type { CallEvent } from '../schemas/call-event';
import { callEventSignalSchema } from '../schemas/call-workflow-messages';
import { CALL_WORKFLOW_TYPE, callEventSignal, type CallWorkflowInput } from '../workflows/messages';

export interface RecoverTerminatedRunsInput {
  /** How far back runs terminated are looked for (and their signals). */
  windowMs: number;
  /** Runs read at most per call of this activity. */
  limit: number;
}

export interface RecoverTerminatedRunsResult {
  /** Terminated runs read (each only once). */
  runs: number;
  /** Events signalled again. */
  resent: number;
}

export interface RecoverDeps {
  pool: Pool;
  temporal?: Client;
  logger: Logger;
}

export async function recoverTerminatedRuns(deps: RecoverDeps, input: RecoverTerminatedRunsInput, taskQueue: string): Promise<RecoverTerminatedRunsResult> {
  const { temporal } = deps;
  if (!temporal) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to read histories with', 'NoTemporalClient');
  const since = new Date(Date.now() - input.windowMs);
  const query = `WorkflowType = '${CALL_WORKFLOW_TYPE}' AND ExecutionStatus = 'Terminated' AND CloseTime > '${since.toISOString()}'`;
  const listed: { callId: string; runId: string }[] = [];
  for await (const run of temporal.workflow.list({ query })) {
    listed.push({ callId: run.workflowId, runId: run.runId });
    if (listed.length >= input.limit * 4) break;
  }
  const fresh = await unrecoveredRuns(deps.pool, listed.map((r) => r.runId));
  const runs = listed.filter((r) => fresh.has(r.runId)).slice(0, input.limit);
  let resent = 0;
  for (const run of runs) {
    const events = await unplannedEvents(temporal, run, since, deps.logger);
    const missing = await missingEvents(deps.pool, events.map((e) => e.id));
    const toSend = events.filter((e) => missing.delete(e.id)); // each once, in their order
    for (const event of toSend) {
      await temporal.workflow.signalWithStart(CALL_WORKFLOW_TYPE, {
        workflowId: run.callId,
        taskQueue,
        args: [{ callId: run.callId } satisfies CallWorkflowInput],
        signal: callEventSignal,
        signalArgs: [event],
      });
    }
    if (toSend.length > 0) {
      deps.logger.warn({ callId: run.callId, runId: run.runId, eventIds: toSend.map((e) => e.id).slice(0, 20), count: toSend.length }, 'reconciler: a terminated run had events it never planned; signalled them again');
    }
    resent += toSend.length;
    await markRunRecovered(deps.pool, { runId: run.runId, callId: run.callId, eventIds: toSend.map((e) => e.id) });
  }
  await forgetRecoveredRuns(deps.pool, 2 * input.windowMs);
  return { runs: runs.length, resent };
}

/** The run's valid `callEvent` signals for its own call, received since `since`, in order. */
async function unplannedEvents(temporal: Client, run: { callId: string; runId: string }, since: Date, logger: Logger): Promise<CallEvent[]> {
  const history = await temporal.workflow.getHandle(run.callId, run.runId).fetchHistory();
  const events: CallEvent[] = [];
  for (const entry of history.events ?? []) {
    const signal = entry.workflowExecutionSignaledEventAttributes;
    if (!signal || signal.signalName !== callEventSignal.name) continue;
    const at = Number(entry.eventTime?.seconds ?? 0) * 1000;
    if (at < since.getTime()) continue;
    let args: unknown[];
    try {
      args = await decodeArrayFromPayloads(temporal.options.loadedDataConverter, signal.input?.payloads);
    } catch (err) {
      logger.warn({ err, callId: run.callId, runId: run.runId, eventId: entry.eventId?.toString() }, 'reconciler: a signal of a terminated run could not be decoded; left out');
      continue;
    }
    // Refused by the run when it came (malformed, another call's): not sent again.
    const parsed = callEventSignalSchema.safeParse(args.slice(0, 2).filter((a, i) => i === 0 || a !== undefined));
    if (!parsed.success || parsed.data[0].body.data.callId !== run.callId) continue;
    events.push(parsed.data[0]);
  }
  return events;
}
