/**
 * Where a call's activities run. Its bookkeeping (planning, lanes' windows, operator actions) runs
 * on the workflow's own task queue, dispatched eagerly to the worker that ran the workflow task;
 * its deliveries run on a queue of their own, with their own slots: deliveries to slow receivers
 * can fill every delivery slot and no call's bookkeeping waits behind them.
 */
export function deliveryTaskQueue(workflowTaskQueue: string): string {
  return `${workflowTaskQueue}-deliveries`;
}
