/**
 * Lane scheduling: one lane per endpoint of a call, delivering that endpoint's deliveries one
 * at a time in lane order (per-call FIFO), independently of the other lanes. A lane holds a
 * bounded window of its queue; Postgres holds the rest (and everything a run forgets).
 *
 * A lane sends its backlog in batches (one activity, one attempt each, in order) and hands a
 * delivery that fails retryably to Temporal's retry policy in an activity of its own, after
 * waiting out the backoff with a durable timer — so the backoff survives continue-as-new: the
 * next run reads the due time back from Postgres.
 *
 * A delivery its endpoint holds (paused, circuit open, rate limited) is not attempted: the lane
 * waits, with no attempt counted, until the hold's time or a wake-up signal (resumed, circuit
 * closed), then tries the same delivery again — so a held endpoint still gets a call's events in order.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LaneRetry, LaneWindow } from '../schemas/call-workflow-messages';
import type { LaneItem } from '../schemas/call-workflow-messages';
import { inEventTrace } from './event-trace';
import { NON_RETRYABLE_DELIVERY_ERRORS, retryDelayMs, type DeliverySettings } from '../config/delivery-settings';
import type { Hold } from './messages';
import { deliveryTaskQueue } from './task-queues';

/** Deliveries a lane keeps in memory; the rest wait in Postgres. */
export const LANE_WINDOW = 200;
/** Deliveries sent by one batch activity at the most. */
export const BATCH_SIZE = 50;
/** Heartbeats reach an activity's worker this often at least, so a cancellation (skip) reaches a running attempt. */
const HEARTBEAT_TIMEOUT_MS = 5_000;
/** A held lane looks again after this long at the latest, should its wake-up signal be lost. */
export const HELD_RECHECK_MS = 5 * 60_000;

/** What a lane needs of its workflow. */
export interface LaneHost {
  readonly callId: string;
  readonly settings: DeliverySettings;
  /** Continue-as-new or cancellation is under way: start nothing new. */
  draining(): boolean;
  loadLane(endpointId: string, afterLaneSeq: number): Promise<LaneWindow | undefined>;
  markFailed(deliveryId: string, reason: string): Promise<void>;
  delivered(item: LaneItem): void;
  failed(item: LaneItem, error: string): void;
  /** A delivery had ended before the lane ran it (a reset run, a signal sent twice): Postgres knew more than the run. */
  outdated(): void;
  changed(): void;
}

export class Lane {
  items: LaneItem[] = [];
  /** Pending deliveries follow the window in Postgres (after `cursor`). */
  more = false;
  /** The lane_seq of the last delivery the window took in. */
  cursor = 0;
  /** The head delivery is part-way through its retries. */
  retry: LaneRetry | null = null;
  /** The activity (or backoff) under way, to cancel it: a batch of the backlog, or the head's retry. */
  current: { scope: CancellationScope; deliveryIds: string[]; kind?: 'batch' | 'retry' } | null = null;
  /** The window no longer matches Postgres (after a skip, a cancelled batch, a delivery it had dropped): read it again. */
  stale = false;
  runner: Promise<void> | null = null;
  /** The head waits for its endpoint (paused, circuit open, rate limited). */
  held: Hold | null = null;
  /** A wake-up came while held: look again now. */
  woken = false;
  /** A wake-up came while an activity of this lane ran: if that activity finds the lane held, look again now (the wake-up may be the one it waits for). */
  wokenEarly = false;

  constructor(readonly endpointId: string) {}

  static fromWindow(window: LaneWindow): Lane {
    const lane = new Lane(window.endpointId);
    lane.take(window);
    return lane;
  }

  /** Replaces the window with one read from Postgres. */
  take(window: LaneWindow | undefined): void {
    this.items = window?.items ?? [];
    this.more = window?.more ?? false;
    const last = this.items.at(-1)?.laneSeq ?? 0;
    // A truncated window is where the next read starts; a complete one cannot move the cursor back.
    this.cursor = this.more ? last : Math.max(this.cursor, last);
    this.retry = window?.retry ?? null;
    this.stale = false;
  }

  /** A planned (or reopened) delivery: queued in memory, unless Postgres is where the lane will read it. */
  add(item: LaneItem): void {
    if (this.items.some((i) => i.deliveryId === item.deliveryId)) return;
    if (this.more) return; // after the window: read when the window drains
    if (item.laneSeq <= this.cursor) {
      // Older than what the window took in, yet not in it (a reset run finding deliveries again).
      this.stale = true;
      return;
    }
    this.items.push(item);
    this.cursor = item.laneSeq;
    if (this.items.length > LANE_WINDOW) {
      this.items.length = LANE_WINDOW;
      this.more = true;
      this.cursor = this.items.at(-1)!.laneSeq;
    }
  }

