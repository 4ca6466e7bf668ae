import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DeliveryErrorType, NON_RETRYABLE_DELIVERY_ERRORS } from '../delivery-settings';
import { DELIVERY_FAILED_EVENT, TEST_EVENT, isTerminalEventType } from '../event-types';
import type { CallEvent } from '../schemas/call-event';
import { CallStatus, ClientId, DeliveryState, LastEventType, type DeliveryStateValue } from '../temporal/search-attributes';
import {
  attemptFailedSignal,
  callEventSignal,
  redeliverSignal,
  skipSignal,
  stateQuery,
  type CallStateView,
  type CallWorkflowInput,
  type CallWorkflowResult,
  type CarriedState,
  type EventSummary,
  type FailureSummary,
  type InboxItem,
  type LaneItem,
  type RedeliverRequest,
  type SkipRequest,
} from './messages';

const RECENT_EVENTS_KEPT = 50;
const FAILURES_KEPT = 50;

/**
 * Bookkeeping (planning, marking outcomes): short Postgres writes, run as local activities in the
 * worker that runs the workflow, which saves a round trip through the server per event. They
 * retry until Postgres answers.
 */
const bookkeeping = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const { loadDeliverySettings } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s' });

/**
 * One workflow per call (workflow id = callId). Events arrive as signals and are fanned out in
 * arrival order to the endpoints subscribed at that moment. Each endpoint has its own lane: a
 * lane delivers one event at a time, so a call's events reach an endpoint in order, while lanes
 * (and calls) proceed independently — a retrying endpoint holds back only itself.
 * Operators steer it with the `redeliver` and `skip` signals and read it with the `state` query.
 */
