/**
 * The simulation's checks, run on what a scenario left behind: its rows in Postgres, what its
 * receivers got, and its workflow runs' histories (and, for the whole run, a replay of them all).
 * Each is a pure function of that data. The invariants:
 *
 *  1. Every accepted event reached every endpoint subscribed when it was planned (and active, not
 *     deleted): a delivery exists, and it succeeded (the receiver answered 2xx to a request with
 *     its `x-recho-delivery-id`) or ended `failed` with its reason (`last_error`) or `skipped`
 *     with the action that skipped it (`skip`, `cancel`); none is left pending; no delivery to an
 *     endpoint that was not subscribed; nothing reached a receiver that is not a delivery of it.
 *  2. Per endpoint, first arrivals follow the lane's order (the original lane_seq: the order the
 *     deliveries were planned in, failure notices included), and the call's events accepted
 *     through one door (the API, or the Temporal client) arrive in the order they were accepted;
 *     redelivered deliveries aside (a redelivery goes to the end of the lane), and the events the
 *     reconciler recovered from a terminated run (they follow the events received since). Events
 *     of the two doors can be planned out of their acceptance order (the README documents it):
 *     reported as documented, failed only with SIM_STRICT_ORDER=1.
 *  3. No attempt was charged for a cancellation: `attempt_count` is the number of its attempts
 *     not `cancelled`, and no counted attempt was aborted (an `aborted: …` error is a cancellation;
 *     a timeout reads `timed out: …`).
 *  4. At most `maxAttempts` counted attempts per delivery and round (a redelivery starts a round).
 *  5. Exactly one failure notice per failed round: each round that ended `failed` (a delivery's
 *     current round if it is failed; an earlier round, ended by a redelivery, unless a skip or a
 *     cancel ended it) has its `whfail_<deliveryId>_<laneSeq>` event, and there are no more of a
 *     delivery's notices than failed rounds (none for a delivery that never failed).
 *  6. No workflow task failed (WorkflowTaskFailed), but for the causes that are no failure of the
 *     code: an operator's reset (RESET_WORKFLOW, in the new run), the run closed by an operator
 *     (reset, terminate) while its task ran (FORCE_CLOSE_COMMAND, the last event of the old run), and
 *     a signal arriving as the task completed (UNHANDLED_COMMAND: the server refuses the
 *     completion, the SDK runs the task again). A workflow task timing out is accepted when it
 *     waited on a sticky queue (SCHEDULE_TO_START) or when a worker restart overlapped it;
 *     otherwise it is reported.
 *  7. Every run's history replays on the current workflow code (checked once per run of the
 *     simulation: replayHistories).
 *  8. (Added by the simulation.) A malformed signal changes nothing: no `redeliver` or `skip`
 *     action comes from one (the simulation's own signals name their source, `sim`; a signal
 *     without one is logged as `temporal-ui`), but for `redeliver` with no argument or `null`,
 *     which means "all of them".
 * Not invariants but reported with them: a scenario that did not settle within its time
 * ('settle'), and the API answering 5xx or refusing a duplicate ('api').
 */
import { temporal } from '@temporalio/proto';
import { Worker, type InjectedSinks, type WorkflowBundle } from '@temporalio/worker';
import type { CallhookSinks } from '../../src/workflows/messages';
import { DELIVERY_FAILED_EVENT, ENDPOINT_DISABLED_EVENT, TEST_EVENT } from '../../src/domain/event-types';
import type { EndpointTimeline } from './endpoint-timeline';
import type { HostilePayload, Scenario, SignalName, Via } from './model';
import type { Arrival } from './receiver';

/** The invariants; 'settle': the call did not settle in time; 'api': the API answered the simulation 5xx (or refused a duplicate). */
export type InvariantId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 'settle' | 'api';

export interface Violation {
  invariant: InvariantId;
  /** A behaviour the README states as an exception: reported, not failed (e.g. order across the two doors). */
  documented?: boolean;
  /** A short name of the kind of failure, for grouping (e.g. `missing-delivery`). */
  kind: string;
  message: string;
  /** The rows (or other data) that show it. */
  evidence?: unknown;
}

export interface AcceptedEvent {
  eventId: string;
  eventType: string;
  /** The door of its first acceptance. */
  via: Via;
  /** Every door it was accepted through (duplicates included). */
  doors: Via[];
  /** Order of acceptance within the scenario. */
  order: number;
  /** The request (or signal) was sent / answered, epoch ms. */
  start: number;
  end: number;
}

