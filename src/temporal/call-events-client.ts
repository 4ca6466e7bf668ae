/**
 * Emitting call events straight through a Temporal client, without the HTTP API: platform
 * services that already talk to Temporal call `emitCallEvent`. The API uses it too.
 */
import type { Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import {
  CALL_WORKFLOW_TYPE,
  callEventSignal,
  callEventsSignal,
  redeliverSignal,
  retryNowSignal,
  type CallWorkflowInput,
  type RedeliverRequest,
  type RetryNowRequest,
} from '../workflows/messages';
import { CallStatus, ClientId, DeliveryState, LastEventType } from './search-attributes';
import { isSystemEventType } from '../domain/event-types';
import { callEventSchema, submitEventSchema, type CallEvent, type SubmitEvent } from '../schemas/call-event';
import { describeIssues } from '../schemas/call-workflow-messages';
import { newId } from '../domain/ids';
// From the schemas, not db/lanes-repo: the compiled declarations (callhook/client's types) then name no pg type.
import type { LaneItem } from '../schemas/call-workflow-messages';
import type { DeliverySettings } from '../config/delivery-settings';

export { callEventSignal, callEventsSignal, redeliverSignal, CALL_WORKFLOW_TYPE };

/** Events in one `callEvents` signal at the most. */
export const SIGNAL_BATCH = 500;
/** And their JSON at the most (a signal's argument is one Temporal payload, refused over 2 MB); an event alone may be larger. */
export const SIGNAL_BATCH_BYTES = 1_000_000;

/** An event refused before it was signalled: `message` names each bad field (`body.data.callId: …`). */
export class InvalidCallEventError extends Error {
  override name = 'InvalidCallEventError';
}

/** Fills in what a submission may leave out: an id, the time, an empty errors list. */
export function toCallEvent(submitted: SubmitEvent, now = new Date()): CallEvent {
  const checked = submitEventSchema.safeParse(submitted);
  // A full CallEvent (errors given, a targetEndpointId) is checked as the CallEvent it is.
  if (!checked.success && !callEventSchema.safeParse(submitted).success) {
    throw new InvalidCallEventError(`invalid call event: ${describeIssues(checked.error)}`);
  }
  return callEventSchema.parse({
    id: submitted.id ?? newId('evt'),
    eventType: submitted.eventType,
    occurredAt: submitted.occurredAt ?? now.toISOString(),
    body: { data: submitted.body.data, errors: submitted.body.errors ?? [] },
  });
}

export interface EmitResult {
  eventId: string;
  workflowId: string;
  runId: string;
}

/**
 * Signals the call's workflow with the event, starting the workflow if it is not running
 * (signal-with-start; workflow id = callId). Resolves once Temporal has accepted the signal.
 * A full CallEvent is a valid SubmitEvent: its id and time are kept.
 */
export async function emitCallEvent(client: Client, event: SubmitEvent, options: { taskQueue: string }): Promise<EmitResult> {
  const callEvent = toCallEvent(event);
  const workflowId = callEvent.body.data.callId;
  const handle = await client.workflow.signalWithStart(CALL_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: options.taskQueue,
    args: [{ callId: workflowId } satisfies CallWorkflowInput],
    signal: callEventSignal,
    signalArgs: [callEvent],
  });
  return { eventId: callEvent.id, workflowId, runId: handle.signaledRunId };
}

/** What `emitCallEvents` did with each event, in the order given. */
export interface EmitManyResult {
  events: { eventId: string; workflowId: string }[];
  /** Signals sent: one per call (more for a call with over SIGNAL_BATCH events or SIGNAL_BATCH_BYTES of them). */
  signals: number;
}

/**
 * Emits many events (of any calls) at once: every event is checked first (an invalid one throws
 * InvalidCallEventError naming `events[i].<field>`, and nothing is sent), then each call's events
 * go in one `callEvents` signal-with-start, in the order given; calls are signalled concurrently.
 */
