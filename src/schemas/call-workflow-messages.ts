/**
 * The call workflow's wire: its input and every signal's arguments, as zod schemas. Three doors
 * reach a call (the API, a platform service's own Temporal client, an operator in the Temporal UI
 * or CLI); only the first validates before it signals, so the workflow validates every message
 * itself with these (they are deterministic, and bundle with the workflow). The types in
 * workflows/messages.ts are inferred from them, so the two cannot drift.
 */
import { z } from 'zod';
import { callEventSchema, eventIdSchema, isoInstantSchema, type CallEvent } from './call-event';
import { endpointKindSchema } from './endpoint-kind';
import { traceparentSchema } from './traceparent';

const idSchema = (prefix: string) =>
  z
    .string()
    .max(200)
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9]+$`), `must be an id starting with ${prefix}_`);
const deliveryIdSchema = idSchema('dlv');
const endpointIdSchema = idSchema('ep');
/** Who asked, as the delivery log and the endpoint show it. */
const sourceSchema = z.string().min(1).max(200);

/** A pending delivery as its lane sees it, in lane order (`laneSeq`). */
export const laneItemSchema = z
  .object({
    deliveryId: deliveryIdSchema,
    endpointId: endpointIdSchema,
    eventId: eventIdSchema,
    eventType: z.string().min(1).max(200),
    kind: endpointKindSchema,
    laneSeq: z.number().int().positive(),
    /** The event's trace context (tracing on): the lane runs the delivery's activity in the event's trace. */
    traceparent: traceparentSchema.optional(),
  })
  .strict();
export type LaneItem = z.infer<typeof laneItemSchema>;

/** The error type of a planning activity given events Postgres cannot take: not retried. */
export const UNPLANNABLE_EVENTS = 'UnplannableEvents';

/** A call event is refused above this size (UTF-8 bytes of its JSON): Temporal refuses payloads over 2 MB. */
export const MAX_EVENT_BYTES = 1_500_000;

/** The deliveries planned for an event (by the API or the outbox relay), in lane order. */
const plannedSchema = z.array(laneItemSchema).max(1_000);

/** What an event and its planned deliveries must be beyond their shapes; `at` names where each is in the message. */
function checkEvent(event: CallEvent, planned: LaneItem[] | undefined, ctx: z.RefinementCtx, at: { event: PropertyKey; planned: PropertyKey }): void {
  if (planned?.some((item) => item.eventId !== event.id)) {
    ctx.addIssue({ code: 'custom', path: [at.planned], message: 'planned deliveries must belong to the event' });
  }
  const bytes = jsonBytes(event);
  if (bytes > MAX_EVENT_BYTES) ctx.addIssue({ code: 'custom', path: [at.event], message: `the event is ${bytes} bytes of JSON; at most ${MAX_EVENT_BYTES}` });
  // Postgres cannot store it (the API refuses it too).
  const nul = pathToNul(event);
  if (nul) ctx.addIssue({ code: 'custom', path: [at.event, ...nul], message: 'must not contain the NUL character (U+0000)' });
}

/** `callEvent`: the event, and (from the API only) the deliveries it planned for it. */
export const callEventSignalSchema = z
  .tuple([callEventSchema, plannedSchema.optional()])
  .superRefine(([event, planned], ctx) => checkEvent(event, planned, ctx, { event: 0, planned: 1 }));

/** Events in one `callEvents` signal at the most. */
export const MAX_BATCH_EVENTS = 500;

/** One event of a `callEvents` batch: what `callEvent` takes, as an object. */
export const callEventsItemSchema = z
  .object({ event: callEventSchema, planned: plannedSchema.optional() })
  .strict()
  .superRefine(({ event, planned }, ctx) => checkEvent(event, planned, ctx, { event: 'event', planned: 'planned' }));

/**
 * `callEvents`: a call's events in order, each with the deliveries planned for it when the sender
 * planned them (the outbox relay does) — as that many `callEvent` signals would bring them.
 */
export const callEventsSignalSchema = z.object({ events: z.array(callEventsItemSchema).min(1).max(MAX_BATCH_EVENTS) }).strict();
export type CallEventsBatch = z.infer<typeof callEventsSignalSchema>;

/** The envelope of a `callEvents` batch alone: the workflow checks its events one by one, so a bad one is refused without the rest. */
export const callEventsEnvelopeSchema = z.object({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) }).strict();

/** Where a string (or key) holding U+0000 is in a JSON value, if one does. */
function pathToNul(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = pathToNul(item, [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = key.includes('\u0000') ? [...path, key] : pathToNul(item, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * `redeliver`: no input or `{}` sends every finally-failed delivery of the call again; the fields
 * narrow it. Unknown fields are refused: a misspelt `deliveryID` must not mean "all of them".
 */
export const redeliverRequestSchema = z
  .object({
    deliveryId: deliveryIdSchema.optional(),
    endpointId: endpointIdSchema.optional(),
    since: isoInstantSchema.optional(),
    until: isoInstantSchema.optional(),
    source: sourceSchema.optional(),
  })
  .strict();
export type RedeliverRequest = z.infer<typeof redeliverRequestSchema>;

/** `skip`: give up one delivery of this call. */
export const skipRequestSchema = z
  .object({
    deliveryId: deliveryIdSchema,
    reason: z.string().max(1_000).optional(),
    source: sourceSchema.optional(),
  })
  .strict();
export type SkipRequest = z.infer<typeof skipRequestSchema>;

/** `retryNow`: a delivery of this call waiting out its backoff: its next attempt starts now. */
export const retryNowRequestSchema = z
  .object({
    deliveryId: deliveryIdSchema,
    source: sourceSchema.optional(),
  })
  .strict();
export type RetryNowRequest = z.infer<typeof retryNowRequestSchema>;

/** `pauseEndpoint` / `resumeEndpoint`: one of the endpoints this call delivers to. */
export const endpointRequestSchema = z
  .object({
    endpointId: endpointIdSchema,
    source: sourceSchema.optional(),
  })
  .strict();
export type EndpointRequest = z.infer<typeof endpointRequestSchema>;

/** `endpointReady` (sent by callhook): the endpoint a lane waits for may be sent to again. */
export const endpointReadySchema = z.object({ endpointId: endpointIdSchema }).strict();

/** `deliveryAttemptFailed` (sent by the delivery activity): an attempt failed and will be retried. */
export const attemptFailedNoticeSchema = z
  .object({
    deliveryId: deliveryIdSchema,
    /** Attempts made in this round so far. */
    attemptNumber: z.number().int().positive().max(1_000),
    error: z.string().max(10_000),
    /** Epoch ms of the next attempt (absent from notices of older workers). */
    nextAttemptAt: z.number().int().nonnegative().optional(),
  })
  .strict();
export type AttemptFailedNotice = z.infer<typeof attemptFailedNoticeSchema>;

export const failureSummarySchema = z.object({
  deliveryId: z.string().max(200),
  endpointId: z.string().max(200),
  eventId: z.string().max(200),
  eventType: z.string().max(200),
  error: z.string().max(10_000),
});
export type FailureSummary = z.infer<typeof failureSummarySchema>;

/** What a run that starts without knowing its call learns of it from Postgres. */
export const callSummarySchema = z.object({
  clientId: z.string().max(200).nullable(),
  callStatus: z.string().max(200).nullable(),
  lastEventType: z.string().max(200).nullable(),
  terminalSeen: z.boolean(),
  /** Deliveries that finally failed and were not delivered since. */
  failedCount: z.number().int().nonnegative(),
  /** The latest of them, oldest first (a bounded number). */
  failures: z.array(failureSummarySchema).max(100),
});
export type CallSummary = z.infer<typeof callSummarySchema>;

/** A message the workflow refused: which, why, when (ISO-8601). The call keeps the latest few. */
export const rejectedMessageSchema = z.object({
  message: z.string().max(200),
  reason: z.string().max(1_000),
  at: z.string().max(40),
});
export type RejectedMessage = z.infer<typeof rejectedMessageSchema>;

const totalsSchema = z.object({ events: z.number().int().nonnegative(), succeeded: z.number().int().nonnegative(), failed: z.number().int().nonnegative() });

/**
 * What one run hands the next across continue-as-new: a bounded summary of the call, never its
 * queues (lanes, retry state and dedupe live in Postgres).
 */
export const carriedStateSchema = callSummarySchema.extend({
  recentEvents: z.array(z.object({ id: z.string().max(200), eventType: z.string().max(200), deliveries: z.number().int().nonnegative() })).max(100),
  totals: totalsSchema,
  /** Absent from runs before messages were validated. */
  rejected: z.array(rejectedMessageSchema).max(100).optional(),
});

export const deliverySettingsSchema = z.object({
  maxAttempts: z.number().int().min(1).max(1_000),
  initialIntervalMs: z.number().int().positive(),
  backoffCoefficient: z.number().min(1),
  maximumIntervalMs: z.number().int().positive(),
  attemptTimeoutMs: z.number().int().positive(),
  idleTimeoutMs: z.number().int().positive(),
  abandonTimeoutMs: z.number().int().positive(),
});

/** The workflow's input: the call (its id is the workflow id), and what a previous run or the API knew. */
export const callWorkflowInputSchema = z.object({
  callId: callEventSchema.shape.body.shape.data.shape.callId,
  carried: carriedStateSchema.optional(),
  /** Set by the API for a call Postgres held nothing of: the run starts without reading the call back. */
  newCall: z.object({ settings: deliverySettingsSchema }).optional(),
});

/** The UTF-8 size of a value's JSON, computed without platform APIs (the workflow sandbox has none to spare). */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? '';
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A zod error as one line that names each bad field: `body.data.callId: Required; …`. For a list
 * of arguments, `argNames` names them (`event.body.data.callId`); `prefix` is where the value checked
 * sits in a larger one (`events.3.event.body.data.callId`).
 */
export function describeIssues(error: z.ZodError, argNames?: string[], prefix: PropertyKey[] = []): string {
  const name = (path: PropertyKey[]) => {
    const [first, ...rest] = path;
    const named = [...prefix, ...(argNames && typeof first === 'number' && argNames[first] ? [argNames[first], ...rest] : path)];
    return named.length > 0 ? named.map(String).join('.') : '(input)';
  };
  return error.issues
    .slice(0, 5)
    .map((issue) => `${name(issue.path)}: ${issue.message}`)
    .join('; ')
    .slice(0, 1_000);
}

/** Failures a call summary keeps, the latest (the workflow's record, and the summary read from Postgres). */
export const FAILURES_KEPT = 20;
/** An error message in a summary is kept to this many characters (the delivery log has it whole). */
export const ERROR_CHARS = 300;

// ---- what Postgres tells the call workflow (planning and lanes): its activities' results

/** The head of a lane that was part-way through its retries: how far, and when the next attempt is due. */
export interface LaneRetry {
  deliveryId: string;
  /** Attempts made in this round (since the delivery was planned or last redelivered). */
  attempts: number;
  /** Epoch ms; null: due now. */
  nextAttemptAt: number | null;
  lastError: string | null;
}

export interface PlannedEvent {
  eventId: string;
  /** With `withExisting` (the API): the event as stored before this call, if it was — whether its content is the same, whether it was signalled, its payload. */
  existing: { sameContent: boolean; signaled: boolean; payload: CallEvent } | null;
  /** Planned by this step (now, or by an earlier try of it); false for an event planned before (a duplicate signal, a reset run). */
  fresh: boolean;
  /** Its deliveries still pending (new or from before), for the lanes. */
  deliveries: number;
  /** The call belongs to another client (its events name another clientId): this event was neither stored nor planned. */
  otherClient?: boolean;
}

export interface EventPlan {
  events: PlannedEvent[];
  /** Whether Postgres held other events of these events' call before (false: a new call). */
  knownCall: boolean;
  /** Every pending delivery of these events, in lane order. */
  pending: LaneItem[];
}

export interface LaneWindow {
  endpointId: string;
  items: LaneItem[];
  /** More pending deliveries follow the window in Postgres. */
  more: boolean;
  /** Set when the window's head was part-way through its retries. */
  retry: LaneRetry | null;
}
