/**
 * One scenario against the simulation's shared system: its endpoints are created, its commands
 * run one after the other (each with its pause before it), then it heals (receivers answer 200,
 * dead URLs point back at them, paused endpoints are resumed), waits until its call has settled,
 * and reads what it left: its rows in Postgres, its receivers' requests, its runs' histories.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { emitCallEvent } from '../../src/temporal/call-events-client';
import type { Pool } from '../../src/db/pool';
import { DELIVERY_FAILED_EVENT, TEST_EVENT } from '../../src/domain/event-types';
import type { Harness } from '../helpers/harness';
import { EndpointTimeline } from './endpoint-timeline';
import {
  normalise,
  type AcceptedEvent,
  type ActionRow,
  type AttemptRow,
  type DeliveryRow,
  type EndpointRow,
  type EventRow,
  type RunHistory,
  type ScenarioResult,
  type Violation,
} from './invariants';
import { describeCommand, type Command, type HostilePayload, type Scenario, type SignalName, type Via } from './model';
import type { EndpointReceiver, SimReceiver } from './receiver';

/** What every scenario of a run shares. */
export interface Sim {
  h: Harness;
  client: Client;
  namespace: string;
  receiver: SimReceiver;
  /** The simulation's own connections (its reads do not take the API's or the worker's). */
  pool: Pool;
  settleTimeoutMs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SimEndpoint {
  index: number;
  key: string;
  id: string;
  receiver: EndpointReceiver;
  timeline: EndpointTimeline;
  urlVersion: number;
  dead: boolean;
  deleted: boolean;
}

interface EmittedEvent {
  id: string;
  eventType: string;
  occurredAt: string;
  body: { data: Record<string, unknown> & { callId: string; clientId: string }; errors: { code: string; message: string; phase: string }[] };
}

const SIM_SOURCE = 'sim';
/** The reconciler's schedule (every 1 s, 1 s grace) and a margin: how long a terminated run is left to it before the call counts as settled. */
const RECONCILER_TURN_MS = 5_000;
/** History events in one run past which a settling run is taken as stuck in a loop (continue-as-new comes at 40). */
const RUNAWAY_HISTORY = 2_000;
/** A well-formed delivery id no delivery has. */
const NO_SUCH_DELIVERY = `dlv_${'0'.repeat(32)}`;

export class ScenarioRunner {
  private readonly endpoints: SimEndpoint[] = [];
  private readonly accepted: AcceptedEvent[] = [];
  private readonly maybeAccepted: string[] = [];
  private readonly emitted: EmittedEvent[] = [];
  private readonly hostile: ScenarioResult['hostile'] = [];
  private readonly log: ScenarioResult['log'] = [];
  private readonly problems: Violation[] = [];

  constructor(
    private readonly sim: Sim,
    private readonly scenario: Scenario,
  ) {}

  private get h(): Harness {
    return this.sim.h;
  }

  private get handle() {
    return this.sim.client.workflow.getHandle(this.scenario.callId);
  }

  async run(): Promise<ScenarioResult> {
    await this.createEndpoints();
    for (const [index, command] of this.scenario.commands.entries()) {
      if (command.pauseMs > 0) await pause(command.pauseMs);
      const start = Date.now();
      let outcome: string;
      try {
        outcome = await this.execute(command);
      } catch (err) {
        outcome = `error: ${(err as Error).message}`;
      }
      this.log.push({ index, kind: command.kind, text: describeCommand(command), start, end: Date.now(), outcome });
    }
    await this.heal();
    const settle = await this.settle();
    const result: ScenarioResult = {
      scenario: this.scenario,
      endpoints: [],
      accepted: this.accepted,
      maybeAccepted: this.maybeAccepted,
      hostile: this.hostile,
      log: this.log,
      settle,
      db: await this.readRows(),
      histories: await this.readHistories(),
      problems: this.problems,
    };
    // A run looping without end would slow every other scenario down: stopped, once read.
    if (settle.reason?.includes('runaway history')) await this.onWorkflow(() => this.handle.terminate('sim: runaway history'));
    result.endpoints = this.endpoints.map((e) => {
      const row = result.db.endpoints.find((r) => r.id === e.id);
      return {
        index: e.index,
        id: e.id,
        timeline: e.timeline.withGone(e.receiver.goneAt, { active: row?.active ?? true, disabledAt: row?.disabledAt ?? null, disabledReason: row?.disabledReason ?? null }),
        arrivals: e.receiver.arrivals,
        goneAt: e.receiver.goneAt,
      };
    });
    return result;
  }

