/**
 * The outbox relay: runs in every API process (and in `npm start`'s one process) and signals the
 * call workflows from Postgres. An event is accepted once one statement has stored and planned it;
 * the relay then sends each call's waiting events in one `callEvents` signal-with-start (with their
 * planned deliveries, so the workflow needs no planning step), and the wake-ups of held calls as
 * `endpointReady` signals. Several relays share the work: each call is claimed through a session
 * advisory lock on the relay's own connection, so one relay at a time signals a call (per-call
 * order holds) and a relay that dies releases its calls with its connection. A relay that dies
 * after signalling and before marking leaves its events to be signalled again: the workflow
 * dedupes them by delivery id. While Temporal is unreachable, events wait here (the backlog is
 * bounded by OUTBOX_MAX_PENDING: the API answers 503 beyond it) and go out when it is back.
 */
import { context } from '@opentelemetry/api';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { signalCallEvents } from '../temporal/call-events-client';
import type { Pool } from '../db/pool';
import { backlogOf, claimCalls, deleteWakeups, loadPendingCalls, markSignaled, releaseCalls, type PendingCall } from '../db/outbox-repo';
import { deliverySettingsFrom, type DeliverySettings } from '../config/delivery-settings';
import type { Config } from '../config/config';
import type { Logger } from '../observability/logger';
import { outboxBacklog, outboxRelayErrors, outboxSignals } from '../observability/metrics';
import { endpointReadySignal } from '../workflows/messages';
import { startRelaySpans } from './relay-spans';

/** Calls claimed per round, events loaded per round, and signals in flight at once. */
const CALLS_PER_ROUND = 200;
const EVENTS_PER_ROUND = 5_000;
const CONCURRENCY = 32;
/** Deadline of one signal: a Temporal that does not answer within it counts as unreachable for the round. */
const SIGNAL_TIMEOUT_MS = 5_000;
/** Backoff after a failed round: doubles from the first to the last. */
const BACKOFF_MS = [100, 5_000] as const;

export interface OutboxRelayOptions {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** Passed to a call's first run when Postgres knew nothing of the call before. */
  deliverySettings?: DeliverySettings | undefined;
  /** How often an idle relay looks for work it was not told of (another process's, a crashed one's). */
  pollMs: number;
  /** Events waiting at which the API stops accepting (503). */
  maxPending: number;
  /** Deadline of each signal. */
  signalTimeoutMs: number;
}

export interface OutboxStatus {
  /** Events accepted and not yet signalled (counted up to maxPending). */
  backlog: number;
  /** When the oldest of them was accepted. */
  oldestAt: string | null;
  /** Whether the last round reached Temporal (true until a round fails). */
  temporalReachable: boolean;
  lastError: string | null;
  /** Whether the API should refuse new events: the backlog is full. */
  full: boolean;
}

