/** The vocabulary shared by the benchmark's loads, targets, scenarios and report. */

/**
 * What one measured run goes through:
 * - `wire`: the receiver hit directly with HTTP POSTs (the network and receiver alone);
 * - `floor`: a minimal Temporal workflow with no-op activities (Temporal's cost alone);
 * - `callhook`: the real API, workflow, Postgres and delivery to the receiver.
 */
export type Variant = 'wire' | 'floor' | 'callhook';
export const VARIANTS: readonly Variant[] = ['wire', 'floor', 'callhook'];

/** One call event as the load generator sees it. */
export interface BenchEvent {
  /** Unique in the whole run (also callhook's idempotency key). */
  id: string;
  callId: string;
  /** 0-based position in its call: the order every receiver must see. */
  seq: number;
  /** The call's last event (a terminal event type for callhook). */
  terminal: boolean;
}

/** Latency or duration percentiles, in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The outcome of one measured run of one variant. */
export interface RunOutcome {
  variant: Variant;
  events: number;
  /** Deliveries counted: events × healthy endpoints (or lanes). */
  deliveries: number;
  /** First submission to last delivery. */
  seconds: number;
  /** Deliveries per second over `seconds`. */
  throughput: number;
  /** Submission (or scheduled time, open loop) → arrival at the receiver (floor: the no-op activity ran). */
  latency: Summary;
  /** Submission → accepted (callhook: 202; floor: signal-with-start returned; wire: the POST's response). */
  accept: Summary;
  /** Deliveries seen more than once (at-least-once); not counted in latency. */
  duplicates: number;
  /** Submissions refused and retried with the same id (their wait counts in latency and accept). */
  retriedSubmissions: number;
}

/** One line of a scenario's table: a figure for each variant measured. */
export interface Row {
  label: string;
  unit: string;
  values: Partial<Record<Variant, number>>;
  /** Whether a bigger figure is better (throughput) or worse (latency, memory). */
  higherIsBetter?: boolean;
  /** Show callhook/floor and callhook/wire (default); false where a ratio means nothing. */
  ratios?: boolean;
  /** Also shown in the summary at the top of the report. */
  headline?: boolean;
}

/** One point of the latency-vs-offered-rate chart. */
export interface RatePoint {
  variant: Variant;
  offeredRate: number;
  achievedRate: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface ScenarioResult {
  name: string;
  title: string;
  /** What the scenario did, sizes included (shown above its table). */
  description: string;
  params: Record<string, number | string>;
  rows: Row[];
  notes: string[];
  /** Per variant: every run's outcome, for latest.json. */
  runs: Partial<Record<Variant, Record<string, RunOutcome>>>;
  ratePoints?: RatePoint[];
  /** Anything else a scenario measures (RSS samples…). */
  extra?: Record<string, unknown>;
  seconds: number;
  /** 1-minute load average when the scenario started and ended: other work on the machine shows here. */
  loadAverage: { start: number; end: number };
}
