import { context } from '@opentelemetry/api';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { OutboxNudge } from '../outbox/wake-held-calls';
import type { Pool } from '../db/pool';
import { deliveryStatus, loadDeliveryContexts, markDeliveryFailed, markDeliveryFilteredOut, recordAttempt, recordCancelledAttempt, type DeliveryContext, type DeliveryStatus } from '../db/deliveries-repo';
import { DeliveryErrorType, attemptsAllowed, scheduledDelayMs, type DeliverySettings } from '../config/delivery-settings';
import { isTestEvent } from '../domain/event-types';
import { explainFilterMatch, filterableEvent } from '../filters/evaluate-filter';
import { attemptDuration, deliveriesEnded, deliveryAttempts } from '../observability/metrics';
import { attemptFailedSignal } from '../workflows/messages';
import type { AttemptResult, DestinationRegistry } from '../destinations/destination';
import { DEFAULT_ENDPOINT_HEALTH, type EndpointHealthSettings } from '../config/endpoint-health-settings';
import type { Logger } from '../observability/logger';
import type { Hold } from '../workflows/messages';
import { countAttemptHealth } from './count-attempt-health';
import { passGate } from './endpoint-gate';
import { startAttemptSpan } from './attempt-span';

export interface DeliverDeps {
  pool: Pool;
  temporal?: Client;
  destinations: DestinationRegistry;
  settings: DeliverySettings;
  logger: Logger;
  /** Circuit breaker and auto-disable; the configuration's defaults when absent. */
  health?: EndpointHealthSettings;
  /** Told of wake-ups and notices queued in the outbox (absent: another process's relay polls for them). */
  outbox?: OutboxNudge | undefined;
}

/** An attempt ends this long before its activity's start-to-close timeout, whatever happens. */
const DEADLINE_MARGIN_MS = 1_000;
/** A batch reads its deliveries' endpoint again before an attempt once its read is older than this. */
const CONTEXT_FRESH_MS = 1_000;
/** Heartbeats begin once an activity has run this long, so quick ones cost no extra round trip. */
const HEARTBEAT_EVERY_MS = 1_000;
/** An attempt under way looks this often whether its delivery was skipped meanwhile (only attempts that run this long look at all). */
const SKIP_CHECK_EVERY_MS = 1_000;

/** How one delivery of a batch ended (or stopped). */
export type BatchOutcome =
  | { deliveryId: string; outcome: 'succeeded' }
  /**
   * It had ended before (delivered, failed, skipped), or was skipped while its attempt was under way
   * (the attempt is logged `cancelled`): nothing more is sent. `status` and `error` are absent from older workers' results.
   */
  | { deliveryId: string; outcome: 'ended'; status?: DeliveryStatus; error?: string | null }
  | { deliveryId: string; outcome: 'failed'; error: string }
  /** A retryable failure: the batch stops here; the workflow hands it to the per-delivery retry policy. */
  | { deliveryId: string; outcome: 'retrying'; error: string; attempts: number; nextAttemptAt: number }
  /** Not attempted: its endpoint may not be sent to now (paused, circuit open, rate limited). The batch stops here; the lane waits. */
  | { deliveryId: string; outcome: 'held'; hold: Hold };

export interface DeliverResult {
  statusCode: number | null;
  /** Not attempted: its endpoint may not be sent to now. */
  held?: Hold;
  /** It had ended before this activity ran, or was skipped under way (absent from older workers' results). */
  ended?: DeliveryStatus;
  error?: string | null;
}

export interface BatchResult {
  /** In lane order; deliveries after the last one listed were not reached (time budget, or a retrying one). */
  outcomes: BatchOutcome[];
}

