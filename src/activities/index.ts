import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { markDeliveryFailed, type RedeliveryFilter } from '../db/deliveries-repo';
import { cancelPendingDeliveries, loadCallSummary, loadLaneWindows } from '../db/lanes-repo';
import { loadUnnoticedFailures } from '../db/reconcile-repo';
import { planOrRefuse } from './plan-or-refuse';
import type { DeliverySettings } from '../config/delivery-settings';
import type { DestinationRegistry } from '../destinations/destination';
import type { Logger } from '../observability/logger';
import type { ClientPayloadRetention } from '../config/config';
import type { CallEvent } from '../schemas/call-event';
import { deliveriesEnded } from '../observability/metrics';
import { ERROR_CHARS, FAILURES_KEPT } from '../schemas/call-workflow-messages';
import { deliver, deliverBatch } from './deliver';
import { planRedelivery, skipDelivery } from './operator-actions';
import { recoverPage } from './recover-page';
import { purgeExpired } from './purge-expired';
import { reconcileCalls, type ReconcileCallsInput } from './reconcile-calls';
import { recoverTerminatedRuns, type RecoverTerminatedRunsInput } from './recover-terminated-runs';
import type { RecoverRange } from '../db/deliveries-repo';
import { callDeliversTo, pauseEndpoint, resumeEndpoint } from '../db/endpoint-state-repo';
import type { EndpointHealthSettings } from '../config/endpoint-health-settings';
import { wakeHeldCalls, type OutboxNudge } from '../outbox/wake-held-calls';

export interface ActivityDeps {
  /** Deliveries' reads and writes. */
  pool: Pool;
  /**
   * The workflows' bookkeeping (planning, lanes): a pool of its own, so deliveries to slow
   * receivers can never keep a workflow task waiting for a connection. Defaults to `pool`.
   */
  bookkeepingPool?: Pool;
  /** Lets a failed attempt tell its call's workflow at once (DeliveryState "retrying"); optional. */
  temporal?: Client;
  destinations: DestinationRegistry;
  settings: DeliverySettings;
  logger: Logger;
  /** Circuit breaker and auto-disable; the configuration's defaults when absent. */
  health?: EndpointHealthSettings;
  /** This process's outbox relay, told of wake-ups and notices queued in Postgres (absent: another process's relay polls for them). */
  outbox?: OutboxNudge | undefined;
  /** CLIENT_PAYLOAD_RETENTION: the retention purge erases the content of these clients' calls past their retention. */
  clientPayloadRetention?: readonly ClientPayloadRetention[] | undefined;
  /** Whether Temporal payloads are encrypted (PAYLOAD_ENCRYPTION_KEY): an erasure then destroys the call's history keys. */
  historyEncrypted?: boolean | undefined;
}