export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: 'pending' | 'succeeded' | 'failed' | 'skipped';
  attemptCount: number;
  attemptBase: number;
  laneSeq: number;
  seq: number;
  lastError: string | null;
  nextAttemptAt: number | null;
}

export interface AttemptRow {
  id: number;
  deliveryId: string;
  attemptNumber: number;
  startedAt: number;
  outcome: string;
  statusCode: number | null;
  error: string | null;
}

export interface ActionRow {
  id: number;
  deliveryId: string;
  action: 'redeliver' | 'skip' | 'cancel';
  source: string;
  createdAt: number;
}

export interface EventRow {
  id: string;
  eventType: string;
  clientId: string;
  receivedAt: number;
  plannedAt: number | null;
}

export interface EndpointRow {
  id: string;
  active: boolean;
  paused: boolean;
  deleted: boolean;
  disabledAt: number | null;
  disabledReason: string | null;
}

export interface SimEndpointResult {
  index: number;
  id: string;
  timeline: EndpointTimeline;
  arrivals: Arrival[];
  goneAt: number[];
}

export interface RunHistory {
  runId: string;
  history: temporal.api.history.v1.IHistory;
}

export interface ScenarioResult {
  scenario: Scenario;
  endpoints: SimEndpointResult[];
  accepted: AcceptedEvent[];
  /** Events whose emission failed in a way that leaves open whether they were accepted (not checked, not unexpected). */
  maybeAccepted: string[];
  hostile: { signal: SignalName; payload: HostilePayload; signalled: boolean }[];
  /** What ran, in order: the commands (`kind` their kind), the heal, and what the settling did. */
  log: { index: number; kind: string; text: string; start: number; end: number; outcome: string }[];
  settle: { settled: boolean; ms: number; reason?: string };
  db: {
    deliveries: DeliveryRow[];
    attempts: AttemptRow[];
    actions: ActionRow[];
    events: EventRow[];
    endpoints: EndpointRow[];
    /** Events the reconciler signalled again from a terminated run (recovered_runs; empty where the table is not). */
    recovered: string[];
  };
  histories: RunHistory[];
  /** What went wrong while the commands ran (the API answering 5xx). */
  problems: Violation[];
}

export interface CheckContext {
  maxAttempts: number;
  /** Inversions between events accepted through different doors fail too (they are documented otherwise: README, per-call FIFO). */
  strictOrder?: boolean;
  /** Worker restarts of the run: [shutdown began, new worker running], epoch ms. */
  restarts: { start: number; end: number }[];
}

/** Slack on the simulation's own clock readings against Postgres' (same machine; statement vs transaction start). */
const CLOCK_SLACK_MS = 25;

const noticeId = (d: Pick<DeliveryRow, 'id' | 'laneSeq'>) => `whfail_${d.id}_${d.laneSeq}`;
const getsNotice = (eventType: string) => eventType !== DELIVERY_FAILED_EVENT && eventType !== TEST_EVENT;

export function checkScenario(result: ScenarioResult, context: CheckContext): Violation[] {
  return [
    ...checkDelivered(result),
    ...checkOrder(result, context),
    ...checkAttemptsCharged(result),
    ...checkAttemptLimit(result, context),
    ...checkFailureNotices(result),
    ...checkWorkflowTasks(result, context),
    ...checkHostileSignals(result),
    ...(result.settle.settled ? [] : [notSettled(result)]),
    ...result.problems,
  ];
}

/** The call did not settle: why, as far as its runs' histories tell. */
function notSettled(r: ScenarioResult): Violation {
  const reason = r.settle.reason ?? '';
  let why = reason.startsWith('stuck') ? 'stuck' : 'timeout';
  // A run whose last word is a long timer after an endpointReady signal: its held lane missed the wake-up.
  for (const { history } of r.histories) {
    const events = history.events ?? [];
    const last = events.at(-1)?.timerStartedEventAttributes;
    const seconds = Number(last?.startToFireTimeout?.seconds ?? 0);
    if (last && seconds >= 60 && events.some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'endpointReady')) {
      why = `a held lane missed its endpointReady and waits a ${seconds} s timer`;
    }
  }
  return { invariant: 'settle', kind: `not-settled (${why})`, message: `did not settle: ${reason}` };
}

