/**
 * The `callhook-reconcile` Temporal Schedule: runs `reconcileWorkflow` every RECONCILE_EVERY with
 * RECONCILE_GRACE. Created at worker start-up, or brought up to date (interval, workflow arguments,
 * task queue) when it exists; whether an operator paused it is left as it is. RECONCILE_EVERY=off
 * deletes it: a schedule left behind, even paused, would be one an operator could unpause by mistake
 * against a configuration that says there is none.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from '../observability/logger';
import { upsertSchedule } from './upsert-schedule';
import { RECONCILE_WORKFLOW_TYPE, type ReconcileInput } from '../workflows/system-workflows';

export const RECONCILE_SCHEDULE_ID = 'callhook-reconcile';

export interface ReconcileScheduleOptions {
  /** The call workflows' task queue: the reconciler starts them on the queue it runs on. */
  taskQueue: string;
  /** RECONCILE_EVERY: the interval, or `off` (no schedule). */
  every: number | 'off';
  /** RECONCILE_GRACE. */
  graceMs: number;
  /** Calls per page; the workflow's default unless given. */
  pageSize?: number;
}

export type ReconcileScheduleOutcome = 'created' | 'updated' | 'deleted' | 'absent';

/**
 * Creates the reconcile schedule, updates the existing one to `options`, or deletes it when `every` is
 * `off`. Idempotent and safe from several workers at once (a concurrent create makes the other one update).
 */
export async function ensureReconcileSchedule(client: Client, options: ReconcileScheduleOptions, logger: Logger): Promise<ReconcileScheduleOutcome> {
  const context = { scheduleId: RECONCILE_SCHEDULE_ID, taskQueue: options.taskQueue, every: options.every, graceMs: options.graceMs };
  if (options.every === 'off') {
    const outcome = await deleteReconcileSchedule(client);
    logger.info(
      { ...context, outcome },
      outcome === 'deleted'
        ? 'reconcile schedule deleted (RECONCILE_EVERY=off): terminated calls are not restarted until another event comes'
        : 'reconcile schedule off (RECONCILE_EVERY=off): terminated calls are not restarted until another event comes',
    );
    return outcome;
  }
  const spec = { intervals: [{ every: options.every }] };
  const args: [ReconcileInput] = [{ graceMs: options.graceMs, ...(options.pageSize !== undefined && { pageSize: options.pageSize }) }];
  const action = {
    type: 'startWorkflow' as const,
    workflowType: RECONCILE_WORKFLOW_TYPE,
    workflowId: RECONCILE_SCHEDULE_ID,
    taskQueue: options.taskQueue,
    args,
  };
  const policies = {
    // SKIP: a run still going when the next is due is not doubled (two runs would start the same calls).
    overlap: ScheduleOverlapPolicy.SKIP,
    // Runs missed while the cluster was down are not made up one by one: the next run repairs everything.
    catchupWindow: '1 minute',
  };
  const outcome = await upsertSchedule(client, 'the reconcile schedule', { scheduleId: RECONCILE_SCHEDULE_ID, spec, action, policies });
  logger.info({ ...context, outcome }, outcome === 'created' ? 'reconcile schedule created' : 'reconcile schedule up to date');
  return outcome;
}

async function deleteReconcileSchedule(client: Client): Promise<'deleted' | 'absent'> {
  try {
    await client.schedule.getHandle(RECONCILE_SCHEDULE_ID).delete();
    return 'deleted';
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return 'absent';
    throw new Error(`could not delete the reconcile schedule ${RECONCILE_SCHEDULE_ID}: ${(err as Error).message}`, { cause: err });
  }
}
