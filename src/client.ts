/**
 * Emitting call events straight through a Temporal client, without the HTTP API: platform
 * services that already talk to Temporal call `emitCallEvent`. The API uses it too.
 */
import type { Client } from '@temporalio/client';
import {
  CALL_WORKFLOW_TYPE,
  callEventSignal,
  redeliverSignal,
  type CallWorkflowInput,
  type RedeliverRequest,
} from './workflows/messages';
import { callEventSchema, submitEventSchema, type CallEvent, type SubmitEvent } from './schemas/call-event';
import { describeIssues } from './schemas/call-workflow-messages';
import { newId } from './ids';
import type { LaneItem } from './db/lanes-repo';
import type { DeliverySettings } from './delivery-settings';

export { callEventSignal, redeliverSignal, CALL_WORKFLOW_TYPE };

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
  return signalCallEvent(client, toCallEvent(event), options);
}

/**
 * Signals a complete CallEvent (system events included), starting the call's workflow if needed.
 * The API passes what it planned already: the event's pending deliveries (the workflow then needs
 * no planning step) and, for a call Postgres did not know, the delivery settings (its first run
 * needs no start-up step either).
 */
export async function signalCallEvent(
  client: Client,
  event: CallEvent,
  options: { taskQueue: string; planned?: LaneItem[]; newCallSettings?: DeliverySettings },
): Promise<EmitResult> {
  const parsed = callEventSchema.safeParse(event);
  if (!parsed.success) throw new InvalidCallEventError(`invalid call event: ${describeIssues(parsed.error)}`);
  const callEvent = parsed.data;
  const workflowId = callEvent.body.data.callId;
  const input: CallWorkflowInput = { callId: workflowId, ...(options.newCallSettings && { newCall: { settings: options.newCallSettings } }) };
  const handle = await client.workflow.signalWithStart(CALL_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: options.taskQueue,
    args: [input],
    signal: callEventSignal,
    signalArgs: options.planned ? [callEvent, options.planned] : [callEvent],
  });
  return { eventId: callEvent.id, workflowId, runId: handle.signaledRunId };
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