// ---------------------------------------------------------------- 1

function checkDelivered(r: ScenarioResult): Violation[] {
  const out: Violation[] = [];
  const { deliveries, events, actions } = r.db;
  const eventsById = new Map(events.map((e) => [e.id, e]));
  const byEventEndpoint = new Map(deliveries.map((d) => [`${d.eventId} ${d.endpointId}`, d]));

  // Each accepted event (and each failure notice) was planned to exactly the endpoints subscribed when it was.
  const planned: { eventId: string; eventType: string; start: number; end: number; what: string }[] = [];
  for (const e of r.accepted) {
    const stored = eventsById.get(e.eventId);
    if (!stored) {
      const { near, context } = operatorActionsAround(r, e);
      out.push({
        invariant: 1,
        kind: `event-not-stored (${e.via}${near ? `, ${near}` : ''})`,
        message: `event ${e.eventId} (${e.eventType}, accepted #${e.order} via ${e.via}) is not in Postgres: never planned${context ? ` (${context})` : ''}`,
        evidence: { accepted: e },
      });
      continue;
    }
    const plannedAt = stored.plannedAt ?? stored.receivedAt;
    planned.push({ eventId: e.eventId, eventType: e.eventType, start: e.start - CLOCK_SLACK_MS, end: Math.max(e.end, plannedAt) + CLOCK_SLACK_MS, what: `accepted #${e.order} via ${e.via}` });
  }
  for (const e of events.filter((e) => e.eventType === DELIVERY_FAILED_EVENT)) {
    const at = e.plannedAt ?? e.receivedAt;
    planned.push({ eventId: e.id, eventType: e.eventType, start: at - CLOCK_SLACK_MS, end: at + CLOCK_SLACK_MS, what: 'failure notice' });
  }
  for (const p of planned) {
    for (const endpoint of r.endpoints) {
      const expectation = endpoint.timeline.classify(p.eventType, p.start, p.end);
      const delivery = byEventEndpoint.get(`${p.eventId} ${endpoint.id}`);
      if (!delivery && expectation === 'expected') {
        out.push({
          invariant: 1,
          kind: 'missing-delivery',
          message: `event ${p.eventId} (${p.eventType}, ${p.what}) has no delivery to ep${endpoint.index} ${endpoint.id}, subscribed and active throughout [${p.start}, ${p.end}]`,
          evidence: { timeline: endpoint.timeline.describe() },
        });
      }
      if (delivery && expectation === 'forbidden') {
        out.push({
          invariant: 1,
          kind: 'unexpected-delivery',
          message: `event ${p.eventId} (${p.eventType}, ${p.what}) has a delivery ${delivery.id} to ep${endpoint.index} ${endpoint.id}, which was not subscribed (or inactive, or deleted) throughout [${p.start}, ${p.end}]`,
          evidence: { delivery, timeline: endpoint.timeline.describe() },
        });
      }
    }
  }

  // Each delivery ended, with its reason.
  const actionsOf = groupBy(actions, (a) => a.deliveryId);
  const arrivalsByDelivery = new Map<string, Arrival[]>();
  for (const endpoint of r.endpoints) for (const a of endpoint.arrivals) if (a.deliveryId) push(arrivalsByDelivery, a.deliveryId, a);
  for (const d of deliveries) {
    if (d.status === 'pending') {
      out.push({ invariant: 1, kind: 'pending', message: `delivery ${d.id} (${d.eventType} → ${d.endpointId}) is still pending`, evidence: { delivery: d } });
    } else if (d.status === 'succeeded') {
      const arrivals = arrivalsByDelivery.get(d.id) ?? [];
      const isSimEndpoint = r.endpoints.some((e) => e.id === d.endpointId);
      if (isSimEndpoint && !arrivals.some((a) => a.answered !== null && a.answered >= 200 && a.answered < 300)) {
        out.push({
          invariant: 1,
          kind: 'succeeded-unseen',
          message: `delivery ${d.id} (${d.eventType}) is succeeded, but its receiver answered none of its requests with 2xx`,
          evidence: { delivery: d, arrivals },
        });
      }
    } else if (d.status === 'failed') {
      if (!d.lastError) out.push({ invariant: 1, kind: 'failed-without-reason', message: `delivery ${d.id} failed without a reason (last_error)`, evidence: { delivery: d } });
    } else {
      const own = actionsOf.get(d.id) ?? [];
      const lastRedeliver = Math.max(-1, ...own.filter((a) => a.action === 'redeliver').map((a) => a.id));
      if (!own.some((a) => (a.action === 'skip' || a.action === 'cancel') && a.id > lastRedeliver)) {
        out.push({ invariant: 1, kind: 'skipped-without-action', message: `delivery ${d.id} is skipped, with no skip or cancel in its log since its last redelivery`, evidence: { delivery: d, actions: own } });
      }
    }
  }

  // Nothing reached a receiver but the deliveries to it.
  const deliveriesById = new Map(deliveries.map((d) => [d.id, d]));
  for (const endpoint of r.endpoints) {
    for (const a of endpoint.arrivals) {
      const d = a.deliveryId ? deliveriesById.get(a.deliveryId) : undefined;
      if (!d || d.endpointId !== endpoint.id) {
        out.push({ invariant: 1, kind: 'phantom-arrival', message: `ep${endpoint.index} received delivery ${a.deliveryId ?? '(no id)'} (${a.eventType ?? '?'}), not a delivery of this call to it`, evidence: { arrival: a } });
      }
    }
  }

  // Events in Postgres the simulation did not accept (hostile signals must not plant any).
  const known = new Set([...r.accepted.map((e) => e.eventId), ...r.maybeAccepted]);
  for (const e of events) {
    if (known.has(e.id) || e.eventType === DELIVERY_FAILED_EVENT || e.eventType === ENDPOINT_DISABLED_EVENT) continue;
    out.push({ invariant: 8, kind: 'unexpected-event', message: `event ${e.id} (${e.eventType}, client ${e.clientId}) is stored for the call, but the simulation never had it accepted`, evidence: { event: e } });
  }
  return out;
}