  // ------------------------------------------------ set-up

  private async createEndpoints(): Promise<void> {
    for (const [index, spec] of this.scenario.endpoints.entries()) {
      const key = `${this.scenario.index}/${index}`;
      const receiver = this.sim.receiver.register(key);
      const response = await this.h.api('POST', '/v1/endpoints', {
        clientId: this.scenario.clientId,
        kind: 'custom',
        url: this.sim.receiver.url(key, 1),
        events: spec.events,
        ...(spec.rateLimit !== null && { rateLimit: spec.rateLimit }),
      });
      if (response.status !== 201) throw new Error(`scenario ${this.scenario.index}: endpoint not created: ${response.status} ${JSON.stringify(response.body)}`);
      this.endpoints.push({
        index,
        key,
        id: response.body.id as string,
        receiver,
        timeline: new EndpointTimeline({ events: spec.events, active: true, deleted: false }),
        urlVersion: 1,
        dead: false,
        deleted: false,
      });
    }
  }

  private endpoint(index: number): SimEndpoint {
    return this.endpoints[index % this.endpoints.length]!;
  }

  // ------------------------------------------------ commands

  private async execute(command: Command): Promise<string> {
    switch (command.kind) {
      case 'emit':
        return this.emit(command.via, this.newEvent(command.eventType, command.withErrors));
      case 'duplicate': {
        if (this.emitted.length === 0) return 'no event yet';
        return this.emit(command.via, this.emitted[command.pick % this.emitted.length]!, true);
      }
      case 'redeliver':
        return this.redeliver(command);
      case 'skip': {
        const pending = await this.deliveryIds(['pending']);
        if (pending.length === 0) return 'nothing pending';
        const deliveryId = pending[command.pick % pending.length]!;
        return `${deliveryId}: ${await this.signal('skip', [{ deliveryId, reason: 'sim skip', source: SIM_SOURCE }])}`;
      }
      case 'pause':
      case 'resume': {
        const endpoint = this.endpoint(command.endpoint);
        if (command.via === 'api') return this.apiStatus('POST', `/v1/endpoints/${endpoint.id}/${command.kind}`, {}, [200, 404]);
        return this.signal(command.kind === 'pause' ? 'pauseEndpoint' : 'resumeEndpoint', [{ endpointId: endpoint.id, source: SIM_SOURCE }]);
      }
      case 'editUrl': {
        const endpoint = this.endpoint(command.endpoint);
        const url = command.to === 'dead' ? this.sim.receiver.deadUrl(endpoint.key) : this.sim.receiver.url(endpoint.key, endpoint.urlVersion + 1);
        const outcome = await this.apiStatus('PATCH', `/v1/endpoints/${endpoint.id}`, { url }, [200, 404]);
        if (outcome === '200') {
          endpoint.dead = command.to === 'dead';
          if (!endpoint.dead) endpoint.urlVersion++;
        }
        return outcome;
      }
      case 'editEvents':
        return this.patchEndpoint(command.endpoint, { events: command.events });
      case 'setActive':
        return this.patchEndpoint(command.endpoint, { active: command.active });
      case 'deleteEndpoint': {
        const endpoint = this.endpoint(command.endpoint);
        const start = Date.now();
        const outcome = await this.apiStatus('DELETE', `/v1/endpoints/${endpoint.id}`, undefined, [200, 404]);
        if (outcome === '200') {
          endpoint.deleted = true;
          endpoint.timeline.change(start, Date.now(), { deleted: true });
        }
        return outcome;
      }
      case 'receiver':
        this.endpoint(command.endpoint).receiver.setBehaviour(command.behaviour, command.count);
        return 'set';
      case 'cancel':
        return this.onWorkflow(() => this.handle.cancel());
      case 'terminate':
        return this.onWorkflow(() => this.handle.terminate('sim terminate'));
      case 'reset':
        return this.reset(command.point);
      case 'hostile':
        return this.sendHostile(command.signal, command.payload);
    }
  }

