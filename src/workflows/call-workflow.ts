import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxySinks,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { Activities } from '../activities';
import type { EventPlan } from '../schemas/call-workflow-messages';
import type { CallEvent } from '../schemas/call-event';
import type { DeliverySettings } from '../config/delivery-settings';
import { DELIVERY_FAILED_EVENT, ENDPOINT_DISABLED_EVENT, TEST_EVENT, isTerminalEventType } from '../domain/event-types';
import {
  UNPLANNABLE_EVENTS,
  attemptFailedNoticeSchema,
  callEventSignalSchema,
  callEventsEnvelopeSchema,
  callEventsItemSchema,
  callWorkflowInputSchema,
  describeIssues,
  endpointReadySchema,
  endpointRequestSchema,
  jsonBytes,
  redeliverRequestSchema,
  retryNowRequestSchema,
  skipRequestSchema,
  type LaneItem,
} from '../schemas/call-workflow-messages';
import { CallRecord } from './call-record';
import { CallView } from './call-view';
import { IdleTimer } from './idle-timer';
import { LANE_WINDOW, Lane, runLane, type LaneHost } from './lanes';
import {
  attemptFailedSignal,
  callEventSignal,
  callEventsSignal,
  endpointReadySignal,
  pauseEndpointSignal,
  redeliverSignal,
  resumeEndpointSignal,
  retryNowSignal,
  skipSignal,
  stateQuery,
  type CallWorkflowInput,
  type CallWorkflowResult,
  type CallhookSinks,
  type InboxItem,
} from './messages';
import { HANDLER_DESCRIPTIONS } from './handler-descriptions';

/**
 * Bookkeeping in Postgres (planning, a lane's window, operator actions): short statements, run as
 * regular activities, dispatched eagerly to this worker. Not local activities: their results are
 * not history events, and when several coroutines of a call ran them at once, a replayed task
 * (after a workflow task failed or timed out) could see them resolve in another order than the
 * original run did — a nondeterminism error that wedged the call for good (v1, and a first v2).
 */
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

type PlannedInboxEvent = Extract<InboxItem, { kind: 'event' }>;

/** Whether planning failed because Postgres cannot take the events (not worth retrying). */
function unplannable(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === UNPLANNABLE_EVENTS;
}

/** The workflow's input, validated; a malformed one is replaced by the call its workflow id names (and refused in the call's state). */
function validInput(raw: unknown): { input: CallWorkflowInput; problem?: string } {
  const parsed = callWorkflowInputSchema.safeParse(raw);
  if (parsed.success) return { input: parsed.data };
  const { workflowId } = workflowInfo();
  return { input: { callId: workflowId }, problem: `${describeIssues(parsed.error)}: started as call ${workflowId}, read back from Postgres` };
}

/** Events planned by one statement at the most. */
const PLAN_BATCH = 100;
/** And their JSON at the most (the activity's input is one Temporal payload, refused over 2 MB); an event alone may be larger. */
const PLAN_BATCH_BYTES = 1_000_000;

const { callhookMetrics } = proxySinks<CallhookSinks>();
/** A run takes at most this many signals before it continues as new (Temporal refuses more than 10 000 per run). */
const SIGNALS_PER_RUN = 5_000;

/**
 * The patch after which a run spends fewer Temporal actions (each is billed): one idle deadline with
 * a timer kept across events instead of a timer started (and cancelled) at every idle wait; search
 * attributes upserted where the run waits, only where they differ from those it has (its starter's);
 * no last read of Postgres before finishing unless the run has a reason to doubt it knows every
 * pending delivery. A run started by a `callEvents` batch takes it without the patch's marker: no
 * worker before the patch knew that signal, so no such history predates it.
 */
export const FEWER_ACTIONS = 'fewer-actions';

/**
 * One workflow per call (workflow id = callId). Events arrive as signals (`callEvent`, or several
 * in one `callEvents`: the outbox relay's), in emission order, with their deliveries to the
 * endpoints subscribed at that moment: planned by the API that accepted them, or here (events from
 * the Temporal client, failure notices), in batches of one statement each. Each endpoint has its own lane (lanes.ts): a call's events reach an endpoint in
 * order, while lanes (and calls) proceed independently. Postgres holds the lanes' queues, the
 * retry state and the dedupe; the run holds a bounded window and a bounded record of the call
 * (call-record.ts), which is all that continue-as-new carries. Operators steer it with the
 * `redeliver`, `skip`, `pauseEndpoint` and `resumeEndpoint` signals, read it with the `state` query (call-view.ts), and may cancel
 * it: its pending deliveries then end as skipped, none is left behind.
 */