/** The operator actions (cancel, terminate, reset) nearest before and after an event's acceptance: where an event got lost. */
function operatorActionsAround(r: ScenarioResult, e: AcceptedEvent): { near: string | null; context: string } {
  const ops = r.log.filter((l) => l.kind === 'cancel' || l.kind === 'terminate' || l.kind === 'reset');
  const before = ops.filter((l) => l.end <= e.start).at(-1);
  const after = ops.find((l) => l.start >= e.end);
  const context = [before && `${before.kind} ${e.start - before.end} ms before`, after && `${after.kind} ${after.start - e.end} ms after`].filter(Boolean).join('; ');
  let near: string | null = null;
  if (after?.kind === 'terminate' && after.start - e.end < 2_000) near = 'signalled just before a terminate';
  else if (before?.kind === 'cancel' && e.start - before.end < 3_000) near = 'signalled while the run was being cancelled';
  else if (before?.kind === 'reset' || after?.kind === 'reset') near = 'around a reset';
  return { near, context };
}

// ---------------------------------------------------------------- 2

/**
 * Per endpoint, first arrivals against two orders (redelivered deliveries aside):
 *  - the lane's order (original lane_seq, the order of planning): always;
 *  - acceptance order, among the events accepted through one door only (the API, or the Temporal
 *    client), events the reconciler recovered from a terminated run aside (they follow the events
 *    received since, as the README says). Between events of different doors planning may differ
 *    from acceptance (documented: the workflow plans a Temporal-client event when it takes it
 *    from its inbox): reported as documented unless `strictOrder`.
 */
/** Who planned an event's deliveries: the API (before its 202), or the call's workflow (Temporal-client events, notices); 'mixed' when both doors took it. */
function plannerOf(doors: string): 'api' | 'workflow' | 'mixed' {
  const parts = new Set(doors.split('+').map((d) => (d === 'api' ? 'api' : 'workflow')));
  return parts.size > 1 ? 'mixed' : [...parts][0] === 'api' ? 'api' : 'workflow';
}

