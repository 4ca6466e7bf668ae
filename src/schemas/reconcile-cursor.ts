/** The reconcile workflow's place between runs (its input): where the previous page of calls ended; calls are listed by (since, callId). */
export interface ReconcileCursor {
  /** ISO-8601 with Postgres' microseconds, so the next page starts exactly after it. */
  since: string;
  callId: string;
}