export async function callWorkflow(input: CallWorkflowInput): Promise<CallWorkflowResult> {
  const carried = input.carried;
  const inbox: InboxItem[] = [...(carried?.inbox ?? [])];
  const seen = new Set(carried?.seenEventIds ?? []);
  const lanes = new Map<string, LaneItem[]>(carried?.lanes.map((lane) => [lane.endpointId, lane.items]) ?? []);
  const running = new Map<string, Promise<void>>();
  /** Per delivery in flight: its cancellation scope (for skip) and its last failed attempt. */
  const inFlight = new Map<string, { scope: CancellationScope; lastAttempt: number | null; lastError: string | null }>();
  const skips = new Map((carried?.skips ?? []).map((skip) => [skip.deliveryId, skip]));
  const failedOutstanding = new Set(carried?.failedOutstanding ?? []);
  const recentEvents: EventSummary[] = [...(carried?.recentEvents ?? [])];
  const failures: FailureSummary[] = [...(carried?.failures ?? [])];
  const totals = { ...(carried?.totals ?? { events: 0, succeeded: 0, failed: 0 }) };
  let terminalSeen = carried?.terminalSeen ?? false;
  let clientId = carried?.clientId ?? null;
  let callStatus = carried?.callStatus ?? null;
  let lastEventType = carried?.lastEventType ?? null;

  setHandler(callEventSignal, (event) => {
    if (seen.has(event.id)) {
      log.info('duplicate event ignored', { eventId: event.id });
      return;
    }
    seen.add(event.id);
    inbox.push({ kind: 'event', event });
  });
  setHandler(redeliverSignal, (request?: RedeliverRequest) => {
    inbox.push({ kind: 'redeliver', request: request ?? {} });
  });
  setHandler(skipSignal, (request: SkipRequest) => {
    if (!request?.deliveryId) {
      log.warn('skip signal without a deliveryId ignored');
      return;
    }
    skips.set(request.deliveryId, request);
    // In flight: stop it (an attempt under way finishes first); queued: its lane skips it on reaching it.
    inFlight.get(request.deliveryId)?.scope.cancel();
  });
  setHandler(attemptFailedSignal, (notice) => {
    const delivery = inFlight.get(notice.deliveryId);
    if (!delivery) return; // it ended meanwhile
    delivery.lastAttempt = notice.attemptNumber;
    delivery.lastError = notice.error;
    publish();
  });
  setHandler(stateQuery, (): CallStateView => ({
    callId: input.callId,
    clientId,
    deliveryState: deliveryState(),
    terminalSeen,
    waitingEvents: inbox.length,
    recentEvents,
    lanes: [...lanes].map(([endpointId, items]) => {
      const head = items[0];
      const current = head && inFlight.get(head.deliveryId);
      return {
        endpointId,
        inFlight: head && current ? { deliveryId: head.deliveryId, eventType: head.eventType, lastAttempt: current.lastAttempt, lastError: current.lastError } : null,
        queued: items.slice(current ? 1 : 0).map((item) => item.deliveryId),
      };
    }),
    failures: failures.filter((f) => failedOutstanding.has(f.deliveryId)).reverse(),
    totals,
  }));

  const settings = await loadDeliverySettings();
  const deliveriesScope = new CancellationScope();

  function deliveryActivity(maximumAttempts: number, item: LaneItem): Activities['deliver'] {
    return proxyActivities<Activities>({
      startToCloseTimeout: settings.attemptTimeoutMs + 5_000,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      summary: `${item.eventType} → ${item.kind} ${item.endpointId}`,
      retry: {
        initialInterval: settings.initialIntervalMs,
        backoffCoefficient: settings.backoffCoefficient,
        maximumInterval: settings.maximumIntervalMs,
        maximumAttempts,
        nonRetryableErrorTypes: NON_RETRYABLE_DELIVERY_ERRORS,
      },
    }).deliver;
  }

  function deliveryState(): DeliveryStateValue {
    if (failedOutstanding.size > 0) return 'failed';
    return [...inFlight.values()].some((d) => d.lastError !== null) ? 'retrying' : 'ok';
  }

  /** Keeps the UI's view current: search attributes (only when they change) and the details line. */
  let published = '';
  function publish(): void {
    const values = { clientId, callStatus, state: deliveryState(), lastEventType };
    const key = JSON.stringify(values);
    if (key !== published) {
      published = key;
      upsertSearchAttributes([
        ...(values.clientId ? [{ key: ClientId, value: values.clientId }] : []),
        ...(values.callStatus ? [{ key: CallStatus, value: values.callStatus }] : []),
        ...(values.lastEventType ? [{ key: LastEventType, value: values.lastEventType }] : []),
        { key: DeliveryState, value: values.state },
      ]);
    }
    const retrying = [...inFlight].filter(([, d]) => d.lastError !== null);
    const waiting = [
      `**${inFlight.size}** deliveries in flight, **${[...lanes.values()].reduce((n, items) => n + items.length, 0)}** in lanes, **${inbox.length}** events waiting.`,
      ...retrying.map(([id, d]) => `- retrying \`${id}\`: attempt ${d.lastAttempt} failed: ${d.lastError}`),
      failedOutstanding.size > 0 ? `**${failedOutstanding.size}** failed deliveries: signal \`redeliver\` with \`{}\` to send them again.` : '',
      inFlight.size === 0 && inbox.length === 0
        ? `Idle: finishes after the ${terminalSeen && failedOutstanding.size === 0 ? 'idle' : 'abandon'} period unless an event or a signal arrives.`
        : '',
    ];
    setCurrentDetails(waiting.filter(Boolean).join('\n'));
  }

  async function deliverOne(item: LaneItem): Promise<void> {
    const skip = skips.get(item.deliveryId);
    if (skip) return skipOne(item, skip);
    const base = item.attemptBase ?? 0;
    // Resumed after continue-as-new: attempts already made count against this round's budget.
    const made = item.resumed ? await bookkeeping.countAttempts(item.deliveryId) : base;
    const remaining = settings.maxAttempts - (made - base);
    const scope = new CancellationScope();
    inFlight.set(item.deliveryId, { scope, lastAttempt: null, lastError: null });
    publish();
    try {
      if (remaining <= 0) throw new Error(`no attempts left: ${made - base} made`);
      await scope.run(() => deliveryActivity(remaining, item)({ deliveryId: item.deliveryId, priorAttempts: made }));
      totals.succeeded++;
      failedOutstanding.delete(item.deliveryId);
    } catch (err) {
      if (interrupted(err, scope)) {
        const skipNow = skips.get(item.deliveryId);
        if (skipNow) return await skipOne(item, skipNow);
        throw new CancelledFailure('delivery interrupted for continue-as-new', undefined, err as Error); // the lane keeps it
      }
      await failOne(item, failureReason(err));
    } finally {
      inFlight.delete(item.deliveryId);
      publish();
    }
  }

  async function skipOne(item: LaneItem, skip: SkipRequest): Promise<void> {
    await CancellationScope.nonCancellable(() =>
      bookkeeping.skipDelivery(item.deliveryId, skip.source ?? 'temporal-ui', skip.reason ?? null),
    );
    skips.delete(item.deliveryId);
    failedOutstanding.delete(item.deliveryId);
    log.warn('delivery skipped by operator', { deliveryId: item.deliveryId });
  }

  async function failOne(item: LaneItem, reason: string): Promise<void> {
    await CancellationScope.nonCancellable(() => bookkeeping.markFailed(item.deliveryId, reason));
    totals.failed++;
    failedOutstanding.add(item.deliveryId);
    failures.push({ deliveryId: item.deliveryId, endpointId: item.endpointId, eventId: item.eventId, eventType: item.eventType, error: reason });
    if (failures.length > FAILURES_KEPT) failures.shift();
    log.warn('delivery failed', { deliveryId: item.deliveryId, endpointId: item.endpointId, reason });
    // Tell the client's endpoints subscribed to WEBHOOK_DELIVERY_FAILED — never about those notices themselves.
    if (item.eventType === DELIVERY_FAILED_EVENT || item.eventType === TEST_EVENT || !clientId) return;
    const id = `whfail_${item.deliveryId}_${item.attemptBase ?? 0}`;
    if (seen.has(id)) return;
    seen.add(id);
    inbox.push({
      kind: 'event',
      event: {
        id,
        eventType: DELIVERY_FAILED_EVENT,
        occurredAt: new Date().toISOString(),
        body: {
          data: {
            callId: input.callId,
            clientId,
            deliveryId: item.deliveryId,
            endpointId: item.endpointId,
            failedEventId: item.eventId,
            failedEventType: item.eventType,
          },
          errors: [{ code: 'DELIVERY_FAILED', message: reason, phase: 'DELIVERY' }],
        },
      },
    });
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

  function enqueue(delivery: LaneItem): void {
    const lane = lanes.get(delivery.endpointId);
    if (lane) lane.push(delivery);
    else lanes.set(delivery.endpointId, [delivery]);
    if (!running.has(delivery.endpointId)) {
      const items = lanes.get(delivery.endpointId)!;
      running.set(delivery.endpointId, deliveriesScope.run(() => runLane(delivery.endpointId, items)));
    }
  }

  async function fanOut(event: CallEvent): Promise<void> {
    const plan = await bookkeeping.planDeliveries(event, workflowInfo().runId);
    if (event.eventType !== DELIVERY_FAILED_EVENT) totals.events++; // the call's events, not callhook's notices
    if (isTerminalEventType(event.eventType)) terminalSeen = true;
    if (event.eventType !== DELIVERY_FAILED_EVENT) {
      clientId = event.body.data.clientId;
      lastEventType = event.eventType;
      callStatus = event.body.data.callStatus ?? callStatus;
    }
    recentEvents.push({ id: event.id, eventType: event.eventType, deliveries: plan.duplicate ? 0 : plan.deliveries.length });
    if (recentEvents.length > RECENT_EVENTS_KEPT) recentEvents.shift();
    if (!plan.duplicate) for (const delivery of plan.deliveries) enqueue(delivery);
    publish();
  }

  async function redeliver(request: RedeliverRequest): Promise<void> {
    const { source, ...filter } = request;
    const plan = await bookkeeping.planRedelivery(input.callId, filter, source ?? 'temporal-ui');
    // A new run (the call had finished) learns the call from Postgres; a running one knows it already.
    clientId ??= plan.clientId;
    callStatus ??= plan.callStatus;
    lastEventType ??= plan.lastEventType;
    terminalSeen ||= plan.callTerminal;
    for (const failure of plan.stillFailed) {
      if (failedOutstanding.has(failure.deliveryId)) continue;
      failedOutstanding.add(failure.deliveryId);
      failures.push(failure);
    }
    for (const delivery of plan.deliveries) {
      skips.delete(delivery.deliveryId);
      enqueue(delivery);
    }
    log.info('redelivery queued', { deliveries: plan.deliveries.length });
    publish();
  }

  for (const [endpointId, items] of lanes) {
    running.set(endpointId, deliveriesScope.run(() => runLane(endpointId, items)));
  }
  publish();

  const canSuggested = () => workflowInfo().continueAsNewSuggested;
  for (;;) {
    if (canSuggested()) break;
    const next = inbox.shift();
    if (next) {
      await (next.kind === 'event' ? fanOut(next.event) : redeliver(next.request));
      continue;
    }
    if (running.size > 0) {
      await condition(() => inbox.length > 0 || running.size === 0 || canSuggested());
      continue;
    }
    // Everything delivered and nothing waiting: wait for more, or finish after the idle period.
    publish();
    // A call with failed deliveries stays open longer, so an operator can find it and redeliver.
    const idleMs = terminalSeen && failedOutstanding.size === 0 ? settings.idleTimeoutMs : settings.abandonTimeoutMs;
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
    clientId,
    callStatus,
    lastEventType,
    failedOutstanding: [...failedOutstanding],
    skips: [...skips.values()],
    seenEventIds: [...seen],
    lanes: [...lanes].filter(([, items]) => items.length > 0).map(([endpointId, items]) => ({ endpointId, items })),
    terminalSeen,
    recentEvents,
    failures,
    totals,
  };
  return continueAsNew<typeof callWorkflow>({ callId: input.callId, carried: next });
}

/**
 * Whether a delivery ended because it was cancelled (skip, continue-as-new) rather than on its own
 * merits. An attempt that failed retryably while the cancellation was pending reaches the
 * workflow as a failure with retry state CANCEL_REQUESTED, not as a cancellation: it must not
 * count as a final failure.
 */
function interrupted(err: unknown, scope: CancellationScope): boolean {
  if (isCancellation(err)) return true;
  if (!(err instanceof ActivityFailure)) return false;
  if (err.retryState === 'CANCEL_REQUESTED') return true;
  return scope.consideredCancelled && err.cause instanceof ApplicationFailure && err.cause.type === DeliveryErrorType.retryable;
}

/** The most specific message in an activity failure chain. */
function failureReason(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
