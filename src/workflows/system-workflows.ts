/**
 * The names and inputs of callhook's workflows other than the call workflow (recover, reconcile,
 * retention): what the API, the schedules and the workflows themselves share, with nothing that runs.
 */

export const RECOVER_WORKFLOW_TYPE = 'recoverEndpointWorkflow';

export interface RecoverInput {
  endpointId: string;
  since: string;
  until?: string | undefined;
  /** Where the previous run stopped (continue-as-new). */
  afterSeq?: string;
  /** Calls signalled by earlier runs. */
  signalled?: number;
}

export const RECONCILE_WORKFLOW_TYPE = 'reconcileWorkflow';

export interface ReconcileInput {
  /** RECONCILE_GRACE: how long past due a lane's head (or how long ago a failure) must be before its call is looked at. */
  graceMs: number;
  /** Calls per page; RECONCILE_PAGE_SIZE unless given. */
  pageSize?: number;
  /** Pages per run at most; RECONCILE_MAX_PAGES unless given. */
  maxPages?: number;
  /** RECONCILE_NOTICE_WINDOW_MS unless given. */
  noticeWindowMs?: number;
}

export const RETENTION_WORKFLOW_TYPE = 'retentionWorkflow';

export interface RetentionTotals {
  deliveries: number;
  attempts: number;
  actions: number;
  events: number;
  batches: number;
  /** Calls whose content was erased (CLIENT_PAYLOAD_RETENTION); absent from runs before it. */
  erasedCalls?: number;
}

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