/** The activities, bound to real dependencies: the worker and the tests build them the same way. */
export function createActivities(deps: ActivityDeps) {
  const books = deps.bookkeepingPool ?? deps.pool;
  const workflowId = () => Context.current().info.workflowExecution?.workflowId;
  return {
    /**
     * A run's first step: the settings, what Postgres holds of the call (its summary and its failures no run
     * has sent a notice for only when asked: a carried run knows them, and reads nothing proportional to the
     * call's history), its lanes' windows, and its first events planned.
     * Runs of older workers passed no options and read the summary.
     */
    async startRun(callId: string, events: CallEvent[], planKey: string, laneWindow: number, options: { summary: boolean } = { summary: true }) {
      const [plan, summary, lanes, unnoticed] = await Promise.all([
        planOrRefuse(books, events, planKey).then((plan) => refusedForOtherClient(deps, callId, plan)),
        options.summary ? loadCallSummary(books, callId, FAILURES_KEPT, ERROR_CHARS) : null,
        loadLaneWindows(books, callId, { limit: laneWindow }),
        // A carried run follows a run that saw every result: only a run that starts cold can find a failure nobody noticed.
        options.summary ? loadUnnoticedFailures(books, callId) : [],
      ]);
      return { settings: deps.settings, plan, summary, lanes, unnoticed };
    },
    async planEvents(events: CallEvent[], planKey: string) {
      return refusedForOtherClient(deps, workflowId() ?? '', await planOrRefuse(books, events, planKey));
    },
    async loadLane(callId: string, endpointId: string, afterLaneSeq: number, limit: number) {
      return (await loadLaneWindows(books, callId, { limit, endpointId, afterLaneSeq }))[0];
    },
    async loadLanes(callId: string, limit: number) {
      return loadLaneWindows(books, callId, { limit });
    },
    /** A page of an endpoint's recovery (recoverEndpointWorkflow). */
    async recoverPage(range: RecoverRange, afterSeq: string, limit: number) {
      return recoverPage(deps, range, afterSeq, limit);
    },
    async deliverBatch(input: { deliveryIds: string[]; budgetMs: number }) {
      return deliverBatch(deps, input);
    },
    async deliver(input: { deliveryId: string }) {
      return deliver(deps, input);
    },
    /** A delivery whose last attempt was lost (timed out) ends as failed here. */
    async markFailed(deliveryId: string, reason: string): Promise<void> {
      const kind = await markDeliveryFailed(books, deliveryId, reason);
      if (kind) deliveriesEnded.inc({ kind, outcome: 'failed' });
      deps.logger.warn({ deliveryId, reason, workflowId: workflowId() }, 'delivery failed finally');
    },
    async planRedelivery(callId: string, filter: RedeliveryFilter, source: string) {
      const plan = await planRedelivery(books, callId, filter, source);
      deps.logger.info({ callId, filter, source, deliveries: plan.deliveries.map((d) => d.deliveryId) }, 'redelivery requested');
      return plan;
    },
    /** `callId`: the signalled call's (absent from runs of older workers): another call's delivery is not skipped. */
    async skipDelivery(deliveryId: string, source: string, reason: string | null, callId?: string) {
      const skipped = await skipDelivery(books, deliveryId, source, reason, callId);
      deps.logger.warn({ deliveryId, source, reason, skipped: skipped !== null, workflowId: workflowId() }, 'delivery skipped by operator');
      return skipped;
    },
    /** A batch of the retention purge (retentionWorkflow). */
    async purgeExpired(cutoffIso: string, batchSize: number) {
      return purgeExpired(deps, cutoffIso, batchSize);
    },
    /** A page of the reconciler (reconcileWorkflow): starts the calls' workflows on this task queue, the call workflows' one. */
    async reconcileCalls(input: ReconcileCallsInput) {
      return reconcileCalls(deps, input, Context.current().info.taskQueue);
    },
    /** The reconciler's other step: events that terminated call runs never planned are signalled again. */
    async recoverTerminatedRuns(input: RecoverTerminatedRunsInput) {
      return recoverTerminatedRuns({ pool: books, logger: deps.logger, ...(deps.temporal && { temporal: deps.temporal }) }, input, Context.current().info.taskQueue);
    },
    /**
     * An operator's pauseEndpoint / resumeEndpoint signal to a call: the endpoint must be one this
     * call delivers to. Resuming wakes every call whose lane waits for it. False when refused.
     */
    async setEndpointPaused(callId: string, endpointId: string, paused: boolean, source: string): Promise<boolean> {
      if (!(await callDeliversTo(books, callId, endpointId))) {
        deps.logger.warn({ callId, endpointId, source }, `${paused ? 'pause' : 'resume'} refused: the call has no delivery to this endpoint`);
        return false;
      }
      const endpoint = paused ? await pauseEndpoint(books, endpointId, source) : await resumeEndpoint(books, endpointId);
      if (!endpoint) {
        deps.logger.warn({ callId, endpointId, source }, `${paused ? 'pause' : 'resume'} refused: the endpoint was deleted`);
        return false;
      }
      deps.logger.info({ callId, endpointId, source }, paused ? 'endpoint paused' : 'endpoint resumed');
      if (!paused) await wakeHeldCalls({ pool: books, outbox: deps.outbox }, endpointId);
      return true;
    },
    async cancelCall(callId: string, source: string, reason: string): Promise<number> {
      const skipped = await cancelPendingDeliveries(books, callId, source, reason);
      deps.logger.warn({ callId, source, reason, skipped }, 'call workflow cancelled: its pending deliveries were skipped');
      return skipped;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Events a platform service signalled for a call of another client are not planned: said in the log, never silently. */
function refusedForOtherClient<P extends { events: { eventId: string; otherClient?: boolean }[] }>(deps: ActivityDeps, callId: string, plan: P): P {
  const refused = plan.events.filter((e) => e.otherClient).map((e) => e.eventId);
  if (refused.length > 0) deps.logger.error({ callId, eventIds: refused }, 'events name another client than the call\'s: not delivered');
  return plan;
}
