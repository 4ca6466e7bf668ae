/** What a load generator drives: one variant (wire, floor or callhook) set up for one measured run. */
import type { DeliveryLog } from './delivery-log';
import type { BenchEvent, Variant } from './types';

export interface TargetSpec {
  /** Unique in the run; prefixes call ids, the client id and event ids. Letters, digits and - only. */
  tag: string;
  /** Healthy endpoints (floor: lanes) each event goes to. */
  endpoints: number;
  /** Add one more endpoint (floor: lane) that always fails until the target is closed. */
  failing?: boolean;
}

export interface Target {
  readonly variant: Variant;
  readonly spec: TargetSpec;
  /** Healthy deliveries, with per-call order checked. */
  readonly log: DeliveryLog;
  /** Submissions refused and retried so far (callhook: 503 "retry later with the same id"). */
  readonly retriedSubmissions: number;
  /** Submits one event; resolves once it is accepted. Events of one call are submitted one at a time, in order. */
  submit(event: BenchEvent): Promise<void>;
  /**
   * Ends the run so no work lingers into the next one: a failing endpoint is healed and drained
   * (bounded); after a failed run, the run's workflows are terminated.
   */
  close(ended: 'completed' | 'failed'): Promise<void>;
}

/** Builds a target of one variant for a spec. */
type TargetFactory = (spec: TargetSpec) => Promise<Target>;
