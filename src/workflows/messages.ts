/**
 * The call workflow's messages: its name, input, signals and queries. The API, the client
 * helper (src/client.ts) and the workflow all import them from here, so they cannot drift.
 */
import { defineQuery, defineSignal, type Sinks } from '@temporalio/workflow';
import type { CallEvent } from '../schemas/call-event';
import type {
  AttemptFailedNotice,
  CallEventsBatch,
  CallSummary,
  EndpointRequest,
  FailureSummary,
  LaneItem,
  RedeliverRequest,
  RejectedMessage,
  RetryNowRequest,
  SkipRequest,
} from '../schemas/call-workflow-messages';
import type { DeliverySettings } from '../config/delivery-settings';

export type { AttemptFailedNotice, CallEventsBatch, EndpointRequest, FailureSummary, LaneItem, RedeliverRequest, RejectedMessage, RetryNowRequest, SkipRequest };

export const CALL_WORKFLOW_TYPE = 'callWorkflow';

/**
 * One call event, in emission order. The workflow id is the event's callId. The API adds the
 * event's pending deliveries, planned when it accepted the event; without them (the Temporal
 * client) the workflow plans the event itself.
 */
export const callEventSignal = defineSignal<[CallEvent, LaneItem[]?]>('callEvent');

/**
 * A call's events in order, at most 500, each with its planned deliveries when the sender has
 * them: the same as a `callEvent` signal per event, in one signal (the outbox relay sends a
 * call's waiting events so). A bad event is refused alone; a bad envelope, whole.
 */
export const callEventsSignal = defineSignal<[CallEventsBatch]>('callEvents');

/** The call's state as the workflow sees it: events, per-endpoint lanes, failures. */
export const stateQuery = defineQuery<CallStateView>('state');

/**
 * Operator signal: send finally-failed deliveries of this call again, in their original order.
 * `{}` = all of them; `{ "deliveryId": "dlv_…" }` one (failed or skipped); `{ "endpointId": "ep_…" }`
 * those of one endpoint; `since`/`until` (ISO-8601) narrow by when the delivery was created.
 */
export const redeliverSignal = defineSignal<[RedeliverRequest?]>('redeliver');

/** Operator signal: a delivery waiting out its backoff (retrying) is attempted now; its retries go on from there if it fails. */
export const retryNowSignal = defineSignal<[RetryNowRequest]>('retryNow');

/** Operator signal: give up one delivery (stuck in retry, being attempted, or queued) so its endpoint's lane moves on. */
export const skipSignal = defineSignal<[SkipRequest]>('skip');

/**
 * Operator signal: pause one of this call's endpoints, for every call (as POST /v1/endpoints/:id/pause
 * does): its deliveries wait, neither attempted nor failed, until it is resumed.
 */
export const pauseEndpointSignal = defineSignal<[EndpointRequest]>('pauseEndpoint');
/** Operator signal: resume a paused endpoint (as POST /v1/endpoints/:id/resume does); its waiting deliveries go out, per call in order. */
export const resumeEndpointSignal = defineSignal<[EndpointRequest]>('resumeEndpoint');

/** Sent by callhook when an endpoint this call's lane waits for may be sent to again (resumed, circuit closed). */
export const endpointReadySignal = defineSignal<[{ endpointId: string }]>('endpointReady');

/** Sent by the delivery activity when an attempt fails and will be retried. */
export const attemptFailedSignal = defineSignal<[AttemptFailedNotice]>('deliveryAttemptFailed');

/** Work for the main loop, in arrival order. */
export type InboxItem =
  /** `bytes`: the size of its JSON (computed once). */
  | { kind: 'event'; event: CallEvent; planned?: LaneItem[]; bytes?: number }
  | { kind: 'redeliver'; request: RedeliverRequest }
  | { kind: 'skip'; request: SkipRequest }
  | { kind: 'pause'; request: EndpointRequest }
  | { kind: 'resume'; request: EndpointRequest };

export interface EventSummary {
  id: string;
  eventType: string;
  deliveries: number;
}

export interface CallTotals {
  events: number;
  succeeded: number;
  failed: number;
}

/**
 * What one run hands the next across continue-as-new: a bounded summary of the call, never its
 * queues. Lanes, retry state and dedupe live in Postgres; every field here has a fixed cap
 * (see call-record.ts), so the carried input stays small however long the call.
 */
export interface CarriedState extends CallSummary {
  recentEvents: EventSummary[];
  totals: CallTotals;
  /** Messages refused lately (absent from runs before messages were validated). */
  rejected?: RejectedMessage[];
}

export interface CallWorkflowInput {
  callId: string;
  carried?: CarriedState;
  /** Set by the API for a call Postgres held nothing of: the run starts without reading the call back. */
  newCall?: { settings: DeliverySettings };
}

export type HoldReason = 'paused' | 'circuit_open' | 'rate_limited';

/** Why a delivery was not attempted: its endpoint may not be sent to now; `until` (epoch ms) when to look again, null: when woken. */
export interface Hold {
  reason: HoldReason;
  message: string;
  until: number | null;
}

/** What the workflow reports out of its sandbox, to the worker's process (not during replay). */
export interface CallhookSinks extends Sinks {
  callhookMetrics: {
    /** A signal (or the input) was refused: counted in callhook_workflow_messages_rejected_total{message}. */
    messageRejected(message: string): void;
  };
}

export interface CallWorkflowResult extends CallTotals {
  callId: string;
}

export interface CallStateView {
  callId: string;
  clientId: string | null;
  deliveryState: 'ok' | 'retrying' | 'held' | 'failed';
  terminalSeen: boolean;
  waitingEvents: number;
  recentEvents: EventSummary[];
  lanes: {
    endpointId: string;
    /** The delivery being attempted (or waiting for its next retry), with its last failed attempt. */
    inFlight: { deliveryId: string; eventType: string; lastAttempt: number | null; lastError: string | null; nextAttemptAt: string | null } | null;
    /** The next deliveries queued behind it (at most 20 listed), and how many are known queued in all. */
    queued: string[];
    queuedCount: number;
    /** More are queued in Postgres than the workflow holds in memory. */
    more: boolean;
    /** The lane waits for its endpoint (paused, circuit open, rate limited): nothing is attempted meanwhile. */
    held: { reason: HoldReason; message: string; until: string | null } | null;
  }[];
  /** Deliveries that finally failed (latest first) and have not been delivered since: the latest of them. */
  failures: FailureSummary[];
  failedCount: number;
  totals: CallTotals;
  /** Messages (signals, the input) the workflow refused lately, latest first, with why. */
  rejected: RejectedMessage[];
}