/** The one attempt of one delivery, bounded by `deadline` (epoch ms) and the activity's cancellation. */
async function attemptOne(deps: DeliverDeps, ctx: DeliveryContext, deadline: number, cancel: AbortSignal): Promise<AttemptOutcome> {
  const endpoint = ctx.endpoint;
  const attemptNumber = ctx.attemptCount + 1;
  const round = attemptNumber - ctx.attemptBase;
  // A test event may go to an endpoint not yet active: that is how one checks it before enabling it.
  const unavailable = endpoint.deleted
    ? 'was deleted'
    : !endpoint.active && !isTestEvent(ctx.event)
      ? 'is disabled'
      : deps.destinations[endpoint.kind]
        ? null
        : `cannot be delivered to: no destination configured for kind ${endpoint.kind}`;
  if (unavailable) {
    const error = `endpoint ${endpoint.id} ${unavailable}`;
    if (!(await markDeliveryFailed(deps.pool, ctx.deliveryId, error))) {
      // Ended meanwhile (skipped, say): not this activity's failure, and no notice is owed for it.
      return { kind: 'cancelled', status: (await deliveryStatus(deps.pool, ctx.deliveryId)) ?? 'skipped' };
    }
    deliveriesEnded.inc({ kind: endpoint.kind, outcome: 'failed' });
    return { kind: 'failed', type: DeliveryErrorType.endpointUnavailable, error, round };
  }
  // A test event is sent to one endpoint on purpose, so its filter does not apply (test-filter is how a filter is checked).
  if (endpoint.filter && !isTestEvent(ctx.event)) {
    const match = explainFilterMatch(endpoint.filter, filterableEvent(ctx.event));
    if (!match.matched) {
      // Not a failure and not an attempt: the endpoint asked not to get this event. Logged as skipped, with why.
      const reason = `filtered out by the endpoint's filter: ${match.reasons.join('; ')}`.slice(0, 1000);
      const ended = await markDeliveryFilteredOut(deps.pool, ctx.deliveryId, reason);
      if (ended) deliveriesEnded.inc({ kind: endpoint.kind, outcome: 'skipped' });
      deps.logger.info({ deliveryId: ctx.deliveryId, endpointId: endpoint.id, eventType: ctx.event.eventType }, 'delivery filtered out by its endpoint\'s filter');
      return { kind: 'cancelled', status: ended ? 'skipped' : ((await deliveryStatus(deps.pool, ctx.deliveryId)) ?? 'skipped') };
    }
  }
  const health = deps.health ?? DEFAULT_ENDPOINT_HEALTH;
  const hold = await passGate({ pool: deps.pool, health, probeForMs: deps.settings.attemptTimeoutMs + 5_000 }, ctx, cancel);
  if (hold) return { kind: 'held', hold };
  if (cancel.aborted) return { kind: 'unsent', error: 'cancelled while waiting for a rate-limit slot' };
  const timeoutMs = Math.min(deps.settings.attemptTimeoutMs, deadline - Date.now());
  if (timeoutMs <= 0) return { kind: 'unsent', error: 'no time left for an attempt in this activity' };

  const startedAt = new Date();
  // Only a skip of this very delivery aborts its attempt. A cancellation of the activity (continue-as-new, the call
  // cancelled, a worker shutting down) lets the attempt finish, bounded by its timeout, and reports what it did:
  // aborting it would either charge an attempt the receiver never answered or lose an outcome that ends the delivery.
  const skip = watchForSkip(deps, ctx.deliveryId, cancel);
  const signal = AbortSignal.any([skip.signal, AbortSignal.timeout(timeoutMs)]);
  const span = startAttemptSpan(ctx, attemptNumber);
  const traceparent = span.traceparent && endpoint.sendTraceparent ? { traceparent: span.traceparent } : {};
  let result: AttemptResult;
  try {
    result = await context.with(span.context, () =>
      deps.destinations[endpoint.kind]!.attempt({ event: ctx.event, endpoint, deliveryId: ctx.deliveryId, attemptNumber, signal, ...traceparent }),
    );
  } catch (err) {
    // A destination bug or an unexpected library error: record it, and let the retry policy decide.
    result = { outcome: 'retryable', statusCode: null, error: `unexpected: ${(err as Error).message}`, responseExcerpt: null };
  } finally {
    skip.close();
  }
  span.end(result);
  const durationMs = Date.now() - startedAt.getTime();
  if (skip.signal.aborted && result.outcome !== 'succeeded') {
    // Abandoned because the delivery was skipped: logged, but no attempt of the round, no health count, no backoff.
    const error = `abandoned: ${(skip.signal.reason as Error).message}`;
    await recordCancelledAttempt(deps.pool, { deliveryId: ctx.deliveryId, attemptNumber, startedAt, durationMs, error, traceId: span.traceId });
    deliveryAttempts.inc({ kind: endpoint.kind, outcome: 'cancelled' });
    deps.logger.info({ deliveryId: ctx.deliveryId, endpointId: endpoint.id, attemptNumber, durationMs }, 'delivery attempt abandoned: the delivery was skipped');
    return { kind: 'cancelled', status: skip.endedAs() };
  }
  // The endpoint's own schedule, read at each attempt: a change applies to the next delay and to the number of attempts left.
  const last = round >= attemptsAllowed(deps.settings, endpoint.retry);
  const ends = result.outcome === 'succeeded' ? 'succeeded' : result.outcome === 'final' || last ? 'failed' : null;
  const delayMs = result.outcome === 'retryable' ? (result.retryAfterMs ?? scheduledDelayMs(deps.settings, endpoint.retry, round)) : 0;
  const nextAttemptAt = ends === null ? Date.now() + delayMs : null;
  const statusAfter = await recordAttempt(deps.pool, {
    deliveryId: ctx.deliveryId,
    attemptNumber,
    startedAt,
    durationMs,
    statusCode: result.statusCode,
    outcome: result.outcome,
    error: result.outcome === 'succeeded' ? null : result.error,
    responseExcerpt: result.responseExcerpt,
    traceId: span.traceId,
    ends,
    nextAttemptAt: nextAttemptAt === null ? null : new Date(nextAttemptAt),
  });
  await countAttemptHealth({ pool: deps.pool, health, logger: deps.logger, outbox: deps.outbox }, ctx, result);
  deliveryAttempts.inc({ kind: endpoint.kind, outcome: result.outcome });
  attemptDuration.observe({ kind: endpoint.kind, outcome: result.outcome }, durationMs / 1000);
  if (ends && ctx.status === 'pending') deliveriesEnded.inc({ kind: endpoint.kind, outcome: ends });
  const fields = { deliveryId: ctx.deliveryId, endpointId: endpoint.id, kind: endpoint.kind, attemptNumber, statusCode: result.statusCode, durationMs, ...(span.traceId && { traceId: span.traceId }) };
  if (statusAfter !== undefined && statusAfter !== (ends ?? 'pending')) {
    // Skipped (or ended by another run) while this attempt ran: the attempt is logged, the delivery ended as it did.
    deps.logger.info({ ...fields, outcome: result.outcome, endedAs: statusAfter }, 'delivery attempt made after its delivery ended');
    return { kind: 'cancelled', status: statusAfter };
  }
  if (result.outcome === 'succeeded') {
    deps.logger.info(fields, 'delivery attempt succeeded');
    return { kind: 'succeeded', statusCode: result.statusCode };
  }
  deps.logger.warn({ ...fields, outcome: result.outcome, error: result.error, ends }, 'delivery attempt failed');
  if (result.outcome === 'final' || last) {
    return { kind: 'failed', type: result.outcome === 'final' ? DeliveryErrorType.rejected : DeliveryErrorType.retryable, error: result.error, statusCode: result.statusCode, round };
  }
  return { kind: 'retrying', error: result.error, statusCode: result.statusCode, round, delayMs, nextAttemptAt: nextAttemptAt! };
}