export class OutboxRelay {
  private connection: pg.PoolClient | null = null;
  private running = false;
  private nudged = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private failures = 0;
  private readonly current: OutboxStatus = { backlog: 0, oldestAt: null, temporalReachable: true, lastError: null, full: false };
  private backlogTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: OutboxRelayOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    void this.refreshBacklog();
    this.backlogTimer = setInterval(() => void this.refreshBacklog(), 1_000);
    this.backlogTimer.unref();
  }

  /** Work was just added (an event accepted, a wake-up queued): look now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  status(): OutboxStatus {
    return { ...this.current };
  }

  /** Stops after the round under way (its signals are sent and marked). */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.backlogTimer);
    this.wake?.();
    await this.loopDone;
    this.connection?.release();
    this.connection = null;
  }

  /** Rounds until there is nothing to do, then waits for a nudge or the poll interval; backs off after failures. */
  private async loop(): Promise<void> {
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.round();
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.current.lastError = err instanceof Error ? err.message : String(err);
        outboxRelayErrors.inc();
        this.options.logger.error({ err, failures: this.failures }, 'outbox relay round failed; its events wait in Postgres and are tried again');
        this.dropConnection();
      }
      if (handled > 0 && this.failures === 0) continue;
      const waitMs = this.failures > 0 ? Math.min(BACKOFF_MS[0] * 2 ** (this.failures - 1), BACKOFF_MS[1]) : this.options.pollMs;
      await this.sleep(waitMs, this.failures === 0);
    }
  }

  private async sleep(ms: number, wakeOnNudge: boolean): Promise<void> {
    if (wakeOnNudge && this.nudged) {
      this.nudged = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (wakeOnNudge || !this.running) done();
      };
    });
    this.wake = null;
    this.nudged = false;
  }

  /** One round: claims calls with work, signals them, marks what was signalled. Returns the calls signalled. */
  private async round(): Promise<number> {
    const db = await this.db();
    const callIds = await claimCalls(db, CALLS_PER_ROUND);
    if (callIds.length === 0) return 0;
    try {
      const calls = await loadPendingCalls(db, callIds, EVENTS_PER_ROUND);
      const outcomes = await inBatches(calls, CONCURRENCY, (call) => this.relay(call));
      await markSignaled(db, outcomes.flatMap((o) => o.signaled));
      for (const outcome of outcomes) await deleteWakeups(db, outcome.callId, outcome.woken);
      const failed = outcomes.filter((o) => o.error);
      if (failed.length > 0 && failed.length === outcomes.length) {
        this.current.temporalReachable = false;
        throw new Error(`no call could be signalled (${failed.length}): ${failed[0]!.error}`);
      }
      this.current.temporalReachable = true;
      this.current.lastError = failed[0]?.error ?? null;
      // Calls that failed are tried again at the next poll (or nudge), not at once.
      return calls.length - failed.length;
    } finally {
      await releaseCalls(db);
    }
  }

  /** Signals one call its events and wake-ups; says which were sent. A failure is logged and left for the next round. */
  private async relay(call: PendingCall): Promise<{ callId: string; signaled: string[]; woken: string[]; error?: string }> {
    const { temporal, taskQueue, deliverySettings, signalTimeoutMs, logger } = this.options;
    const outcome: { callId: string; signaled: string[]; woken: string[]; error?: string } = { callId: call.callId, signaled: [], woken: [] };
    const deadline = () => Date.now() + signalTimeoutMs;
    try {
      if (call.events.length > 0) {
        const spans = startRelaySpans(call);
        try {
          const signals = await context.with(spans.context, () =>
            temporal.connection.withDeadline(deadline(), () =>
              signalCallEvents(temporal, call.callId, call.events, { taskQueue, newCallSettings: call.known ? undefined : deliverySettings }),
            ),
          );
          spans.end();
          outboxSignals.inc({ signal: 'callEvents' }, signals);
        } catch (err) {
          spans.end(err instanceof Error ? err.message : String(err));
          throw err;
        }
        outcome.signaled = call.events.map((e) => e.event.id);
      }
      for (const endpointId of call.wakeups) {
        try {
          await temporal.connection.withDeadline(deadline(), () => temporal.workflow.getHandle(call.callId).signal(endpointReadySignal, { endpointId }));
          outboxSignals.inc({ signal: 'endpointReady' });
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // the call ended meanwhile: nothing waits any more
        }
        outcome.woken.push(endpointId);
      }
    } catch (err) {
      outcome.error = err instanceof Error ? err.message : String(err);
      logger.warn({ err, callId: call.callId, events: call.events.length, wakeups: call.wakeups.length }, 'outbox relay could not signal a call; tried again next round');
    }
    return outcome;
  }

  private async db(): Promise<pg.PoolClient> {
    if (!this.connection) {
      const connection = await this.options.pool.connect();
      // A dropped connection fails the query under way (the round fails and reconnects); never an unhandled 'error'.
      connection.on('error', (err) => this.options.logger.warn({ err }, 'outbox relay lost its Postgres connection'));
      this.connection = connection;
    }
    return this.connection;
  }

  /** Gives up the connection (its locks go with it): the next round takes a fresh one. */
  private dropConnection(): void {
    this.connection?.release(true);
    this.connection = null;
  }

  private async refreshBacklog(): Promise<void> {
    try {
      const { count, oldest } = await backlogOf(this.options.pool, this.options.maxPending);
      this.current.backlog = count;
      this.current.oldestAt = oldest?.toISOString() ?? null;
      this.current.full = count >= this.options.maxPending;
      outboxBacklog.set(count);
    } catch (err) {
      this.options.logger.warn({ err }, 'could not count the outbox backlog');
    }
  }
}

/** Runs `work` over `items`, at most `concurrency` at once, results in order. */
async function inBatches<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += concurrency) results.push(...(await Promise.all(items.slice(i, i + concurrency).map(work))));
  return results;
}

/** The relay a configured process runs (npm start, npm run api, npm run worker). */
export function outboxRelayFrom(
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'OUTBOX_POLL' | 'OUTBOX_MAX_PENDING'> & Parameters<typeof deliverySettingsFrom>[0],
  services: { pool: Pool; temporal: Client; logger: Logger },
): OutboxRelay {
  return new OutboxRelay({
    ...services,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deliverySettings: deliverySettingsFrom(config),
    pollMs: config.OUTBOX_POLL,
    maxPending: config.OUTBOX_MAX_PENDING,
    signalTimeoutMs: SIGNAL_TIMEOUT_MS,
  });
}
