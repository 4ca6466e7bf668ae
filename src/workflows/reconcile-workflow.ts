/**
 * The reconciler: repairs what an operator's Terminate (or a Reset that left no run) leaves behind.
 * Postgres still holds such a call's pending deliveries, and perhaps a delivery that finally failed
 * without its failure notice, but no workflow delivers them until another event of the call comes.
 * Each run starts the workflow of every such call (the reconcileCalls activity), a page at a time;
 * the new run reads the call's lanes back from Postgres and delivers them in order. Started by the
 * `callhook-reconcile` Temporal Schedule (src/temporal/reconcile-schedule.ts) every RECONCILE_EVERY;
 * an operator sees each run, and can pause or trigger the schedule, in the Temporal UI.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconcileCallsResult } from '../activities/reconcile-calls';
import type { ReconcileCursor } from '../schemas/reconcile-cursor';
import type { ReconcileInput } from './system-workflows';


/** Calls per page: each page is one query and up to this many workflow starts. */
export const RECONCILE_PAGE_SIZE = 500;
/**
 * Pages per run at most. Calls whose workflow runs are found too (a lane held by a paused endpoint
 * looks overdue), oldest first: this many pages leave room for thousands of those before the calls
 * that need a start. Whatever is left is the next run's.
 */
export const RECONCILE_MAX_PAGES = 10;
/**
 * How far back failures without their notice are looked for. A terminated run's failure is found
 * within a few runs, so an hour is plenty; a longer window makes every run read more failures. A
 * call's next run sends any older missing notice itself (loadUnnoticedFailures has no window).
 */
export const RECONCILE_NOTICE_WINDOW_MS = 3_600_000;

export interface ReconcileTotals {
  /** Calls found with work left in Postgres. */
  found: number;
  /** Calls whose workflow was started. */
  started: number;
  /** Calls whose workflow was running already. */
  running: number;
  pages: number;
  /** Terminated call runs read, and the events they never planned that were signalled again (runs before this step: absent). */
  terminatedRuns?: number;
  eventsResent?: number;
}

/** Terminated runs read per reconciler run at most (each once: the next run reads the rest). */
export const RECOVER_RUNS_PER_RECONCILE = 100;

const { reconcileCalls, recoverTerminatedRuns } = proxyActivities<Activities>({
  // A page starts up to RECONCILE_PAGE_SIZE workflows, 20 at a time.
  startToCloseTimeout: '2 minutes',
  // A page that failed is retried a few times; after that the run fails (shown on the schedule) and the next run
  // starts over, so one call that cannot be started does not hold the reconciler in retries for good.
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function reconcileWorkflow(input: ReconcileInput): Promise<ReconcileTotals> {
  const limit = input.pageSize ?? RECONCILE_PAGE_SIZE;
  const maxPages = input.maxPages ?? RECONCILE_MAX_PAGES;
  const noticeWindowMs = input.noticeWindowMs ?? RECONCILE_NOTICE_WINDOW_MS;
  const totals: ReconcileTotals = { found: 0, started: 0, running: 0, pages: 0 };
  let after: ReconcileCursor | null = null;
  do {
    const page: ReconcileCallsResult = await reconcileCalls({ graceMs: input.graceMs, limit, noticeWindowMs, ...(after && { after }) });
    totals.found += page.found;
    totals.started += page.started;
    totals.running += page.running;
    totals.pages += 1;
    after = page.next;
  } while (after !== null && totals.pages < maxPages);
  // Events a platform service signalled to a run that was terminated before it planned them.
  if (patched('reconcile-terminated-runs')) {
    const recovered = await recoverTerminatedRuns({ windowMs: noticeWindowMs, limit: RECOVER_RUNS_PER_RECONCILE });
    totals.terminatedRuns = recovered.runs;
    totals.eventsResent = recovered.resent;
  }
  return totals;
}
