/** Cleanup after a failed run: its call workflows are terminated so they stop working in the background. */
import type { Client } from '@temporalio/client';
import { range } from './stats';

const PARALLEL = 20;

/** Terminates the workflows `workflowIds` (those already closed or never started are skipped). */
export async function terminateWorkflows(client: Client, workflowIds: Iterable<string>, reason: string): Promise<void> {
  const ids = [...workflowIds];
  let next = 0;
  await Promise.all(
    range(Math.min(PARALLEL, ids.length)).map(async () => {
      for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
        await client.workflow.getHandle(id).terminate(reason).catch(() => undefined);
      }
    }),
  );
}
