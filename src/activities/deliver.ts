import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from '../db/pool';
import { loadDeliveryContext, recordAttempt } from '../db/deliveries-repo';
import { DeliveryErrorType } from '../delivery-settings';
import { TEST_EVENT } from '../event-types';
import { attemptDuration, deliveriesEnded, deliveryAttempts } from '../metrics';
import { attemptFailedSignal } from '../workflows/messages';
import type { Client } from '@temporalio/client';
import type { AttemptResult, DestinationRegistry } from '../destinations/destination';
import type { Logger } from '../logger';

export interface DeliverInput {
  deliveryId: string;
  /** Attempts made by an earlier workflow run (continue-as-new); numbering goes on from there. */
  priorAttempts: number;
}

export interface DeliverDeps {
  pool: Pool;
  temporal?: Client;
  destinations: DestinationRegistry;
  attemptTimeoutMs: number;
  logger: Logger;
}

/**
 * One delivery attempt. Temporal's retry policy decides whether another attempt follows: this
 * throws DeliveryRetryable for 408/429/5xx/timeouts (with Retry-After as the next delay) and a
 * non-retryable type for answers that end the delivery. Every attempt is recorded first.
 */
export async function deliver(deps: DeliverDeps, input: DeliverInput): Promise<{ statusCode: number | null }> {
  const activity = Context.current();
  const attemptNumber = input.priorAttempts + activity.info.attempt;
  const ctx = await loadDeliveryContext(deps.pool, input.deliveryId);
  if (!ctx) throw ApplicationFailure.create({ type: DeliveryErrorType.notFound, message: `delivery ${input.deliveryId} does not exist` });
  if (ctx.status === 'succeeded') return { statusCode: null };
  const endpoint = ctx.endpoint;
  // A test event may go to an endpoint not yet active: that is how one checks it before enabling it.
  const inactive = !endpoint?.active && ctx.event.eventType !== TEST_EVENT;
  if (!endpoint || endpoint.deleted || inactive) {
    const why = !endpoint ? 'no longer exists' : endpoint.deleted ? 'was deleted' : 'is disabled';
    throw ApplicationFailure.create({ type: DeliveryErrorType.endpointUnavailable, message: `endpoint ${ctx.endpoint?.id ?? ''} ${why}` });
  }
  const destination = deps.destinations[endpoint.kind];
  if (!destination) {
    throw ApplicationFailure.create({ type: DeliveryErrorType.endpointUnavailable, message: `no destination configured for kind ${endpoint.kind}` });
  }

  const startedAt = new Date();
  const signal = AbortSignal.any([activity.cancellationSignal, AbortSignal.timeout(deps.attemptTimeoutMs)]);
  let result: AttemptResult;
  try {
    result = await destination.attempt({ event: ctx.event, endpoint, deliveryId: input.deliveryId, attemptNumber, signal });
  } catch (err) {
    // A destination bug or an unexpected library error: record it, and let Temporal retry.
    result = { outcome: 'retryable', statusCode: null, error: `unexpected: ${(err as Error).message}`, responseExcerpt: null };
  }
  const durationMs = Date.now() - startedAt.getTime();
  await recordAttempt(deps.pool, {
    deliveryId: input.deliveryId,
    attemptNumber,
    startedAt,
    durationMs,
    statusCode: result.statusCode,
    outcome: result.outcome,
    error: result.outcome === 'succeeded' ? null : result.error,
    responseExcerpt: result.responseExcerpt,
  });
  deliveryAttempts.inc({ kind: endpoint.kind, outcome: result.outcome });
  attemptDuration.observe({ kind: endpoint.kind, outcome: result.outcome }, durationMs / 1000);
  if (result.outcome === 'succeeded') deliveriesEnded.inc({ kind: endpoint.kind, outcome: 'succeeded' });
  const fields = { deliveryId: input.deliveryId, endpointId: endpoint.id, kind: endpoint.kind, attemptNumber, statusCode: result.statusCode, durationMs };
  if (result.outcome === 'succeeded') {
    deps.logger.info(fields, 'delivery attempt succeeded');
    return { statusCode: result.statusCode };
  }
  deps.logger.warn({ ...fields, outcome: result.outcome, error: result.error }, 'delivery attempt failed');
  if (result.outcome === 'retryable') await tellWorkflow(deps, input.deliveryId, attemptNumber, result.error);
  if (result.outcome === 'final') {
    throw ApplicationFailure.create({ type: DeliveryErrorType.rejected, message: result.error, details: [result.statusCode] });
  }
  throw ApplicationFailure.create({
    type: DeliveryErrorType.retryable,
    message: result.error,
    details: [result.statusCode],
    ...(result.retryAfterMs !== undefined && { nextRetryDelay: result.retryAfterMs }),
  });
}

/** Lets the call's workflow know at once that a delivery is retrying (its DeliveryState, its state query). */
async function tellWorkflow(deps: DeliverDeps, deliveryId: string, attemptNumber: number, error: string): Promise<void> {
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  if (!deps.temporal || !workflowId) return;
  try {
    await deps.temporal.workflow.getHandle(workflowId).signal(attemptFailedSignal, { deliveryId, attemptNumber, error });
  } catch (err) {
    // Only the "retrying" display depends on it; the retry itself goes on regardless.
    deps.logger.warn({ err, deliveryId, workflowId }, 'could not tell the call workflow about a failed attempt');
  }
}