type AttemptOutcome =
  | { kind: 'succeeded'; statusCode: number | null }
  | { kind: 'failed'; type: string; error: string; statusCode?: number | null; round: number }
  | { kind: 'retrying'; error: string; statusCode: number | null; round: number; delayMs: number; nextAttemptAt: number }
  | { kind: 'unsent'; error: string }
  /** Abandoned under way: the delivery was skipped (or ended by another run: `status` says how). */
  | { kind: 'cancelled'; status: DeliveryStatus }
  | { kind: 'held'; hold: Hold };

/**
 * Aborts when the delivery is found no longer pending (an operator skipped it): looked up every
 * SKIP_CHECK_EVERY_MS while the attempt runs, and at once when the activity is cancelled (how a
 * skip of a retrying delivery reaches it).
 */
function watchForSkip(deps: DeliverDeps, deliveryId: string, cancel: AbortSignal): { signal: AbortSignal; endedAs(): DeliveryStatus; close(): void } {
  const controller = new AbortController();
  let endedAs: DeliveryStatus = 'skipped';
  let looking = false;
  const look = async () => {
    if (looking || controller.signal.aborted) return;
    looking = true;
    try {
      const status = await deliveryStatus(deps.pool, deliveryId);
      if (status === 'pending') return;
      endedAs = status ?? 'skipped';
      controller.abort(new Error(`delivery ${deliveryId} was ${status ?? 'deleted'} while its attempt was under way`));
    } catch (err) {
      deps.logger.warn({ err, deliveryId }, 'could not look whether a delivery was skipped; its attempt goes on');
    } finally {
      looking = false;
    }
  };
  const timer = setInterval(() => void look(), SKIP_CHECK_EVERY_MS);
  const onCancel = () => void look();
  cancel.addEventListener('abort', onCancel);
  if (cancel.aborted) onCancel();
  return {
    signal: controller.signal,
    endedAs: () => endedAs,
    close() {
      clearInterval(timer);
      cancel.removeEventListener('abort', onCancel);
    },
  };
}