  private newEvent(eventType: string, withErrors: boolean): EmittedEvent {
    const n = this.emitted.length;
    const event: EmittedEvent = {
      id: `${this.scenario.callId}-e${n}`,
      eventType,
      occurredAt: new Date().toISOString(),
      body: {
        data: { callId: this.scenario.callId, clientId: this.scenario.clientId, seq: n, callStatus: eventType.replace(/^(OUT|IN)BOUND_CALL_/, '') },
        errors: withErrors ? [{ code: 'SIM_ERROR', message: 'generated by the simulation', phase: 'CONNECTING' }] : [],
      },
    };
    this.emitted.push(event);
    return event;
  }

  /** Emits an event (or emits one again) through the API or the Temporal client; a first acceptance is recorded. */
  private async emit(via: Via, event: EmittedEvent, duplicate = false): Promise<string> {
    const start = Date.now();
    let accepted = false;
    let outcome: string;
    try {
      if (via === 'api') {
        const response = await this.h.api('POST', '/v1/events', event);
        accepted = response.status === 202;
        outcome = `${response.status}${accepted ? '' : ` ${JSON.stringify(response.body)}`}`;
        if (response.status >= 500) this.problem(`POST /v1/events answered ${response.status}`, response.body);
        if (response.status === 409 && duplicate) this.problem(`a duplicate (same id, same content) was refused: 409`, response.body);
      } else {
        // emitCallEvent's SubmitEvent types the event type narrower than EmittedEvent's string: the generator only makes call event types.
        await emitCallEvent(this.sim.client, event as Parameters<typeof emitCallEvent>[1], { taskQueue: this.h.taskQueue });
        accepted = true;
        outcome = 'signalled';
      }
    } catch (err) {
      this.maybeAccepted.push(event.id);
      return `error: ${(err as Error).message}`;
    }
    const end = Date.now();
    const before = this.accepted.find((e) => e.eventId === event.id);
    if (accepted && before) {
      if (!before.doors.includes(via)) before.doors.push(via);
    } else if (accepted) {
      this.accepted.push({ eventId: event.id, eventType: event.eventType, via, doors: [via], order: this.accepted.length, start, end });
    } else if (!accepted) {
      this.maybeAccepted.push(event.id);
    }
    return `${event.id} ${outcome}`;
  }

  private async redeliver(command: Extract<Command, { kind: 'redeliver' }>): Promise<string> {
    const endpoint = this.endpoint(command.endpoint);
    const pickEnded = async () => {
      const ended = await this.deliveryIds(['failed', 'skipped']);
      return ended.length === 0 ? undefined : ended[command.pick % ended.length];
    };
    switch (command.how) {
      case 'api-call':
        return this.apiStatus('POST', `/v1/calls/${this.scenario.callId}/redeliver`, {}, [202]);
      case 'api-call-endpoint':
        return this.apiStatus('POST', `/v1/calls/${this.scenario.callId}/redeliver`, { endpointId: endpoint.id }, [202]);
      case 'api-delivery': {
        const deliveryId = await pickEnded();
        if (!deliveryId) return 'nothing failed or skipped';
        // 409: ended meanwhile by another way, or its endpoint was deleted.
        return `${deliveryId}: ${await this.apiStatus('POST', `/v1/deliveries/${deliveryId}/retry`, {}, [202, 409])}`;
      }
      case 'signal-all':
        return this.signal('redeliver', [{ source: SIM_SOURCE }]);
      case 'signal-endpoint':
        return this.signal('redeliver', [{ endpointId: endpoint.id, source: SIM_SOURCE }]);
      case 'signal-delivery': {
        const deliveryId = await pickEnded();
        if (!deliveryId) return 'nothing failed or skipped';
        return `${deliveryId}: ${await this.signal('redeliver', [{ deliveryId, source: SIM_SOURCE }])}`;
      }
    }
  }

  private async patchEndpoint(index: number, patch: { events?: string[]; active?: boolean }): Promise<string> {
    const endpoint = this.endpoint(index);
    const start = Date.now();
    const outcome = await this.apiStatus('PATCH', `/v1/endpoints/${endpoint.id}`, patch, [200, 404]);
    if (outcome === '200') endpoint.timeline.change(start, Date.now(), patch);
    return outcome;
  }