function checkOrder(r: ScenarioResult, context: CheckContext): Violation[] {
  const out: Violation[] = [];
  const redelivered = new Set(r.db.actions.filter((a) => a.action === 'redeliver').map((a) => a.deliveryId));
  const recovered = new Set(r.db.recovered);
  const accepted = new Map(r.accepted.map((e) => [e.eventId, e]));
  for (const endpoint of r.endpoints) {
    const firstArrival = new Map<string, Arrival>();
    for (const a of endpoint.arrivals) if (a.deliveryId && !firstArrival.has(a.deliveryId)) firstArrival.set(a.deliveryId, a);
    const mine = r.db.deliveries.filter((d) => d.endpointId === endpoint.id && !redelivered.has(d.id) && firstArrival.has(d.id));
    const name = (d: DeliveryRow) => {
      const e = accepted.get(d.eventId);
      return `${d.eventType}${e ? ` accepted #${e.order} via ${e.doors.join('+')}` : ` ${d.eventId}`} (lane_seq ${d.laneSeq})`;
    };
    // The lane's order.
    const byLane = [...mine].sort((a, b) => a.laneSeq - b.laneSeq);
    for (const [before, after] of inversions(byLane, firstArrival)) {
      // Which doors the two came through: the README states planning order across the doors too.
      const doorsOf = (d: DeliveryRow) => accepted.get(d.eventId)?.doors.join('+') ?? (d.eventType === DELIVERY_FAILED_EVENT ? 'notice' : 'other');
      const doors = doorsOf(before) === doorsOf(after) ? `one door: ${doorsOf(before)}` : `${doorsOf(before)} then ${doorsOf(after)}`;
      const v = orderViolation(endpoint.index, before, after, firstArrival, name, `sent out of lane order, ${doors}`);
      // Planned by different planners (the API before its 202; the workflow for Temporal-client events and its own
      // notices): the README documents that their order follows planning and signals, which may differ.
      if (plannerOf(doorsOf(before)) !== plannerOf(doorsOf(after)) && !context.strictOrder) v.documented = true;
      out.push(v);
    }
    // Acceptance order: every pair of the call's events whose later-accepted one arrived first.
    const calls = mine.filter((d) => accepted.has(d.eventId) && !recovered.has(d.eventId)).sort((a, b) => accepted.get(a.eventId)!.order - accepted.get(b.eventId)!.order);
    for (let i = 0; i < calls.length; i++) {
      for (let j = i + 1; j < calls.length; j++) {
        const before = calls[i]!;
        const after = calls[j]!;
        if (firstArrival.get(after.id)!.seq > firstArrival.get(before.id)!.seq) continue;
        if (after.laneSeq > before.laneSeq) continue; // in lane order yet arrived first: reported above
        const doors = new Set([...accepted.get(before.eventId)!.doors, ...accepted.get(after.eventId)!.doors]);
        const oneDoor = doors.size === 1;
        const v = orderViolation(endpoint.index, before, after, firstArrival, name, oneDoor ? `planned out of acceptance order, one door: ${[...doors][0]!}` : 'planned out of acceptance order, across the two doors');
        if (!oneDoor && !context.strictOrder) v.documented = true;
        out.push(v);
      }
    }
  }
  return out;
}

/** Adjacent pairs of `ordered` whose second arrived first. */
function inversions(ordered: DeliveryRow[], first: Map<string, Arrival>): [DeliveryRow, DeliveryRow][] {
  const out: [DeliveryRow, DeliveryRow][] = [];
  for (let i = 1; i < ordered.length; i++) {
    if (first.get(ordered[i]!.id)!.seq < first.get(ordered[i - 1]!.id)!.seq) out.push([ordered[i - 1]!, ordered[i]!]);
  }
  return out;
}

function orderViolation(endpointIndex: number, before: DeliveryRow, after: DeliveryRow, first: Map<string, Arrival>, name: (d: DeliveryRow) => string, how: string): Violation {
  const a = first.get(before.id)!;
  const b = first.get(after.id)!;
  return {
    invariant: 2,
    kind: `out-of-order (${how})`,
    message: `ep${endpointIndex}: ${name(after)} first arrived (at ${b.at}) before ${name(before)} (at ${a.at})`,
    evidence: { earlier: { delivery: before, firstArrival: a }, later: { delivery: after, firstArrival: b } },
  };
}

// ---------------------------------------------------------------- 3

/**
 * The resets of the scenario's call that took effect. A Reset does not stop the attempt the old run had under way:
 * it is made beside the new run's (the README: "a delivery under way at the reset may be sent twice"), and both
 * record the same attempt number. Up to one such duplicate per reset is the documented at-least-once, not a charge.
 */
function resetsOf(r: ScenarioResult): number {
  return r.log.filter((l) => l.kind === 'reset' && l.outcome.startsWith('reset')).length;
}