/**
 * Runs `work` with this activity's bounds: an abort signal that fires on cancellation (skip,
 * continue-as-new, the call cancelled: start no new attempt), and a deadline before its
 * start-to-close timeout, so an attempt never outlives its lane's turn; and heartbeats once it
 * runs long, so a cancellation reaches it.
 */
async function bounded<T>(work: (deadline: number, cancel: AbortSignal) => Promise<T>): Promise<T> {
  const activity = Context.current();
  const deadline = Date.now() + activity.info.startToCloseTimeoutMs - DEADLINE_MARGIN_MS;
  const heartbeats = setInterval(() => activity.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work(deadline, activity.cancellationSignal);
  } finally {
    clearInterval(heartbeats);
  }
}

/**
 * Delivers a lane's backlog in one activity: the deliveries in order, each one attempt, until
 * one fails retryably (it is handed back, to be retried by the per-delivery retry policy) or the
 * time budget is spent. Final failures end their delivery and the batch goes on, as a lane does.
 * Deliveries that ended meanwhile (skipped, or delivered by an earlier batch) are passed over.
 * A delivery its endpoint holds (paused, circuit open, rate limited) stops the batch unattempted.
 * Cancelled, it starts no further attempt and returns what it did (the attempt under way finishes).
 * A delivery skipped meanwhile is passed over, or its attempt abandoned, and the batch goes on.
 * It has no retries of its own beyond infrastructure errors: delivery outcomes are its result.
 */
