/**
 * Emitting call events straight through a Temporal client, without the HTTP API: platform
 * services that already talk to Temporal call `emitCallEvent`. The API uses it too.
 */
import type { Client } from '@temporalio/client';
import { CALL_WORKFLOW_TYPE, callEventSignal, type CallWorkflowInput } from './workflows/messages';
import { callEventSchema, type CallEvent, type SubmitEvent } from './schemas/call-event';
import { newId } from './ids';

export { callEventSignal, CALL_WORKFLOW_TYPE };

/** Fills in what a submission may leave out: an id, the time, an empty errors list. */
export function toCallEvent(submitted: SubmitEvent, now = new Date()): CallEvent {
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
export async function emitCallEvent(
  client: Client,
  event: SubmitEvent,
  options: { taskQueue: string },
): Promise<EmitResult> {
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