/** Attempts that repeat an attempt number another attempt of the delivery recorded. */
function repeatedNumbers(attempts: AttemptRow[]): number {
  return attempts.length - new Set(attempts.map((a) => a.attemptNumber)).size;
}

function checkAttemptsCharged(r: ScenarioResult): Violation[] {
  const out: Violation[] = [];
  const attemptsOf = groupBy(r.db.attempts, (a) => a.deliveryId);
  const resets = resetsOf(r);
  for (const d of r.db.deliveries) {
    const attempts = attemptsOf.get(d.id) ?? [];
    const counted = attempts.filter((a) => a.outcome !== 'cancelled');
    if (d.attemptCount !== counted.length) {
      const v: Violation = {
        invariant: 3,
        kind: 'attempt-count',
        message: `delivery ${d.id}: attempt_count ${d.attemptCount}, but ${counted.length} attempts not cancelled (${attempts.length} in all)`,
        evidence: { delivery: d, attempts },
      };
      // Attempts made beside each other by the runs before and after a reset, under the same number.
      if (counted.length - repeatedNumbers(counted) === d.attemptCount && repeatedNumbers(counted) <= resets) v.documented = true;
      out.push(v);
    }
    for (const a of counted) {
      if (/^aborted\b/i.test(a.error ?? '')) {
        out.push({
          invariant: 3,
          kind: 'cancellation-charged',
          message: `delivery ${d.id}: attempt ${a.attemptNumber} was aborted (${a.error}) yet counted as ${a.outcome}`,
          evidence: { delivery: d, attempt: a },
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- 4

/** A delivery's attempts, in rounds: a redelivery action starts a new one. */
function rounds(attempts: AttemptRow[], actions: ActionRow[]): { attempts: AttemptRow[]; actions: ActionRow[] }[] {
  const starts = actions.filter((a) => a.action === 'redeliver').map((a) => a.createdAt);
  const out = Array.from({ length: starts.length + 1 }, () => ({ attempts: [] as AttemptRow[], actions: [] as ActionRow[] }));
  const roundAt = (at: number) => starts.filter((s) => s <= at).length;
  for (const a of attempts) out[roundAt(a.startedAt)]!.attempts.push(a);
  let round = 0;
  for (const a of actions) {
    if (a.action === 'redeliver') round++;
    else out[round]!.actions.push(a);
  }
  return out;
}

function checkAttemptLimit(r: ScenarioResult, context: CheckContext): Violation[] {
  const out: Violation[] = [];
  const attemptsOf = groupBy(r.db.attempts, (a) => a.deliveryId);
  const actionsOf = groupBy(r.db.actions, (a) => a.deliveryId);
  for (const d of r.db.deliveries) {
    const all = rounds(attemptsOf.get(d.id) ?? [], actionsOf.get(d.id) ?? []);
    all.forEach((round, i) => {
      const counted = round.attempts.filter((a) => a.outcome !== 'cancelled');
      if (counted.length > context.maxAttempts) {
        const v: Violation = {
          invariant: 4,
          kind: 'too-many-attempts',
          message: `delivery ${d.id}: ${counted.length} attempts in round ${i + 1} (at most ${context.maxAttempts})`,
          evidence: { delivery: d, attempts: counted },
        };
        // Over the limit only by attempts repeated beside a reset (see resetsOf): documented at-least-once.
        if (counted.length - repeatedNumbers(counted) <= context.maxAttempts && repeatedNumbers(counted) <= resetsOf(r)) v.documented = true;
        out.push(v);
      }
    });
    if (d.attemptCount - d.attemptBase > context.maxAttempts) {
      out.push({ invariant: 4, kind: 'too-many-attempts', message: `delivery ${d.id}: attempt_count ${d.attemptCount} - attempt_base ${d.attemptBase} > ${context.maxAttempts}`, evidence: { delivery: d } });
    }
  }
  return out;
}

// ---------------------------------------------------------------- 5

function checkFailureNotices(r: ScenarioResult): Violation[] {
  const out: Violation[] = [];
  const attemptsOf = groupBy(r.db.attempts, (a) => a.deliveryId);
  const actionsOf = groupBy(r.db.actions, (a) => a.deliveryId);
  const notices = groupBy(
    r.db.events.filter((e) => e.id.startsWith('whfail_')),
    (e) => /^whfail_(dlv_[0-9a-f]+)_\d+$/.exec(e.id)?.[1] ?? e.id,
  );
  for (const d of r.db.deliveries) {
    const own = notices.get(d.id) ?? [];
    if (!getsNotice(d.eventType)) {
      if (own.length > 0) out.push({ invariant: 5, kind: 'notice-of-notice', message: `delivery ${d.id} of a ${d.eventType} got failure notices`, evidence: { notices: own } });
      continue;
    }
    const all = rounds(attemptsOf.get(d.id) ?? [], actionsOf.get(d.id) ?? []);
    // Every round but the last was ended by a redelivery, which takes failed or skipped deliveries: failed unless skipped or cancelled.
    const failedRounds = all.slice(0, -1).filter((round) => !round.actions.some((a) => a.action === 'skip' || a.action === 'cancel')).length + (d.status === 'failed' ? 1 : 0);
    if (d.status === 'failed' && !own.some((n) => n.id === noticeId(d))) {
      out.push({
        invariant: 5,
        kind: 'missing-notice',
        message: `delivery ${d.id} (${d.eventType}) failed (${d.lastError ?? ''}) but there is no ${noticeId(d)}`,
        evidence: { delivery: d, notices: own.map((n) => n.id), attempts: attemptsOf.get(d.id) ?? [], actions: actionsOf.get(d.id) ?? [] },
      });
    } else if (own.length < failedRounds) {
      out.push({
        invariant: 5,
        kind: 'missing-notice',
        message: `delivery ${d.id} (${d.eventType}) failed in ${failedRounds} rounds but has ${own.length} failure notices`,
        evidence: { delivery: d, notices: own.map((n) => n.id), actions: actionsOf.get(d.id) ?? [] },
      });
    }
    if (own.length > failedRounds) {
      out.push({
        invariant: 5,
        kind: 'extra-notice',
        message: `delivery ${d.id} (${d.eventType}, ${d.status}) failed in ${failedRounds} rounds but has ${own.length} failure notices`,
        evidence: { delivery: d, notices: own.map((n) => n.id), attempts: attemptsOf.get(d.id) ?? [], actions: actionsOf.get(d.id) ?? [] },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- 6

const { EventType, WorkflowTaskFailedCause, TimeoutType } = temporal.api.enums.v1;
/** WorkflowTaskFailed causes that are no failure of the workflow's code (see the file's comment). */
const TOLERATED_CAUSES = new Set<number>([
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
  WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
]);

/** Whether a WorkflowTaskFailed (at `index` of `events`) is one of the tolerated: FORCE_CLOSE_COMMAND only when the run was terminated then. */
function tolerated(events: temporal.api.history.v1.IHistoryEvent[], index: number): boolean {
  const cause = events[index]?.workflowTaskFailedEventAttributes?.cause ?? 0;
  if (!TOLERATED_CAUSES.has(cause)) return false;
  if (cause !== WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND) return true;
  // The run was terminated (or reset) while the task ran: no task completed after it, and the run ends terminated.
  const after = events.slice(index + 1);
  return !after.some((e) => e.workflowTaskCompletedEventAttributes) && Boolean(after.at(-1)?.workflowExecutionTerminatedEventAttributes);
}

export function eventTimeMs(event: temporal.api.history.v1.IHistoryEvent): number {
  const t = event.eventTime;
  if (!t) return 0;
  const seconds = typeof t.seconds === 'number' ? t.seconds : Number(t.seconds?.toString() ?? 0);
  return seconds * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/** Tolerated workflow task failures and timeouts seen, by cause (for the summary). */
export function toleratedTaskEvents(histories: RunHistory[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { history } of histories) {
    for (const [index, event] of (history.events ?? []).entries()) {
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed && tolerated(history.events!, index)) increment(counts, `WorkflowTaskFailed ${WorkflowTaskFailedCause[failed.cause ?? 0]}`);
      const timedOut = event.workflowTaskTimedOutEventAttributes;
      if (timedOut) increment(counts, `WorkflowTaskTimedOut ${TimeoutType[timedOut.timeoutType ?? 0]}`);
    }
  }
  return counts;
}

function checkWorkflowTasks(r: ScenarioResult, context: CheckContext): Violation[] {
  const out: Violation[] = [];
  for (const { runId, history } of r.histories) {
    const events = history.events ?? [];
    const started = new Map<string, number>();
    for (const [index, event] of events.entries()) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) started.set(String(event.eventId), eventTimeMs(event));
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed && !tolerated(events, index)) {
        out.push({
          invariant: 6,
          kind: `workflow-task-failed ${WorkflowTaskFailedCause[failed.cause ?? 0]?.replace('WORKFLOW_TASK_FAILED_CAUSE_', '')}: ${normalise(failed.failure?.message ?? '')}`,
          message: `run ${runId}: WorkflowTaskFailed (event ${String(event.eventId)}, ${WorkflowTaskFailedCause[failed.cause ?? 0]}): ${failed.failure?.message ?? ''}`,
          evidence: { runId, eventId: String(event.eventId), cause: WorkflowTaskFailedCause[failed.cause ?? 0], failure: failed.failure?.message, stack: failed.failure?.stackTrace?.split('\n').slice(0, 6).join('\n') },
        });
      }
      const timedOut = event.workflowTaskTimedOutEventAttributes;
      if (timedOut && timedOut.timeoutType === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE) {
        const from = started.get(String(timedOut.startedEventId)) ?? eventTimeMs(event) - 10_000;
        const to = eventTimeMs(event);
        const restarted = context.restarts.some((w) => w.start <= to && w.end + 1_000 >= from);
        if (!restarted) {
          out.push({
            invariant: 6,
            kind: 'workflow-task-timed-out (no restart)',
            message: `run ${runId}: a workflow task started at ${from} timed out (START_TO_CLOSE) at ${to}, with no worker restart then`,
            evidence: { runId, eventId: String(event.eventId) },
          });
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- 7

/**
 * The workflow's sinks, as no-ops: a replay checks determinism only (and a sink the replay worker
 * lacks is logged as an error). Every function of the interface, whatever its name: a Proxy.
 */
const REPLAY_SINKS: InjectedSinks<CallhookSinks> = {
  callhookMetrics: new Proxy({} as InjectedSinks<CallhookSinks>['callhookMetrics'], {
    get: () => ({ fn: () => undefined, callDuringReplay: false }),
  }),
};

/** Replays every history on `bundle` with one replay worker; `each` hears every history's outcome as it comes. */
export async function replayHistories(
  bundle: WorkflowBundle,
  histories: { workflowId: string; history: temporal.api.history.v1.IHistory }[],
  each: (workflowId: string, error: Error | undefined) => void,
): Promise<void> {
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'sim-replay', sinks: REPLAY_SINKS }, histories)) {
    each(result.workflowId, result.error);
  }
}

/** A violation of 7 for a history that does not replay. */
export function replayViolation(workflowId: string, error: { name: string; message: string }): Violation {
  return {
    invariant: 7,
    kind: `replay: ${error.name}: ${normalise(error.message).slice(0, 160)}`,
    message: `${workflowId} does not replay: ${error.name}: ${error.message}`,
    evidence: { workflowId },
  };
}

// ---------------------------------------------------------------- 8

function checkHostileSignals(r: ScenarioResult): Violation[] {
  const out: Violation[] = [];
  const redeliverAllSent = r.hostile.some((h) => h.signal === 'redeliver' && h.signalled && (h.payload === 'none' || h.payload === 'null'));
  for (const a of r.db.actions) {
    if (a.source !== 'temporal-ui' || a.action === 'cancel') continue;
    if (a.action === 'redeliver' && redeliverAllSent) continue;
    out.push({
      invariant: 8,
      kind: `malformed-signal-acted (${a.action})`,
      message: `delivery ${a.deliveryId}: a ${a.action} came from a malformed signal (source temporal-ui); hostile signals sent: ${r.hostile.filter((h) => h.signalled).map((h) => `${h.signal}(${h.payload})`).join(', ')}`,
      evidence: { action: a },
    });
  }
  return out;
}

// ---------------------------------------------------------------- helpers

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) push(map, key(item), item);
  return map;
}

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

function increment(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** A message without its ids and numbers, to group failures of the same kind. */
export function normalise(message: string): string {
  return message
    .replace(/\b(dlv|ep|evt|whfail)_[A-Za-z0-9_]+/g, '$1_…')
    .replace(/sim-[a-z0-9]+-\d+(-e\d+)?/g, 'sim-…')
    .replace(/\b[0-9a-f]{8}-[0-9a-f-]{27,}\b/g, '<uuid>')
    .replace(/\d+/g, 'N')
    .slice(0, 200);
}

