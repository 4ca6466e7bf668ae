import {
  ActivityCancellationType,
  ActivityFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_DELIVERY_ERRORS, type DeliverySettings } from '../delivery-settings';
import { isTerminalEventType } from '../event-types';
import type { CallEvent } from '../schemas/call-event';
import {
  callEventSignal,
  stateQuery,
  type CallStateView,
  type CallWorkflowInput,
  type CallWorkflowResult,
  type CarriedState,
  type EventSummary,
  type FailureSummary,
  type LaneItem,
} from './messages';

const RECENT_EVENTS_KEPT = 50;
const FAILURES_KEPT = 50;

/** Bookkeeping activities (planning, marking failures): they retry until Postgres answers. */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const { loadDeliverySettings } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s' });

/**
 * One workflow per call (workflow id = callId). Events arrive as signals and are fanned out in
 * arrival order to the endpoints subscribed at that moment. Each endpoint has its own lane: a
 * lane delivers one event at a time, so a call's events reach an endpoint in order, while lanes
 * (and calls) proceed independently — a retrying endpoint holds back only itself.
 */
export async function callWorkflow(input: CallWorkflowInput): Promise<CallWorkflowResult> {
  const carried = input.carried;
  const inbox: CallEvent[] = [...(carried?.inbox ?? [])];
  const seen = new Set(carried?.seenEventIds ?? []);
  const lanes = new Map<string, LaneItem[]>(carried?.lanes.map((lane) => [lane.endpointId, lane.items]) ?? []);
  const running = new Map<string, Promise<void>>();
  const recentEvents: EventSummary[] = [...(carried?.recentEvents ?? [])];
  const failures: FailureSummary[] = [...(carried?.failures ?? [])];
  const totals = { ...(carried?.totals ?? { events: 0, succeeded: 0, failed: 0 }) };
  let terminalSeen = carried?.terminalSeen ?? false;

  setHandler(callEventSignal, (event) => {
    if (seen.has(event.id)) {
      log.info('duplicate event ignored', { eventId: event.id });
      return;
    }
    seen.add(event.id);
    inbox.push(event);
  });

  setHandler(stateQuery, (): CallStateView => ({
    callId: input.callId,
    terminalSeen,
    waitingEvents: inbox.length,
    recentEvents,
    lanes: [...lanes].map(([endpointId, items]) => ({
      endpointId,
      inFlight: running.has(endpointId) ? (items[0]?.deliveryId ?? null) : null,
      queued: items.length,
    })),
    failures,
    totals,
  }));

  const settings = await loadDeliverySettings();
  const deliveriesScope = new CancellationScope();

  function deliveryActivity(maximumAttempts: number): Activities['deliver'] {
    return proxyActivities<Activities>({
      startToCloseTimeout: settings.attemptTimeoutMs + 5_000,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: {
        initialInterval: settings.initialIntervalMs,
        backoffCoefficient: settings.backoffCoefficient,
        maximumInterval: settings.maximumIntervalMs,
        maximumAttempts,
        nonRetryableErrorTypes: NON_RETRYABLE_DELIVERY_ERRORS,
      },
    }).deliver;
  }
  const deliver = deliveryActivity(settings.maxAttempts);

  async function deliverOne(item: LaneItem): Promise<void> {
    // A delivery resumed after continue-as-new keeps its attempt budget: only what is left of it.
    const priorAttempts = item.resumed ? await bookkeeping.countAttempts(item.deliveryId) : 0;
    const remaining = settings.maxAttempts - priorAttempts;
    try {
      if (remaining <= 0) throw new Error(`no attempts left after ${priorAttempts}`);
      await (priorAttempts === 0 ? deliver : deliveryActivity(remaining))({ deliveryId: item.deliveryId, priorAttempts });
      totals.succeeded++;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const reason = failureReason(err);
      await CancellationScope.nonCancellable(() => bookkeeping.markFailed(item.deliveryId, reason));
      totals.failed++;
      failures.push({ ...pick(item), error: reason });
      if (failures.length > FAILURES_KEPT) failures.shift();
      log.warn('delivery failed', { deliveryId: item.deliveryId, endpointId: item.endpointId, reason });
    }
  }

  async function runLane(endpointId: string, items: LaneItem[]): Promise<void> {
    try {
      while (items.length > 0) {
        const item = items[0]!;
        try {
          await deliverOne(item);
        } catch (err) {
          if (!isCancellation(err)) throw err;
          item.resumed = true; // stopped for continue-as-new: the next run picks it up again
          return;
        }
        items.shift();
      }
      lanes.delete(endpointId);
    } finally {
      // In the same step as the lane's last shift, so a delivery fanned out next starts a new runner.
      running.delete(endpointId);
    }
  }

  function startLane(endpointId: string): void {
    const items = lanes.get(endpointId);
    if (!items || running.has(endpointId)) return;
    running.set(endpointId, deliveriesScope.run(() => runLane(endpointId, items)));
  }

  async function fanOut(event: CallEvent): Promise<void> {
    const plan = await bookkeeping.planDeliveries(event, workflowInfo().runId);
    totals.events++;
    if (isTerminalEventType(event.eventType)) terminalSeen = true;
    recentEvents.push({ id: event.id, eventType: event.eventType, deliveries: plan.duplicate ? 0 : plan.deliveries.length });
    if (recentEvents.length > RECENT_EVENTS_KEPT) recentEvents.shift();
    if (plan.duplicate) return;
    for (const delivery of plan.deliveries) {
      const lane = lanes.get(delivery.endpointId);
      if (lane) lane.push(delivery);
      else lanes.set(delivery.endpointId, [delivery]);
      startLane(delivery.endpointId);
    }
  }

  for (const endpointId of lanes.keys()) startLane(endpointId);

  const canSuggested = () => workflowInfo().continueAsNewSuggested;
  for (;;) {
    if (canSuggested()) break;
    const next = inbox.shift();
    if (next) {
      await fanOut(next);
      continue;
    }
    if (running.size > 0) {
      await condition(() => inbox.length > 0 || running.size === 0 || canSuggested());
      continue;
    }
    // Everything delivered and nothing waiting: wait for more, or finish after the idle period.
    const idleMs = terminalSeen ? settings.idleTimeoutMs : settings.abandonTimeoutMs;
    const woken = await condition(() => inbox.length > 0 || canSuggested(), idleMs);
    if (!woken && inbox.length === 0 && running.size === 0) {
      await condition(allHandlersFinished);
      if (inbox.length === 0) return { callId: input.callId, ...totals };
    }
  }

  // Continue-as-new: stop the lanes (an attempt under way finishes first), then hand everything on.
  deliveriesScope.cancel();
  await Promise.all(running.values());
  await condition(allHandlersFinished);
  const next: CarriedState = {
    inbox,
    seenEventIds: [...seen],
    lanes: [...lanes].filter(([, items]) => items.length > 0).map(([endpointId, items]) => ({ endpointId, items })),
    terminalSeen,
    recentEvents,
    failures,
    totals,
  };
  return continueAsNew<typeof callWorkflow>({ callId: input.callId, carried: next });
}

function pick(item: LaneItem): Omit<FailureSummary, 'error'> {
  return { deliveryId: item.deliveryId, endpointId: item.endpointId, eventId: item.eventId, eventType: item.eventType };
}

/** The most specific message in an activity failure chain. */
function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

export type { DeliverySettings };