export async function deliverBatch(deps: DeliverDeps, input: { deliveryIds: string[]; budgetMs: number }): Promise<BatchResult> {
  return bounded(async (deadline, cancel) => {
    const started = Date.now();
    let contexts = await loadDeliveryContexts(deps.pool, input.deliveryIds);
    let readAt = Date.now();
    const outcomes: BatchOutcome[] = [];
    for (const [index, deliveryId] of input.deliveryIds.entries()) {
      if (outcomes.length > 0 && Date.now() - started >= input.budgetMs) break;
      if (cancel.aborted) break;
      if (Date.now() - readAt > CONTEXT_FRESH_MS) {
        // A slow batch reads its endpoint again, so a pause, a disable or an opened circuit stops it within a second.
        contexts = await loadDeliveryContexts(deps.pool, input.deliveryIds.slice(index));
        readAt = Date.now();
      }
      const ctx = contexts.get(deliveryId);
      if (!ctx || ctx.status !== 'pending') {
        outcomes.push({ deliveryId, outcome: 'ended', status: ctx?.status ?? 'skipped', error: ctx?.lastError ?? 'the delivery no longer exists' });
        continue;
      }
      const attempt = await attemptOne(deps, ctx, deadline, cancel);
      if (attempt.kind === 'unsent') break;
      if (attempt.kind === 'cancelled') {
        outcomes.push({ deliveryId, outcome: 'ended', status: attempt.status });
        continue;
      }
      if (attempt.kind === 'held') {
        outcomes.push({ deliveryId, outcome: 'held', hold: attempt.hold });
        break;
      }
      if (attempt.kind === 'succeeded') outcomes.push({ deliveryId, outcome: 'succeeded' });
      else if (attempt.kind === 'failed') outcomes.push({ deliveryId, outcome: 'failed', error: attempt.error });
      else {
        outcomes.push({ deliveryId, outcome: 'retrying', error: attempt.error, attempts: attempt.round, nextAttemptAt: attempt.nextAttemptAt });
        break;
      }
    }
    return { outcomes };
  });
}

/**
 * One attempt of one delivery that is retrying. Temporal's retry policy decides whether another
 * follows: this throws DeliveryRetryable for 408/429/5xx/timeouts (with Retry-After as the next
 * delay) and a non-retryable type for answers that end the delivery; the attempt that ends a
 * delivery (final, or the last one) marks it failed itself. A delivery that ended meanwhile
 * (skipped, delivered, failed) is not sent again: `ended` says how it ended. Cancelled, the
 * attempt under way finishes and its outcome is reported all the same; a skip abandons it.
 */
export async function deliver(deps: DeliverDeps, input: { deliveryId: string }): Promise<DeliverResult> {
  return bounded(async (deadline, cancel) => {
    const ctx = (await loadDeliveryContexts(deps.pool, [input.deliveryId])).get(input.deliveryId);
    if (!ctx) throw ApplicationFailure.create({ type: DeliveryErrorType.notFound, message: `delivery ${input.deliveryId} does not exist` });
    if (ctx.status !== 'pending') return { statusCode: null, ended: ctx.status, error: ctx.lastError };
    const attempt = await attemptOne(deps, ctx, deadline, cancel);
    switch (attempt.kind) {
      case 'succeeded':
        return { statusCode: attempt.statusCode };
      case 'held':
        // Not an attempt: the workflow waits, then runs this again with the attempts it had.
        return { statusCode: null, held: attempt.hold };
      case 'cancelled':
        return { statusCode: null, ended: attempt.status };
      case 'unsent':
        throw ApplicationFailure.create({ type: DeliveryErrorType.retryable, message: attempt.error });
      case 'failed':
        throw ApplicationFailure.create({ type: attempt.type, message: attempt.error, details: [attempt.statusCode ?? null], nonRetryable: true });
      case 'retrying':
        await tellWorkflow(deps, input.deliveryId, attempt.round, attempt.error, attempt.nextAttemptAt);
        throw ApplicationFailure.create({
          type: DeliveryErrorType.retryable,
          message: attempt.error,
          details: [attempt.statusCode],
          nextRetryDelay: attempt.delayMs,
        });
    }
  });
}

/** Lets the call's workflow know at once that a delivery is retrying (its DeliveryState, its state query). */
async function tellWorkflow(deps: DeliverDeps, deliveryId: string, attempts: number, error: string, nextAttemptAt: number): Promise<void> {
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  if (!deps.temporal || !workflowId) return;
  try {
    await deps.temporal.workflow.getHandle(workflowId).signal(attemptFailedSignal, { deliveryId, attemptNumber: attempts, error, nextAttemptAt });
  } catch (err) {
    // Only the "retrying" display depends on it; the retry itself goes on regardless.
    deps.logger.warn({ err, deliveryId, workflowId }, 'could not tell the call workflow about a failed attempt');
  }
}