  private async reset(point: number): Promise<string> {
    let runId: string;
    try {
      runId = (await this.handle.describe()).runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'no workflow';
      throw err;
    }
    const history = await this.sim.client.workflow.getHandle(this.scenario.callId, runId).fetchHistory();
    const completed = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes);
    if (completed.length === 0) return 'no completed workflow task yet';
    const target = point === 0 ? completed[0]! : completed[point % completed.length]!;
    try {
      const reset = await this.sim.client.workflowService.resetWorkflowExecution({
        namespace: this.sim.namespace,
        workflowExecution: { workflowId: this.scenario.callId, runId },
        workflowTaskFinishEventId: target.eventId,
        requestId: randomUUID(),
        reason: 'sim reset',
      });
      return `reset ${runId} at event ${String(target.eventId)} of ${history.events?.length ?? 0} → ${reset.runId ?? '?'}`;
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    }
  }

  private async sendHostile(signal: SignalName, payload: HostilePayload): Promise<string> {
    const args = await this.hostileArgs(signal, payload);
    const outcome = await this.signal(signal, args);
    this.hostile.push({ signal, payload, signalled: outcome === 'signalled' });
    return `${JSON.stringify(args).slice(0, 200)}: ${outcome}`;
  }

  /** The arguments of a malformed signal (see HostilePayload). */
  private async hostileArgs(signal: SignalName, payload: HostilePayload): Promise<unknown[]> {
    switch (payload) {
      case 'none':
        return [];
      case 'null':
        return [null];
      case 'number':
        return [42];
      case 'string':
        return ['sim'];
      case 'array':
        return [[1, 'two', { three: 3 }]];
      case 'unknownField':
        return [{ foo: 1 }];
      case 'wrongFields':
        return [WRONG_FIELDS[signal]];
      case 'realIds': {
        const [pending] = await this.deliveryIds(['pending']);
        const [any] = await this.deliveryIds(['pending', 'failed', 'skipped', 'succeeded']);
        const deliveryId = pending ?? any ?? NO_SUCH_DELIVERY;
        const endpointId = this.endpoint(0).id;
        switch (signal) {
          case 'callEvent': {
            // A well-formed event of this call with deliveries it did not plan ("planned" by nobody): a forged API signal.
            // The event itself is a valid one of the call's client: stored and delivered, or refused, either is right.
            const event = { ...this.hostileEvent(this.scenario.clientId), id: `${this.scenario.callId}-forged${this.hostile.length}` };
            this.maybeAccepted.push(event.id);
            return [event, [{ deliveryId: NO_SUCH_DELIVERY, endpointId, eventId: event.id, eventType: event.eventType, kind: 'custom', laneSeq: 1 }]];
          }
          case 'redeliver':
            return [{ deliveryId, endpointId: 42 }];
          case 'skip':
            return [{ deliveryId, reason: 42 }];
          case 'pauseEndpoint':
          case 'resumeEndpoint':
            return [{ endpointId, source: 42 }];
          case 'endpointReady':
            return [{ endpointId, extra: [1] }];
          case 'deliveryAttemptFailed':
            return [{ deliveryId, attemptNumber: 'x', error: 5, nextAttemptAt: 'soon' }];
        }
        break;
      }
      case 'otherClient':
        // Only once the call belongs to its client (an intruder's event first would make the call the intruder's).
        if (this.accepted.length === 0) return [{ foo: 1 }];
        return [{ ...this.hostileEvent(`intruder-${this.scenario.clientId}`), id: `${this.scenario.callId}-intruder${this.hostile.length}` }];
    }
    return [];
  }

  private hostileEvent(clientId: string) {
    return {
      id: '',
      eventType: 'OUTBOUND_CALL_CONNECTED',
      occurredAt: new Date().toISOString(),
      body: { data: { callId: this.scenario.callId, clientId }, errors: [] },
    };
  }

  /** Signals the call's current run; a call with no run open answers so. */
  private async signal(name: string, args: unknown[]): Promise<string> {
    try {
      await this.handle.signal<unknown[]>(name, ...args);
      return 'signalled';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'no run open';
      throw err;
    }
  }

  private async onWorkflow(action: () => Promise<unknown>): Promise<string> {
    try {
      await action();
      return 'done';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'no run open';
      throw err;
    }
  }