export async function callWorkflow(rawInput: CallWorkflowInput): Promise<CallWorkflowResult> {
  const { input, problem } = validInput(rawInput);
  const { callId } = input;
  const record = new CallRecord(input.carried);
  if (problem) reject('input', problem);
  const lanes = new Map<string, Lane>();
  const inbox: InboxItem[] = [];
  /** A `callEvents` batch came (its handler ran); set before the run decides whether it is lean. */
  let batchReceived = false;
  /** Events taken from the inbox whose planning has not finished. */
  const planning: PlannedInboxEvent[] = [];
  let signals = 0;
  let planSteps = 0;
  /** Names one planning step: its retries claim the same events again, a duplicate signal's step does not. */
  const planKey = () => `${workflowInfo().runId}/${++planSteps}`;
  let draining = false;
  let settings: DeliverySettings | undefined;

  /**
   * Refuses a message: never a failed workflow task, never a blocked inbox. Said in the workflow's log,
   * kept in the call's state (the latest few, across runs) and counted (callhook_workflow_messages_rejected_total).
   */
  function reject(message: string, reason: string): void {
    log.warn('message refused', { callId, message, reason });
    record.noteRejected({ message, reason, at: new Date().toISOString() });
    callhookMetrics.messageRejected(message);
  }

  /** The message's arguments, parsed; undefined (and refused) when they do not fit. */
  function accepted<S extends z.ZodType>(message: string, schema: S, args: unknown, argNames?: string[]): z.infer<S> | undefined {
    const parsed = schema.safeParse(args);
    if (parsed.success) return parsed.data;
    reject(message, describeIssues(parsed.error, argNames));
    return undefined;
  }

  const describe = (name: keyof typeof HANDLER_DESCRIPTIONS) => ({ description: HANDLER_DESCRIPTIONS[name] });

  /** Queues a valid event of this call (and the deliveries planned for it); refuses another call's. */
  function takeEvent(message: string, event: CallEvent, planned: LaneItem[] | undefined): void {
    if (event.body.data.callId !== callId) return reject(message, `event ${event.id} belongs to call ${event.body.data.callId}, not to this one (${callId})`);
    inbox.push({ kind: 'event', event, bytes: jsonBytes(event), ...(planned && { planned }) });
  }

  setHandler(
    callEventSignal,
    (event, planned) => {
      signals++;
      const args = accepted('callEvent', callEventSignalSchema, planned === undefined ? [event] : [event, planned], ['event', 'planned']);
      if (args) takeEvent('callEvent', ...args);
    },
    describe('callEvent'),
  );
  setHandler(
    callEventsSignal,
    (batch) => {
      signals++;
      batchReceived = true;
      const envelope = accepted('callEvents', callEventsEnvelopeSchema, batch);
      // Each event as a `callEvent` signal of its own: a bad one is refused alone, the others are taken in order.
      for (const [i, item] of (envelope?.events ?? []).entries()) {
        const parsed = callEventsItemSchema.safeParse(item);
        if (parsed.success) takeEvent('callEvents', parsed.data.event, parsed.data.planned);
        else reject('callEvents', describeIssues(parsed.error, undefined, ['events', i]));
      }
    },
    describe('callEvents'),
  );

  // Decided once, before the run's first command: whatever signal buffered for the first task has been taken above.
  const lean = batchReceived || patched(FEWER_ACTIONS);
  const view = new CallView(callId, record, lanes, lean);
  /** A lean run's reason to read Postgres before it finishes: it may not know every pending delivery of the call. */
  let unsure = false;
  const idleTimer = new IdleTimer();
  setHandler(
    redeliverSignal,
    (request) => {
      signals++;
      const valid = accepted('redeliver', redeliverRequestSchema, request ?? {});
      if (valid) inbox.push({ kind: 'redeliver', request: valid });
    },
    describe('redeliver'),
  );
  setHandler(
    retryNowSignal,
    (request) => {
      signals++;
      const valid = accepted('retryNow', retryNowRequestSchema, request);
      if (!valid) return;
      const waiting = [...lanes.values()].some((lane) => lane.retryNow(valid.deliveryId));
      if (!waiting) reject('retryNow', `${valid.deliveryId} is no delivery of this call waiting to be retried: nothing to do`);
      log.info('delivery retry now requested', { deliveryId: valid.deliveryId, source: valid.source ?? 'temporal-ui', waiting });
    },
    describe('retryNow'),
  );
  setHandler(
    skipSignal,
    (request) => {
      signals++;
      const valid = accepted('skip', skipRequestSchema, request);
      if (valid) inbox.push({ kind: 'skip', request: valid });
    },
    describe('skip'),
  );
  for (const [signal, kind] of [[pauseEndpointSignal, 'pause'], [resumeEndpointSignal, 'resume']] as const) {
    setHandler(
      signal,
      (request) => {
        signals++;
        const valid = accepted(`${kind}Endpoint`, endpointRequestSchema, request);
        if (valid) inbox.push({ kind, request: valid });
      },
      describe(`${kind}Endpoint`),
    );
  }
  setHandler(
    endpointReadySignal,
    (request) => {
      signals++;
      const valid = accepted('endpointReady', endpointReadySchema, request);
      if (valid) lanes.get(valid.endpointId)?.wake();
    },
    describe('endpointReady'),
  );
  setHandler(
    attemptFailedSignal,
    (notice) => {
      signals++;
      const valid = accepted('deliveryAttemptFailed', attemptFailedNoticeSchema, notice);
      if (!valid) return;
      for (const lane of lanes.values()) {
        if (lane.retry?.deliveryId !== valid.deliveryId) continue;
        lane.retry.attempts = valid.attemptNumber;
        lane.retry.lastError = valid.error;
        lane.retry.nextAttemptAt = valid.nextAttemptAt ?? lane.retry.nextAttemptAt;
        view.publish(inbox.length, null);
        view.flush();
      }
    },
    describe('deliveryAttemptFailed'),
  );
  // Takes no arguments; any given are ignored (a query cannot change the call).
  setHandler(stateQuery, () => view.state(inbox.length), describe('state'));

  const host: LaneHost = {
    callId,
    get settings() {
      return settings!;
    },
    draining: () => draining,
    loadLane: (endpointId, afterLaneSeq) => {
      unsure = true; // its window no longer matched Postgres, or Postgres holds more of it
      return bookkeeping.loadLane(callId, endpointId, afterLaneSeq, LANE_WINDOW);
    },
    markFailed: (deliveryId, reason) => bookkeeping.markFailed(deliveryId, reason),
    delivered: () => {
      record.totals.succeeded++;
    },
    failed: (item, error) => deliveryFailed(item, error),
    outdated: () => {
      unsure = true;
    },
    changed: () => {
      view.publish(inbox.length, null);
      view.flush();
    },
  };
  const deliveriesScope = new CancellationScope();

  function laneFor(endpointId: string): Lane {
    let lane = lanes.get(endpointId);
    if (!lane) {
      lane = new Lane(endpointId);
      lanes.set(endpointId, lane);
    }
    return lane;
  }

  /** Starts the lane's runner unless it runs (or the run is draining); a lane left with nothing is forgotten. */
  function wake(lane: Lane): void {
    if (lane.runner || draining) return;
    lane.runner = deliveriesScope.run(async () => {
      try {
        await runLane(host, lane);
      } catch (err) {
        // The call was cancelled: its cancellation path ends what is left. Rethrown, the runner's rejection could
        // go unhandled (the runner is forgotten below before anyone awaits it) and fail the workflow task.
        if (isCancellation(err)) return;
        throw err;
      } finally {
        lane.runner = null;
      }
      // Deliveries may have been queued after the runner's last look: go on with them.
      if (!lane.idle) wake(lane);
      else if (lanes.get(lane.endpointId) === lane) lanes.delete(lane.endpointId);
    });
  }

  function enqueue(items: LaneItem[]): void {
    for (const item of items) laneFor(item.endpointId).add(item);
    for (const endpointId of new Set(items.map((i) => i.endpointId))) wake(lanes.get(endpointId)!);
  }

  function applyPlan(events: PlannedInboxEvent[], plan: Pick<EventPlan, 'events' | 'pending'>): void {
    const byId = new Map(plan.events.map((e) => [e.eventId, e]));
    const counted = new Set<string>(); // the same event twice in one batch (a duplicate signal) counts once
    for (const { event, planned: plannedByApi } of events) {
      const planned = byId.get(event.id);
      // Callhook's own notices are not the call's events.
      if (event.eventType !== DELIVERY_FAILED_EVENT && event.eventType !== ENDPOINT_DISABLED_EVENT) {
        if ((planned?.fresh || plannedByApi) && !counted.has(event.id)) record.totals.events++;
        counted.add(event.id);
        if (isTerminalEventType(event.eventType)) record.terminalSeen = true;
        record.clientId = event.body.data.clientId;
        record.lastEventType = event.eventType;
        record.callStatus = event.body.data.callStatus ?? record.callStatus;
      }
      record.noteEvent({ id: event.id, eventType: event.eventType, deliveries: planned?.deliveries ?? 0 });
    }
    enqueue(plan.pending);
  }

  /** A delivery finally failed: count it, and tell the client's endpoints subscribed to WEBHOOK_DELIVERY_FAILED. */
  function deliveryFailed(item: LaneItem, error: string): void {
    record.noteFailure({ deliveryId: item.deliveryId, endpointId: item.endpointId, eventId: item.eventId, eventType: item.eventType, error });
    log.warn('delivery failed', { deliveryId: item.deliveryId, endpointId: item.endpointId, error });
    sendFailureNotice(item, error);
  }

  /** The WEBHOOK_DELIVERY_FAILED notice of one failed round of a delivery; its id makes it once only, however often it is sent. */
  function sendFailureNotice(item: LaneItem, error: string): void {
    // Never about those notices themselves, nor about a test event.
    if (item.eventType === DELIVERY_FAILED_EVENT || item.eventType === TEST_EVENT || !record.clientId) return;
    inbox.push({
      kind: 'event',
      event: {
        // One notice per failed round of a delivery (a redelivery gives it a new lane_seq): planning dedupes on it.
        id: `whfail_${item.deliveryId}_${item.laneSeq}`,
        eventType: DELIVERY_FAILED_EVENT,
        occurredAt: new Date().toISOString(),
        body: {
          data: {
            callId,
            clientId: record.clientId,
            deliveryId: item.deliveryId,
            endpointId: item.endpointId,
            failedEventId: item.eventId,
            failedEventType: item.eventType,
          },
          errors: [{ code: 'DELIVERY_FAILED', message: error, phase: 'DELIVERY' }],
        },
      },
    });
  }

  /**
   * Takes the next run of consecutive events from the inbox (at most PLAN_BATCH, and PLAN_BATCH_BYTES
   * but for a first event alone). They stay in `planning` until planned, so a cancellation meanwhile plans them still.
   */
  function takeEvents(): PlannedInboxEvent[] {
    const events: PlannedInboxEvent[] = [];
    let bytes = 0;
    for (;;) {
      const next = inbox[0];
      if (next?.kind !== 'event' || events.length >= PLAN_BATCH) break;
      const size = next.bytes ?? jsonBytes(next.event);
      if (events.length > 0 && bytes + size > PLAN_BATCH_BYTES) break;
      bytes += size;
      events.push(inbox.shift() as PlannedInboxEvent);
    }
    planning.push(...events);
    return events;
  }

  /** Plans events, unless the API planned each of them already (then their deliveries come with the signal). */
  async function plan(events: PlannedInboxEvent[]): Promise<void> {
    if (events.every((e) => e.planned)) {
      const pending = events.flatMap((e) => e.planned!);
      applyPlan(events, { events: events.map((e) => ({ eventId: e.event.id, fresh: true, existing: null, deliveries: e.planned!.length })), pending });
    } else {
      applyPlan(events, await planOrRefuse(events));
    }
    planned(events);
  }

  /** The run's first step: its settings, what Postgres holds of the call, and its first events planned. */
  async function startRun(events: PlannedInboxEvent[]) {
    // A carried run knows the call already: reading its summary back would cost in proportion to its history.
    const options = { summary: !input.carried };
    try {
      return await bookkeeping.startRun(callId, events.map((e) => e.event), planKey(), LANE_WINDOW, options);
    } catch (err) {
      if (!unplannable(err) || events.length === 0) throw err;
      const start = await bookkeeping.startRun(callId, [], planKey(), LANE_WINDOW, options);
      return { ...start, plan: { ...start.plan, ...(await planOrRefuse(events)) } };
    }
  }

  function planned(events: PlannedInboxEvent[]): void {
    for (const event of events) planning.splice(planning.indexOf(event), 1);
  }

  /**
   * Plans events in Postgres. Events Postgres cannot take (the activity says so, non-retryably) are
   * planned one by one, so that only those are refused, never retried for ever, and never block the inbox.
   */
  async function planOrRefuse(events: PlannedInboxEvent[]): Promise<Pick<EventPlan, 'events' | 'pending'>> {
    try {
      return await bookkeeping.planEvents(events.map((e) => e.event), planKey());
    } catch (err) {
      if (!unplannable(err)) throw err;
      if (events.length === 1) {
        reject('callEvent', `event ${events[0]!.event.id} could not be planned: ${(err as ActivityFailure).cause!.message}`);
        return { events: [], pending: [] };
      }
      const plans = [];
      for (const event of events) plans.push(await planOrRefuse([event]));
      return { events: plans.flatMap((p) => p.events), pending: plans.flatMap((p) => p.pending) };
    }
  }

  /** Handles the next inbox item (a batch of events, a redelivery, a skip, a pause or resume). */
  async function handleNext(): Promise<void> {
    const next = inbox[0]!;
    if (next.kind === 'event') {
      await plan(takeEvents());
    } else if (next.kind === 'redeliver') {
      inbox.shift();
      const { source, ...filter } = next.request;
      unsure = true; // after a reset, deliveries an earlier run reopened are pending without this run knowing them
      const plan = await bookkeeping.planRedelivery(callId, filter, source ?? 'temporal-ui');
      // Rounds that failed with no notice (their run was reset or terminated first): owed before the new round starts.
      for (const failure of plan.unnoticed ?? []) sendFailureNotice(failure, failure.error);
      record.noteRedelivered(new Set(plan.deliveries.map((d) => d.deliveryId)), plan.failedCount);
      enqueue(plan.deliveries);
      log.info('redelivery queued', { deliveries: plan.deliveries.length });
    } else if (next.kind === 'pause' || next.kind === 'resume') {
      inbox.shift();
      const { endpointId, source } = next.request;
      const done = await bookkeeping.setEndpointPaused(callId, endpointId, next.kind === 'pause', source ?? 'temporal-ui');
      if (!done) reject(`${next.kind}Endpoint`, `${endpointId} is no endpoint this call delivers to (or it was deleted): nothing ${next.kind}d`);
      if (done && next.kind === 'resume') lanes.get(endpointId)?.wake();
    } else {
      inbox.shift();
      const { deliveryId, source, reason } = next.request;
      const skipped = await bookkeeping.skipDelivery(deliveryId, source ?? 'temporal-ui', reason ?? null, callId);
      if (skipped) lanes.get(skipped.endpointId)?.skipped(deliveryId);
      else reject('skip', `${deliveryId} is no pending delivery of this call: nothing skipped`);
      log.warn('delivery skip requested', { deliveryId, skipped: skipped !== null });
    }
    view.publish(inbox.length, null);
  }

  const lanesRunning = () => [...lanes.values()].some((lane) => lane.runner !== null);
  const shouldContinueAsNew = () => workflowInfo().continueAsNewSuggested || signals >= SIGNALS_PER_RUN;

  try {
    if (input.newCall) {
      // A call Postgres held nothing of (the API checked): nothing to read back, the settings came along.
      settings = input.newCall.settings;
    } else {
      // What this run must know first: the settings, and what Postgres holds of the call (lanes, failures).
      const firstEvents = takeEvents();
      const start = await startRun(firstEvents);
      settings = start.settings;
      if (start.summary) record.learn(start.summary);
      for (const window of start.lanes) lanes.set(window.endpointId, Lane.fromWindow(window));
      applyPlan(firstEvents, start.plan);
      planned(firstEvents);
      // Failures no run sent a notice for (a run terminated or reset after the attempt that ended them).
      for (const failure of start.unnoticed ?? []) sendFailureNotice(failure, failure.error);
      for (const lane of lanes.values()) wake(lane);
    }
    view.publish(inbox.length, null);

    /** Lean runs: since when the call has been idle (workflow time), null while it is not. */
    let idleSince: number | null = null;
    for (;;) {
      if (shouldContinueAsNew()) break;
      if (inbox.length > 0) {
        idleSince = null;
        await handleNext();
        continue;
      }
      if (lanesRunning()) {
        idleSince = null;
        view.flush();
        await condition(() => inbox.length > 0 || !lanesRunning() || shouldContinueAsNew());
        continue;
      }
      // Everything delivered and nothing waiting: wait for more, or finish after the idle period.
      // A call with failed deliveries (or no terminal event yet) stays open longer, so an operator can find it.
      const idle = record.terminalSeen && record.failedCount === 0 ? 'idle' : 'abandon';
      const period = idle === 'idle' ? settings.idleTimeoutMs : settings.abandonTimeoutMs;
      view.publish(0, idle);
      if (lean) {
        view.flush();
        idleSince ??= Date.now();
        const deadline = idleSince + period;
        if (!idleTimer.pendingBy(deadline)) idleTimer.arm(deadline);
        idleTimer.fired = false;
        await condition(() => inbox.length > 0 || shouldContinueAsNew() || idleTimer.fired);
        // An event came, or a timer armed for an earlier deadline fired (the next turn arms one for the rest).
        if (inbox.length > 0 || shouldContinueAsNew() || Date.now() < deadline) continue;
      } else {
        const woken = await condition(() => inbox.length > 0 || shouldContinueAsNew(), period);
        if (woken) continue;
      }
      // Before finishing: nothing may be left pending in Postgres (a reset run, a terminated run before this one).
      // A lean run that has no reason to doubt it knows every pending delivery spares itself the read (an activity).
      const leftovers = !lean || unsure ? await bookkeeping.loadLanes(callId, LANE_WINDOW) : [];
      if (leftovers.length > 0) {
        log.warn('pending deliveries found before finishing; delivering them', { lanes: leftovers.length });
        for (const window of leftovers) {
          const lane = laneFor(window.endpointId);
          lane.take(window);
          wake(lane);
        }
        continue;
      }
      await condition(allHandlersFinished);
      if (inbox.length === 0) return { callId, ...record.totals };
    }

    // Continue-as-new: batches under way finish (they are short), retries waiting out their backoff
    // stop (the next run resumes them from Postgres), and every waiting signal is planned first.
    draining = true;
    for (const lane of lanes.values()) if (lane.retry && lane.current) lane.current.scope.cancel();
    await Promise.all([...lanes.values()].map((lane) => lane.runner));
    await condition(allHandlersFinished);
    while (inbox.length > 0) await handleNext();
    view.flush();
    return await continueAsNew<typeof callWorkflow>({ callId, carried: record.toCarried() });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled from the Temporal UI (or a client): stop delivering, plan what was accepted, and end
    // every pending delivery of the call as skipped (logged as `cancel`), so none is left orphaned.
    draining = true;
    await CancellationScope.nonCancellable(async () => {
      await Promise.allSettled([...lanes.values()].map((lane) => lane.runner));
      // Every event the run received: those being planned when the cancellation came (their step was cancelled), then the inbox's.
      inbox.unshift(...planning.splice(0));
      let ended = 0;
      // Events that arrive while it ends the call's deliveries (up to the run's very last task) are planned and ended too.
      do {
        for (;;) {
          // A cancelled call takes no redelivery, skip or pause; the API's events are in Postgres already (cancelCall ends them).
          const events = inbox.filter((item): item is PlannedInboxEvent => item.kind === 'event' && !item.planned);
          inbox.length = 0;
          if (events.length === 0) break;
          inbox.push(...events);
          // Signals that come meanwhile queue behind these; the next turn of the loop sorts them out.
          while (inbox[0]?.kind === 'event') await planOrRefuse(takeEvents());
          planning.length = 0;
        }
        ended += await bookkeeping.cancelCall(callId, 'temporal-ui', 'the call workflow was cancelled');
      } while (inbox.some((item) => item.kind === 'event'));
      log.warn('call workflow cancelled: pending deliveries skipped', { skipped: ended });
    });
    throw err;
  }
}
