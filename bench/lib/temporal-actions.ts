/**
 * The Temporal Cloud billable actions of a benchmark run's workflows: waits for them to close,
 * then sums their counts. The counting itself (its rules and sources) is
 * test/helpers/temporal-actions.ts, the project's one count, shared with the tests.
 */
import type { Client } from '@temporalio/client';
import { addActionCounts, emptyActionCount, workflowActions, type ActionCount } from '../../test/helpers/temporal-actions';

/** The actions of some workflows, every run of each (its continue-as-new chain) included. */
export interface WorkflowsActions extends ActionCount {
  workflows: number;
  /** Workflows still running when counted (their later actions are missing). */
  open: number;
}

/** How long `actionsOfWorkflows` waits for the workflows to close before counting what is there. */
const CLOSE_TIMEOUT_MS = 30_000;
const PARALLEL = 10;

/** Waits (up to 30 s) for each workflow to close, then counts the actions of all its runs (its continue-as-new chain). */
export async function actionsOfWorkflows(client: Client, workflowIds: Iterable<string>): Promise<WorkflowsActions> {
  const ids = [...workflowIds];
  const result: WorkflowsActions = { ...emptyActionCount(), workflows: ids.length, open: 0 };
  let next = 0;
  const one = async (workflowId: string) => {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      client.workflow.getHandle(workflowId).result().then(() => true, () => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!closed) result.open++;
    addActionCounts(result, await workflowActions(client, workflowId));
  };
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, ids.length) }, async () => {
      for (let id = ids[next++]; id !== undefined; id = ids[next++]) await one(id);
    }),
  );
  return result;
}