  private async apiStatus(method: string, path: string, body: unknown, expected: number[]): Promise<string> {
    const response = await this.h.api(method, path, body);
    if (!expected.includes(response.status)) {
      if (response.status >= 500) this.problem(`${method} ${path.replace(/\/(ep|dlv)_[0-9a-f]+/, '/$1_…')} answered ${response.status}`, response.body);
      return `${response.status} ${JSON.stringify(response.body)}`;
    }
    return String(response.status);
  }

  private problem(message: string, evidence: unknown): void {
    this.problems.push({ invariant: 'api', kind: normalise(message), message, evidence });
  }

  private async deliveryIds(statuses: string[]): Promise<string[]> {
    const { rows } = await this.sim.pool.query<{ id: string }>(`SELECT id FROM deliveries WHERE call_id = $1 AND status = ANY ($2::text[]) ORDER BY seq`, [this.scenario.callId, statuses]);
    return rows.map((r) => r.id);
  }

  // ------------------------------------------------ heal, settle, collect

  /** Receivers answer 200 again, dead URLs point back at them, and paused endpoints are resumed (not re-enabled, not undeleted). */
  private async heal(): Promise<void> {
    for (const endpoint of this.endpoints) {
      endpoint.receiver.heal();
      if (endpoint.deleted) continue;
      if (endpoint.dead) {
        const outcome = await this.apiStatus('PATCH', `/v1/endpoints/${endpoint.id}`, { url: this.sim.receiver.url(endpoint.key, ++endpoint.urlVersion) }, [200, 404]);
        if (outcome === '200') endpoint.dead = false;
      }
      await this.apiStatus('POST', `/v1/endpoints/${endpoint.id}/resume`, {}, [200, 404]);
    }
    this.log.push({ index: this.scenario.commands.length, kind: 'heal', text: 'heal: receivers 200, URLs fixed, endpoints resumed', start: Date.now(), end: Date.now(), outcome: 'done' });
  }