  /**
   * Skipped by an operator (Postgres says so already): a retry stops at once, its backoff or its
   * attempt (which the activity then logs as cancelled, not as an attempt); a batch goes on with
   * its other deliveries, passing this one over or abandoning its attempt under way; a queued
   * delivery is forgotten.
   */
  skipped(deliveryId: string): void {
    if (this.current?.deliveryIds.includes(deliveryId)) {
      // Runs before this patch cancelled the whole batch: they replay as they ran.
      if (this.current.kind === 'batch' && patched(SKIP_STOPS_ONLY_ITS_DELIVERY)) return;
      this.stale = true;
      this.current.scope.cancel();
    } else {
      this.items = this.items.filter((i) => i.deliveryId !== deliveryId);
      if (this.retry?.deliveryId === deliveryId) this.retry = null;
      if (this.held) this.woken = true; // the head it waited with may be gone
    }
  }

  /**
   * Retry now (an operator): if `deliveryId` is the head waiting out its backoff, the wait ends
   * (its workflow timer, or the retry policy's backoff of its activity: the activity is cancelled),
   * and the lane attempts it at once, the retries going on from there. Says whether it was waiting.
   */
  retryNow(deliveryId: string): boolean {
    if (this.retry?.deliveryId !== deliveryId) return false;
    if (this.current?.kind === 'retry' && this.current.deliveryIds.includes(deliveryId)) this.current.scope.cancel();
    else this.retry = { ...this.retry, nextAttemptAt: null };
    return true;
  }

  /** Its endpoint may be sent to again (resumed, circuit closed). */
  wake(): void {
    if (this.held) this.woken = true;
    else this.wokenEarly = true;
  }

  get idle(): boolean {
    return this.items.length === 0 && !this.more && !this.stale;
  }

  remove(deliveryId: string): LaneItem | undefined {
    const index = this.items.findIndex((i) => i.deliveryId === deliveryId);
    return index < 0 ? undefined : this.items.splice(index, 1)[0];
  }
}

/** Runs a lane until its queue is empty or the run drains; deliveries it cannot finish stay pending in Postgres. */
export async function runLane(host: LaneHost, lane: Lane): Promise<void> {
  for (;;) {
    if (host.draining()) return;
    if (lane.held) {
      await waitWhileHeld(host, lane);
      continue;
    }
    if (lane.stale || (lane.items.length === 0 && lane.more)) {
      lane.take(await host.loadLane(lane.endpointId, lane.stale ? 0 : lane.cursor));
      host.changed();
      continue;
    }
    const head = lane.items[0];
    if (!head) return;
    if (lane.retry?.deliveryId === head.deliveryId) await retryHead(host, lane, head);
    else await deliverBacklog(host, lane);
  }
}

/** Whether an activity ended because its scope was cancelled (skip, continue-as-new, the call cancelled). */
function cancelled(err: unknown, scope: CancellationScope): boolean {
  if (isCancellation(err)) return true;
  if (!(err instanceof ActivityFailure)) return false;
  // An attempt that ended its delivery (a final answer, its last attempt) says so whatever was asked meanwhile: taken
  // for a cancellation, the delivery would be failed in Postgres with no notice sent. Runs before the patch replay as they ran.
  if (err.cause instanceof ApplicationFailure && err.cause.nonRetryable && patched(ENDING_FAILURES_OUTLIVE_CANCELLATION)) return false;
  // A retryable attempt failing while the cancellation was pending arrives as a failure (retry state CANCEL_REQUESTED).
  return err.retryState === 'CANCEL_REQUESTED' || scope.consideredCancelled;
}

async function deliverBacklog(host: LaneHost, lane: Lane): Promise<void> {
  const batch = lane.items.slice(0, BATCH_SIZE);
  const { settings } = host;
  const first = batch[0]!;
  const activity = proxyActivities<Activities>({
    // The batch stops starting attempts after `budgetMs`; the last may take a whole attempt timeout.
    taskQueue: deliveryTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: 2 * settings.attemptTimeoutMs + 5_000,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: `${batch.slice(0, 3).map((i) => i.eventType).join(', ')}${batch.length > 3 ? ` +${batch.length - 3} more` : ''} → ${first.kind} ${lane.endpointId}`,
    // Delivery outcomes are its result; only infrastructure errors (Postgres unreachable, a worker lost) are retried.
    retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2 },
  }).deliverBatch;
  const scope = new CancellationScope();
  lane.current = { scope, deliveryIds: batch.map((i) => i.deliveryId), kind: 'batch' };
  lane.wokenEarly = false;
  host.changed();
  let result;
  try {
    result = await scope.run(() => inEventTrace(first.traceparent, () => activity({ deliveryIds: lane.current!.deliveryIds, budgetMs: settings.attemptTimeoutMs })));
  } catch (err) {
    if (!cancelled(err, scope)) throw err;
    lane.stale = true; // which of the batch were sent, Postgres knows
    return;
  } finally {
    lane.current = null;
  }
  for (const outcome of result.outcomes) {
    if (outcome.outcome === 'held') {
      lane.held = outcome.hold;
      break;
    }
    if (outcome.outcome === 'retrying') {
      lane.retry = { deliveryId: outcome.deliveryId, attempts: outcome.attempts, nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error };
      break;
    }
    const item = lane.remove(outcome.deliveryId);
    if (outcome.outcome === 'ended') host.outdated();
    if (!item) continue;
    if (outcome.outcome === 'succeeded') host.delivered(item);
    else if (outcome.outcome === 'failed') host.failed(item, outcome.error);
    // Failed by an attempt whose result this run never saw (a worker lost after it, a reset run): its notice is still due.
    else if (outcome.status === 'failed') host.failed(item, outcome.error ?? 'failed');
  }
  host.changed();
}

