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

/**
 * Operator signal: send finally-failed deliveries of this call again, in their original order.
 * `{}` = all of them; `{ "deliveryId": "dlv_…" }` one (failed or skipped); `{ "endpointId": "ep_…" }`
 * those of one endpoint; `since`/`until` (ISO-8601) narrow by when the delivery was created.
 */
export const redeliverSignal = defineSignal<[RedeliverRequest?]>('redeliver');

/** Operator signal: give up one delivery (stuck in retry or queued) so its endpoint's lane moves on. */
export const skipSignal = defineSignal<[SkipRequest]>('skip');

/** Sent by the delivery activity when an attempt fails and will be retried. */
export const attemptFailedSignal = defineSignal<[AttemptFailedNotice]>('deliveryAttemptFailed');

export interface RedeliverRequest {
  deliveryId?: string;
  endpointId?: string;
  since?: string;
  until?: string;
  /** Who asked: shown in the delivery log. Defaults to "temporal-ui". */
  source?: string;
}

export interface SkipRequest {
  deliveryId: string;
  reason?: string;
  source?: string;
}

export interface AttemptFailedNotice {
  deliveryId: string;
  attemptNumber: number;
  error: string;
}

/** A delivery waiting in (or at the head of) an endpoint's lane. */
export interface LaneItem extends PlannedDelivery {
  /** Attempts made before this round (a redelivery goes on numbering from there). */
  attemptBase?: number;
  /** Set when an earlier run was part-way through this delivery: its attempts so far count. */
  resumed?: boolean;
}

/** Work for the main loop, in arrival order. */
export type InboxItem = { kind: 'event'; event: CallEvent } | { kind: 'redeliver'; request: RedeliverRequest };

/** What one run hands the next across continue-as-new: nothing is lost, nothing reordered. */
export interface CarriedState {
  inbox: InboxItem[];
  clientId: string | null;
  callStatus: string | null;
  lastEventType: string | null;
  /** Deliveries that finally failed and were not delivered since. */
  failedOutstanding: string[];
  /** Operator skips not carried out yet. */
  skips: SkipRequest[];
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
  clientId: string | null;
  deliveryState: 'ok' | 'retrying' | 'failed';
  terminalSeen: boolean;
  waitingEvents: number;
  recentEvents: EventSummary[];
  lanes: {
    endpointId: string;
    /** The delivery being attempted (or waiting for its next retry), with its last failed attempt. */
    inFlight: { deliveryId: string; eventType: string; lastAttempt: number | null; lastError: string | null } | null;
    queued: string[];
  }[];
  /** Deliveries that finally failed (latest first) and have not been delivered since. */
  failures: FailureSummary[];
  totals: CarriedState['totals'];
}