  /**
   * Waits until the call has settled: nothing pending in Postgres, every failed delivery's notice
   * planned, its run closed or idle (no workflow task, no activity), and the same counts twice in a row. Gives up at the timeout, or
   * early when the run is stuck (a workflow task or a bookkeeping activity failing again and again).
   */
  private async settle(): Promise<ScenarioResult['settle']> {
    const start = Date.now();
    const deadline = start + this.sim.settleTimeoutMs;
    let previous = '';
    let stuckSince: number | undefined;
    let last = '';
    for (;;) {
      const counts = await this.sim.pool.query<{ pending: number; unnoticed: number; deliveries: number; events: number; attempts: number }>(
        // unnoticed: failed deliveries whose failure notice is not planned yet (the reconciler sends those a run left behind).
        `SELECT (SELECT count(*) FROM deliveries WHERE call_id = $1 AND status = 'pending')::int AS pending,
                (SELECT count(*) FROM deliveries d JOIN events e ON e.id = d.event_id
                  WHERE d.call_id = $1 AND d.status = 'failed' AND e.event_type <> ALL ($2::text[])
                    AND NOT EXISTS (SELECT 1 FROM events n WHERE n.id = 'whfail_' || d.id || '_' || d.lane_seq))::int AS unnoticed,
                (SELECT count(*) FROM deliveries WHERE call_id = $1)::int AS deliveries,
                (SELECT count(*) FROM events WHERE call_id = $1)::int AS events,
                (SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.call_id = $1)::int AS attempts`,
        [this.scenario.callId, [DELIVERY_FAILED_EVENT, TEST_EVENT]],
      );
      const c = counts.rows[0]!;
      // A pause signal the workflow took after the heal's resume (signals are handled in their turn): resumed again.
      const paused = await this.sim.pool.query<{ id: string }>(`SELECT id FROM endpoints WHERE client_id = $1 AND paused_at IS NOT NULL AND deleted_at IS NULL`, [this.scenario.clientId]);
      for (const { id } of paused.rows) {
        const outcome = await this.apiStatus('POST', `/v1/endpoints/${id}/resume`, {}, [200, 404]);
        const index = this.endpoints.find((e) => e.id === id)?.index ?? -1;
        this.log.push({ index: this.log.length, kind: 'settle', text: `settle: ep${index} was paused (a pause taken after the heal): resume`, start: Date.now(), end: Date.now(), outcome });
      }
      let status = 'none';
      let runId = '';
      let busy = false;
      let stuck: string | undefined;
      let details = '';
      try {
        const description = await this.handle.describe();
        status = description.status.name;
        runId = description.runId;
        const task = description.raw.pendingWorkflowTask;
        const activities = description.raw.pendingActivities ?? [];
        busy = status === 'RUNNING' && (Boolean(task) || activities.length > 0);
        // A terminated run is the reconciler's to repair (pending deliveries, events it never planned): give it its turn.
        const closedFor = Date.now() - (description.closeTime?.getTime() ?? 0);
        if (status === 'TERMINATED' && closedFor < RECONCILER_TURN_MS) busy = true;
        const historyLength = Number(description.raw.workflowExecutionInfo?.historyLength ?? 0);
        details = [
          `history ${historyLength} events`,
          ...(task ? [`workflow task attempt ${task.attempt ?? 0}`] : []),
          ...activities.map((a) => `${a.activityType?.name ?? '?'} attempt ${a.attempt ?? 0}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 120)})` : ''}`),
        ].join(', ');
        if (task && (task.attempt ?? 0) >= 3) stuck = `workflow task attempt ${task.attempt}`;
        const failing = activities.find((a) => a.activityType?.name !== 'deliver' && (a.attempt ?? 0) >= 5);
        if (failing) stuck = `activity ${failing.activityType?.name ?? '?'} attempt ${failing.attempt}: ${failing.lastFailure?.message ?? ''}`;
        // A run whose history grows without end (a loop of activities) gets nowhere either.
        if (historyLength > RUNAWAY_HISTORY) stuck = `runaway history: ${historyLength} events in one run`;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      last = `pending ${c.pending}, failed without notice ${c.unnoticed}, deliveries ${c.deliveries}, events ${c.events}, attempts ${c.attempts}, run ${runId} ${status}${busy ? ' busy' : ''} (${details})${stuck ? `, stuck: ${stuck}` : ''}`;
      const snapshot = `${c.pending}/${c.unnoticed}/${c.deliveries}/${c.events}/${c.attempts}/${runId}/${status}/${busy}`;
      if (c.pending === 0 && c.unnoticed === 0 && !busy && snapshot === previous) return { settled: true, ms: Date.now() - start };
      previous = snapshot;
      if (stuck) {
        stuckSince ??= Date.now();
        if (Date.now() - stuckSince > 3_000) return { settled: false, ms: Date.now() - start, reason: `stuck: ${last}` };
      } else {
        stuckSince = undefined;
      }
      if (Date.now() > deadline) return { settled: false, ms: Date.now() - start, reason: `timed out after ${this.sim.settleTimeoutMs} ms: ${last}` };
      await pause(500);
    }
  }

  private async readRows(): Promise<ScenarioResult['db']> {
    const { pool } = this.sim;
    const callId = this.scenario.callId;
    const ms = (d: Date | null) => (d === null ? null : d.getTime());
    const [deliveries, attempts, actions, events, endpoints, recovered] = await Promise.all([
      pool.query<Omit<DeliveryRow, 'laneSeq' | 'seq' | 'nextAttemptAt'> & { laneSeq: string; seq: string; nextAttemptAt: Date | null }>(
        `SELECT d.id, d.event_id AS "eventId", e.event_type AS "eventType", d.endpoint_id AS "endpointId", d.status,
                d.attempt_count AS "attemptCount", d.attempt_base AS "attemptBase", d.lane_seq::text AS "laneSeq", d.seq::text AS seq,
                d.last_error AS "lastError", d.next_attempt_at AS "nextAttemptAt"
         FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.call_id = $1 ORDER BY d.seq`,
        [callId],
      ),
      pool.query<Omit<AttemptRow, 'id' | 'startedAt'> & { id: string; startedAt: Date }>(
        `SELECT a.id::text AS id, a.delivery_id AS "deliveryId", a.attempt_number AS "attemptNumber", a.started_at AS "startedAt",
                a.outcome, a.status_code AS "statusCode", a.error
         FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.call_id = $1 ORDER BY a.id`,
        [callId],
      ),
      pool.query<Omit<ActionRow, 'id' | 'createdAt'> & { id: string; createdAt: Date }>(
        `SELECT x.id::text AS id, x.delivery_id AS "deliveryId", x.action, x.source, x.created_at AS "createdAt"
         FROM delivery_actions x JOIN deliveries d ON d.id = x.delivery_id WHERE d.call_id = $1 ORDER BY x.id`,
        [callId],
      ),
      pool.query<Omit<EventRow, 'receivedAt' | 'plannedAt'> & { receivedAt: Date; plannedAt: Date | null }>(
        `SELECT id, event_type AS "eventType", client_id AS "clientId", received_at AS "receivedAt", planned_at AS "plannedAt"
         FROM events WHERE call_id = $1 ORDER BY received_at, id`,
        [callId],
      ),
      pool.query<{ id: string; active: boolean; paused: boolean; deleted: boolean; disabledAt: Date | null; disabledReason: string | null }>(
        `SELECT id, active, paused_at IS NOT NULL AS paused, deleted_at IS NOT NULL AS deleted, disabled_at AS "disabledAt", disabled_reason AS "disabledReason"
         FROM endpoints WHERE client_id = $1`,
        [this.scenario.clientId],
      ),
      // The events the reconciler signalled again from a terminated run (recovered_runs, where the table exists).
      pool.query<{ id: string }>(
        `SELECT unnest(event_ids) AS id FROM recovered_runs WHERE call_id = $1 AND to_regclass('recovered_runs') IS NOT NULL`,
        [callId],
      ).catch(() => ({ rows: [] as { id: string }[] })),
    ]);
    return {
      deliveries: deliveries.rows.map((d) => ({ ...d, laneSeq: Number(d.laneSeq), seq: Number(d.seq), nextAttemptAt: ms(d.nextAttemptAt) })),
      attempts: attempts.rows.map((a) => ({ ...a, id: Number(a.id), startedAt: a.startedAt.getTime() })),
      actions: actions.rows.map((a) => ({ ...a, id: Number(a.id), createdAt: a.createdAt.getTime() })),
      events: events.rows.map((e) => ({ ...e, receivedAt: e.receivedAt.getTime(), plannedAt: ms(e.plannedAt) })),
      endpoints: endpoints.rows.map((e): EndpointRow => ({ ...e, disabledAt: ms(e.disabledAt) })),
      recovered: recovered.rows.map((r) => r.id),
    };
  }

  /**
   * Every run of the call: those the visibility store lists, the current one, and those they lead
   * back to (the run a continue-as-new came from, the run a reset was based on).
   */
  private async readHistories(): Promise<RunHistory[]> {
    const { client } = this.sim;
    const callId = this.scenario.callId;
    const toRead: string[] = [];
    try {
      for await (const run of client.workflow.list({ query: `WorkflowId = "${callId}"` })) toRead.push(run.runId);
    } catch {
      // visibility is a help here, not a need
    }
    try {
      toRead.push((await this.handle.describe()).runId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    const histories = new Map<string, temporal.api.history.v1.IHistory>();
    for (let runId = toRead.shift(); runId !== undefined; runId = toRead.shift()) {
      if (histories.has(runId)) continue;
      const history = await client.workflow.getHandle(callId, runId).fetchHistory();
      histories.set(runId, history);
      for (const event of history.events ?? []) {
        const previous = event.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
        if (previous) toRead.push(previous);
        const base = event.workflowTaskFailedEventAttributes?.baseRunId;
        if (base) toRead.push(base);
      }
    }
    return [...histories].map(([runId, history]) => ({ runId, history }));
  }
}

/** Objects with the right keys and the wrong types, per signal. */
const WRONG_FIELDS: Record<SignalName, unknown> = {
  callEvent: { id: 5, eventType: 7, occurredAt: 'yesterday', body: 'nobody' },
  redeliver: { deliveryId: 5, since: 'not a date' },
  skip: { deliveryId: 123, reason: 5 },
  pauseEndpoint: { endpointId: 7 },
  resumeEndpoint: { endpointId: 7 },
  endpointReady: { endpointId: { nested: true } },
  deliveryAttemptFailed: { deliveryId: null, attemptNumber: 'x', error: 5, nextAttemptAt: 'soon' },
};