export async function emitCallEvents(client: Client, events: SubmitEvent[], options: { taskQueue: string }): Promise<EmitManyResult> {
  const checked = events.map((event, i) => {
    try {
      return toCallEvent(event);
    } catch (err) {
      if (err instanceof InvalidCallEventError) throw new InvalidCallEventError(err.message.replace('invalid call event: ', `invalid call event: events[${i}]: `));
      throw err;
    }
  });
  const byCall = new Map<string, CallEvent[]>();
  for (const event of checked) {
    const callId = event.body.data.callId;
    const events = byCall.get(callId);
    if (events) events.push(event);
    else byCall.set(callId, [event]);
  }
  const signals = await Promise.all(
    [...byCall].map(([callId, callEvents]) => signalCallEvents(client, callId, callEvents.map((event) => ({ event })), options)),
  );
  return { events: checked.map((e) => ({ eventId: e.id, workflowId: e.body.data.callId })), signals: signals.reduce((a, b) => a + b, 0) };
}

/**
 * Signals one call's events (in order, with their planned deliveries when the outbox relay has
 * them) in `callEvents` signals-with-start of at most SIGNAL_BATCH events and SIGNAL_BATCH_BYTES.
 * A workflow it starts begins with the call's search attributes set, so its first run need not
 * upsert them. Returns the number of signals sent.
 */
export async function signalCallEvents(
  client: Client,
  callId: string,
  items: { event: CallEvent; planned?: LaneItem[]; bytes?: number }[],
  options: { taskQueue: string; newCallSettings?: DeliverySettings | undefined },
): Promise<number> {
  const input: CallWorkflowInput = { callId, ...(options.newCallSettings && { newCall: { settings: options.newCallSettings } }) };
  let signals = 0;
  for (const chunk of chunked(items)) {
    await client.workflow.signalWithStart(CALL_WORKFLOW_TYPE, {
      workflowId: callId,
      taskQueue: options.taskQueue,
      args: [input],
      signal: callEventsSignal,
      signalArgs: [{ events: chunk.map(({ event, planned }) => ({ event, ...(planned && { planned }) })) }],
      typedSearchAttributes: startingSearchAttributes(chunk.map((c) => c.event)),
    });
    signals++;
  }
  return signals;
}

function* chunked<T extends { event: CallEvent; bytes?: number }>(items: T[]): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.bytes ?? JSON.stringify(item.event).length;
    if (chunk.length > 0 && (chunk.length >= SIGNAL_BATCH || bytes + size > SIGNAL_BATCH_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** The search attributes a call's workflow shows after these events (as its run would upsert them); used only if it starts. */
function startingSearchAttributes(events: CallEvent[]): SearchAttributePair[] {
  const callEvents = events.filter((e) => !isSystemEventType(e.eventType));
  const last = callEvents.at(-1);
  if (!last) return [];
  const status = callEvents.map((e) => e.body.data.callStatus).filter((s): s is string => typeof s === 'string').at(-1);
  return [
    { key: ClientId, value: last.body.data.clientId },
    ...(status ? [{ key: CallStatus, value: status }] : []),
    { key: LastEventType, value: last.eventType },
    { key: DeliveryState, value: 'ok' },
  ];
}

/**
 * Asks a call's workflow to send finally-failed deliveries again (starting a new run if the call's
 * workflow has finished), as the `redeliver` signal from the Temporal UI does.
 */
export async function requestRedelivery(
  client: Client,
  callId: string,
  request: RedeliverRequest,
  options: { taskQueue: string },
): Promise<void> {
  await client.workflow.signalWithStart(CALL_WORKFLOW_TYPE, {
    workflowId: callId,
    taskQueue: options.taskQueue,
    args: [{ callId } satisfies CallWorkflowInput],
    signal: redeliverSignal,
    signalArgs: [request],
  });
}

/** Asks a call's workflow to attempt a delivery that waits out its backoff now, as the `retryNow` signal from the Temporal UI does. */
export async function requestRetryNow(client: Client, callId: string, request: RetryNowRequest): Promise<void> {
  await client.workflow.getHandle(callId).signal(retryNowSignal, request);
}