/** The head delivery is retrying: wait out its backoff, then let the retry policy have the rest of its attempts. */
async function retryHead(host: LaneHost, lane: Lane, head: LaneItem): Promise<void> {
  const retry = lane.retry!;
  const { settings } = host;
  const activity = proxyActivities<Activities>({
    taskQueue: deliveryTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: settings.attemptTimeoutMs + 5_000,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: `${head.eventType} → ${head.kind} ${lane.endpointId} (retry)`,
    retry: {
      // Attempts go on where the round is: the policy's first delay is the one after attempt `attempts + 1`.
      initialInterval: retryDelayMs(settings, retry.attempts + 1),
      backoffCoefficient: settings.backoffCoefficient,
      maximumInterval: settings.maximumIntervalMs,
      // The attempt that ends a delivery (its last, or a final answer) says so itself, from the count in
      // Postgres; so failures that are no attempt (Postgres unreachable, a lost worker) must not use up
      // the policy's attempts, or an outage would leave the delivery pending for good. Older runs counted them.
      ...(!patched(OUTAGES_USE_NO_ATTEMPTS) && { maximumAttempts: Math.max(settings.maxAttempts - retry.attempts, 1) }),
      nonRetryableErrorTypes: NON_RETRYABLE_DELIVERY_ERRORS,
    },
  }).deliver;
  const scope = new CancellationScope();
  lane.current = { scope, deliveryIds: [head.deliveryId], kind: 'retry' };
  lane.wokenEarly = false;
  host.changed();
  let held: Hold | undefined;
  try {
    const result = await scope.run(async () => {
      const wait = (retry.nextAttemptAt ?? 0) - Date.now();
      if (wait > 0) await sleep(wait);
      return inEventTrace(head.traceparent, () => activity({ deliveryId: head.deliveryId }));
    });
    held = result.held;
    if (held) {
      lane.held = held; // the retry goes on, as it was, once the endpoint may be sent to
      return;
    }
    lane.remove(head.deliveryId);
    if (result.ended) host.outdated();
    // It had ended before (or was skipped under way): a failure this run never saw still owes its notice.
    if (result.ended === 'failed') host.failed(head, result.error ?? 'failed');
    else if (result.ended !== 'skipped') host.delivered(head);
  } catch (err) {
    if (cancelled(err, scope)) return; // skipped (the lane reads Postgres again) or draining (the next run resumes)
    const reason = failureReason(err);
    // The attempt that ends a delivery marks it failed itself; a lost one (a timeout) has not.
    if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)) await host.markFailed(head.deliveryId, reason);
    lane.remove(head.deliveryId);
    host.failed(head, reason);
  } finally {
    lane.current = null;
    if (!host.draining() && !held) lane.retry = null; // delivered, failed, or skipped (the lane reads Postgres again)
    host.changed();
  }
}

/** The patch that stopped infrastructure failures counting as delivery attempts (see retryHead). */
export const OUTAGES_USE_NO_ATTEMPTS = 'deliver-outages-use-no-attempts';
/** The patch after which a wake-up that came while the lane's activity ran ends the hold that activity reports (see waitWhileHeld). */
export const EARLY_WAKE_UPS_COUNT = 'early-wake-ups-count';
/** The patch after which a skip no longer cancels the batch its delivery is part of (see Lane.skipped). */
export const SKIP_STOPS_ONLY_ITS_DELIVERY = 'skip-stops-only-its-delivery';
/** The patch after which an attempt that ended its delivery is never taken for a cancellation (see cancelled). */
export const ENDING_FAILURES_OUTLIVE_CANCELLATION = 'ending-failures-outlive-cancellation';

/** Waits until the hold's time, a wake-up, or the run drains; then the lane tries its head again. */
async function waitWhileHeld(host: LaneHost, lane: Lane): Promise<void> {
  const { until } = lane.held!;
  // Woken while the activity that found it held ran (the wake-up signal came before its result): look again at once.
  // Runs before the patch waited for the next wake-up (or the recheck); they replay as they ran.
  if (lane.wokenEarly && patched(EARLY_WAKE_UPS_COUNT)) {
    lane.wokenEarly = false;
    lane.held = null;
    host.changed();
    return;
  }
  host.changed();
  const waitMs = until === null ? HELD_RECHECK_MS : Math.min(Math.max(until - Date.now(), 50), HELD_RECHECK_MS);
  await condition(() => lane.woken || host.draining(), waitMs);
  lane.held = null;
  lane.woken = false;
  host.changed();
}

/** The most specific message in an activity failure chain. */
function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
