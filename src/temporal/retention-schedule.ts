/**
 * The `callhook-retention` Temporal Schedule: runs `retentionWorkflow` on RETENTION_SCHEDULE with RETENTION.
 * Created at worker start-up, or brought up to date (spec, workflow arguments, task queue) when it exists;
 * whether an operator paused it is left as it is.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import type { Logger } from '../observability/logger';
import { upsertSchedule } from './upsert-schedule';
import { RETENTION_WORKFLOW_TYPE, type RetentionInput } from '../workflows/system-workflows';

export const RETENTION_SCHEDULE_ID = 'callhook-retention';

export interface RetentionScheduleOptions {
  taskQueue: string;
  /** RETENTION. */
  retentionMs: number;
  /** RETENTION_SCHEDULE: an interval or a cron expression. */
  timing: { everyMs: number } | { cron: string };
  /** Rows per table per batch; the workflow's default unless given. */
  batchSize?: number;
}

export type RetentionScheduleOutcome = 'created' | 'updated';

function specOf(timing: RetentionScheduleOptions['timing']): ScheduleSpec {
  return 'cron' in timing ? { cronExpressions: [timing.cron] } : { intervals: [{ every: timing.everyMs }] };
}

/**
 * Creates the retention schedule, or updates the existing one to `options`. Idempotent and safe from several
 * workers at once (a concurrent create makes the other one update).
 */
export async function ensureRetentionSchedule(client: Client, options: RetentionScheduleOptions, logger: Logger): Promise<RetentionScheduleOutcome> {
  const spec = specOf(options.timing);
  const args: [RetentionInput] = [{ retentionMs: options.retentionMs, ...(options.batchSize !== undefined && { batchSize: options.batchSize }) }];
  const action = {
    type: 'startWorkflow' as const,
    workflowType: RETENTION_WORKFLOW_TYPE,
    workflowId: RETENTION_SCHEDULE_ID,
    taskQueue: options.taskQueue,
    args,
  };
  // SKIP: a purge still running when the next is due is not doubled; the next one due after it ends runs.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  const context = { scheduleId: RETENTION_SCHEDULE_ID, taskQueue: options.taskQueue, retentionMs: options.retentionMs, timing: options.timing };
  const outcome = await upsertSchedule(client, 'the retention schedule', { scheduleId: RETENTION_SCHEDULE_ID, spec, action, policies });
  logger.info({ ...context, outcome }, outcome === 'created' ? 'retention schedule created' : 'retention schedule up to date');
  return outcome;
}
