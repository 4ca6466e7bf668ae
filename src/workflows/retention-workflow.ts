/**
 * Retention: purges what Postgres keeps of deliveries that ended more than `retentionMs` ago (payloads, attempts,
 * operator actions) and the events they leave without a delivery, a batch per activity, until a batch finds less
 * than a full one; each batch also erases the content of calls past their client's payload retention
 * (CLIENT_PAYLOAD_RETENTION, the worker's), and the run goes on while a batch erased as many as it may. Started by the `callhook-retention` Temporal Schedule (src/temporal/retention-schedule.ts);
 * an operator sees each run, and can pause or trigger the schedule, in the Temporal UI.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RetentionInput, RetentionTotals } from './system-workflows';

export type { RetentionInput, RetentionTotals };

/** Rows per table per batch: each batch is one short transaction. */
export const RETENTION_BATCH_SIZE = 1000;
/** Batches per run before it continues as new, keeping each run's history short. */
const BATCHES_PER_RUN = 100;

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
    // Calls erased under a client's payload retention (CLIENT_PAYLOAD_RETENTION); absent from older workers' results.
    if (counts.erasedCalls !== undefined) purged.erasedCalls = (purged.erasedCalls ?? 0) + counts.erasedCalls;
    if (counts.deliveries < batchSize && counts.events < batchSize && !counts.moreToErase) return { ...purged, cutoff };
  }
  return continueAsNew<typeof retentionWorkflow>({ ...input, cutoff, batchSize, purged });
}
