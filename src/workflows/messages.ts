/**
 * The call workflow's messages: its name, input, signals and queries. The API, the client
 * helper (src/client.ts) and the workflow all import them from here, so they cannot drift.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CallEvent } from '../schemas/call-event';
import type { PlannedDelivery } from '../db/deliveries-repo';

export const CALL_WORKFLOW_TYPE = 'callWorkflow';

/** One call event, in emission order. The workflow id is the event's callId. */
export const callEventSignal = defineSignal<[CallEvent]>('callEvent');

/** The call's state as the workflow sees it: events, per-endpoint lanes, failures. */
export const stateQuery = defineQuery<CallStateView>('state');

/** A delivery waiting in (or at the head of) an endpoint's lane. */
export interface LaneItem extends PlannedDelivery {
  /** Set when an earlier run was part-way through this delivery: its attempts so far count. */
  resumed?: boolean;
}

/** What one run hands the next across continue-as-new: nothing is lost, nothing reordered. */
export interface CarriedState {
  inbox: CallEvent[];
  seenEventIds: string[];
  lanes: { endpointId: string; items: LaneItem[] }[];
  terminalSeen: boolean;
  recentEvents: EventSummary[];
  failures: FailureSummary[];
  totals: { events: number; succeeded: number; failed: number };
}

export interface CallWorkflowInput {
  callId: string;
  carried?: CarriedState;
}

export interface CallWorkflowResult {
  callId: string;
  events: number;
  succeeded: number;
  failed: number;
}

export interface EventSummary {
  id: string;
  eventType: string;
  deliveries: number;
}

export interface FailureSummary {
  deliveryId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  error: string;
}

export interface CallStateView {
  callId: string;
  terminalSeen: boolean;
  waitingEvents: number;
  recentEvents: EventSummary[];
  lanes: { endpointId: string; inFlight: string | null; queued: number }[];
  failures: FailureSummary[];
  totals: CarriedState['totals'];
}
