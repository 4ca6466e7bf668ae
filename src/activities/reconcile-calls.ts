/**
 * One page of the reconciler (reconcileWorkflow): the calls Postgres says still have work to do
 * (an overdue lane head, a failure without its notice; see src/db/reconcile-repo.ts) get their
 * call workflow started when none runs. A new run given no signal reads the call's pending
 * deliveries back from Postgres at start-up (`startRun`) and delivers them, each lane in order:
 * that is the whole repair of a Terminate, or of a Reset that left no run.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { findCallsToReconcile, type ReconcileCursor } from '../db/reconcile-repo';
import type { Logger } from '../observability/logger';
import { CALL_WORKFLOW_TYPE, type CallWorkflowInput } from '../workflows/messages';

/** Workflows started at once: the page's starts overlap, without flooding the frontend. */
const CONCURRENCY = 20;
/** Call ids listed in a log record at most. */
const LOGGED_CALL_IDS = 20;

export interface ReconcileCallsInput {
  /** How long past due a lane's head (or how long ago a failure) must be before its call is looked at (RECONCILE_GRACE). */
  graceMs: number;
  /** Calls per page. */
  limit: number;
  /** How far back failures without a notice are looked for. */
  noticeWindowMs: number;
  /** The previous page's last call. */
  after?: ReconcileCursor;
}

export interface ReconcileCallsResult {
  /** Calls Postgres gave (at most `limit`: as many means there may be more). */
  found: number;
  /** Calls whose workflow this page started. */
  started: number;
  /** Calls whose workflow was running already. */
  running: number;
  /** Where the next page starts; null when this page was the last. */
  next: ReconcileCursor | null;
}

export interface ReconcileDeps {
  pool: Pool;
  temporal?: Client;
  logger: Logger;
}

/**
 * Starts the workflow of every call found that has none running, on `taskQueue` (the call workflows'
 * queue: the reconciler runs on it too). A call whose workflow could not be started for another
 * reason is logged and the others go on; the page then fails so Temporal retries it (the calls
 * started meanwhile count as running the next time).
 */
export async function reconcileCalls(deps: ReconcileDeps, input: ReconcileCallsInput, taskQueue: string): Promise<ReconcileCallsResult> {
  const { temporal } = deps;
  if (!temporal) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to start call workflows with', 'NoTemporalClient');
  // A bad input is the schedule's (or a hand-started run's) mistake: retrying it would change nothing.
  if (!Number.isInteger(input.limit) || input.limit < 1) {
    throw ApplicationFailure.nonRetryable(`reconciler page size ${input.limit} is not a positive integer`, 'BadReconcileInput');
  }
  if (!(input.graceMs >= 0) || !(input.noticeWindowMs >= 0)) {
    throw ApplicationFailure.nonRetryable(`reconciler grace ${input.graceMs} ms or notice window ${input.noticeWindowMs} ms is not a duration`, 'BadReconcileInput');
  }
  const calls = await findCallsToReconcile(deps.pool, input);
  const startedIds = new Set<string>();
  const failed: { callId: string; err: unknown }[] = [];
  let running = 0;
  for (let i = 0; i < calls.length; i += CONCURRENCY) {
    await Promise.all(
      calls.slice(i, i + CONCURRENCY).map(async (call) => {
        try {
          await temporal.workflow.start(CALL_WORKFLOW_TYPE, {
            workflowId: call.callId,
            taskQueue,
            args: [{ callId: call.callId } satisfies CallWorkflowInput],
          });
          startedIds.add(call.callId);
        } catch (err) {
          // Its workflow runs: it delivers the lane itself (held by its endpoint, or busy with a long backlog).
          if (err instanceof WorkflowExecutionAlreadyStartedError) running++;
          else failed.push({ callId: call.callId, err });
        }
      }),
    );
  }
  // In the order found (oldest first), not the order Temporal answered in.
  const started = calls.filter((call) => startedIds.has(call.callId));
  const last = calls.at(-1);
  const result: ReconcileCallsResult = {
    found: calls.length,
    started: started.length,
    running,
    next: last && calls.length === input.limit ? { since: last.since, callId: last.callId } : null,
  };
  if (started.length > 0) {
    deps.logger.info(
      {
        taskQueue,
        ...result,
        overdue: started.filter((c) => c.overdue).length,
        unnoticedFailures: started.filter((c) => c.unnoticedFailure).length,
        callIds: started.slice(0, LOGGED_CALL_IDS).map((c) => c.callId),
      },
      'reconciler: started the workflows of calls with work left in Postgres and no workflow running',
    );
  } else {
    deps.logger.debug({ taskQueue, ...result }, 'reconciler: no call needed its workflow started');
  }
  if (failed.length > 0) {
    for (const { callId, err } of failed) deps.logger.error({ err, callId, taskQueue }, 'reconciler: could not start the call\'s workflow');
    throw new Error(
      `reconciler: could not start the workflows of ${failed.length} of ${calls.length} calls (${failed
        .slice(0, LOGGED_CALL_IDS)
        .map((f) => f.callId)
        .join(', ')}): ${messageOf(failed[0]!.err)}`,
      { cause: failed[0]!.err },
    );
  }
  return result;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
