/**
 * Retention: purges what Postgres keeps of deliveries that ended more than `retentionMs` ago (payloads, attempts,
 * operator actions) and the events they leave without a delivery, a batch per activity, until a batch finds less
 * than a full one. Started by the `callhook-retention` Temporal Schedule (src/temporal/retention-schedule.ts);
 * an operator sees each run, and can pause or trigger the schedule, in the Temporal UI.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

export const RETENTION_WORKFLOW_TYPE = 'retentionWorkflow';

/** Rows per table per batch: each batch is one short transaction. */
export const RETENTION_BATCH_SIZE = 1000;
/** Batches per run before it continues as new, keeping each run's history short. */
const BATCHES_PER_RUN = 100;

export interface RetentionInput {
  /** What is kept: rows that ended (deliveries) or arrived (events) within this long before the run started. */
  retentionMs: number;
  /** Rows per table per batch; RETENTION_BATCH_SIZE unless given. */
  batchSize?: number;
  /** Batches per run before it continues as new; BATCHES_PER_RUN unless given. */
  batchesPerRun?: number;
  /** Set by continue-as-new: the first run's cutoff, so one purge has one cutoff. */
  cutoff?: string;
  /** Set by continue-as-new: what earlier runs purged. */
  purged?: RetentionTotals;
}

export interface RetentionTotals {
  deliveries: number;
  attempts: number;
  actions: number;
  events: number;
  batches: number;
}

const { purgeExpired } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

export async function retentionWorkflow(input: RetentionInput): Promise<RetentionTotals & { cutoff: string }> {
  // workflowInfo().startTime is recorded in history: the same cutoff on every replay.
  const cutoff = input.cutoff ?? new Date(workflowInfo().startTime.getTime() - input.retentionMs).toISOString();
  const batchSize = input.batchSize ?? RETENTION_BATCH_SIZE;
  const purged: RetentionTotals = input.purged ?? { deliveries: 0, attempts: 0, actions: 0, events: 0, batches: 0 };
  const batchesPerRun = input.batchesPerRun ?? BATCHES_PER_RUN;
  for (let batch = 0; batch < batchesPerRun; batch += 1) {
    const counts = await purgeExpired(cutoff, batchSize);
    purged.deliveries += counts.deliveries;
    purged.attempts += counts.attempts;
    purged.actions += counts.actions;
    purged.events += counts.events;
    purged.batches += 1;
    if (counts.deliveries < batchSize && counts.events < batchSize) return { ...purged, cutoff };
  }
  return continueAsNew<typeof retentionWorkflow>({ ...input, cutoff, batchSize, purged });
}
