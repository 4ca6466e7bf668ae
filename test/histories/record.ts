/**
 * `npm run histories:record`: runs the call workflow through the situations open calls are in
 * (a long call that continues as new mid-retry, retries, redeliver, skip, a failure notice,
 * cancel, reset, events from the Temporal client, a late event after the run closed, an endpoint paused and
 * resumed, a circuit opened and closed, a rate limit, an endpoint disabled, hostile signals, a skip in a batch, continue-as-new
 * during a last attempt, a cancel while planning, a terminated call restarted by the reconciler; since the fewer-actions
 * patch: a `callEvents` batch with bad items, a paced call whose idle timer is kept, the same through the Temporal
 * client's `callEvent`, which takes the patch's marker) on a real dev server and Postgres, and writes
 * every run's history to test/histories/<scenario>.<n>.binpb (the History protobuf, binary: the SDK's
 * JSON helpers trip over two copies of protobufjs in node_modules). `npm test` replays them all
 * (test/replay.test.ts): a workflow change that would break an open call fails CI.
 *
 * Record again only for a change that is meant to be replay-safe (guarded by `patched()`), and
 * keep the old files too: open calls still have the old histories.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { FAST_SETTINGS, Harness } from '../helpers/harness';
import { Receiver } from '../helpers/receiver';
import pg from 'pg';
import { endpointReadySignal, pauseEndpointSignal, redeliverSignal, resumeEndpointSignal, retryNowSignal, skipSignal } from '../../src/workflows/messages';
import { emitCallEvent, emitCallEvents, signalCallEvents } from '../../src/temporal/call-events-client';
import { planEvents } from '../../src/db/lanes-repo';
import type { CallEvent } from '../../src/schemas/call-event';

const DIR = __dirname;
/** HISTORIES_ONLY=a,b records only those scenarios: the others' files (old histories open calls still have) stay as they are. */
const only = process.env.HISTORIES_ONLY?.split(',').map((name) => name.trim()).filter(Boolean);
const want = (scenario: string) => !only || only.includes(scenario);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitClosed(h: Harness, callId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await h.env.client.workflow.getHandle(callId).describe();
    if (description.status.name !== 'RUNNING') return;
    if (Date.now() > deadline) throw new Error(`${callId} still running after ${timeoutMs} ms`);
    await pause(250);
  }
}

/** Writes every run of the call (oldest first) as <scenario>.<n>.binpb. */
async function save(h: Harness, scenario: string, callId: string): Promise<void> {
  const runs: { runId: string; startTime: Date }[] = [];
  for await (const wf of h.env.client.workflow.list({ query: `WorkflowId = "${callId}"` })) runs.push({ runId: wf.runId, startTime: wf.startTime });
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  let n = 0;
  for (const run of runs) {
    const history = await h.env.client.workflow.getHandle(callId, run.runId).fetchHistory();
    writeFileSync(path.join(DIR, `${scenario}.${++n}.binpb`), temporal.api.history.v1.History.encode(history).finish());
  }
  console.log(`${scenario}: ${n} run(s)`);
}

/** The main harness's delivery settings. */
const SETTINGS = { ...FAST_SETTINGS, idleTimeoutMs: 1_000, abandonTimeoutMs: 3_000 };

async function main(): Promise<void> {
  const h = await Harness.start({
    devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=100'],
    settings: SETTINGS,
    retryAfterMaxMs: 2_000,
    endpointHealth: { circuitBreakerCalls: 2, circuitCooldownMs: 1_500 },
  });
  const stamp = Date.now();
  try {
    if (want('long-call-continue-as-new')) {
      const clientId = 'rec-long';
      const callId = `rec-long-${stamp}`;
      const healthy = await Receiver.start();
      const recoversAt = Date.now() + 3_000;
      const flaky = await Receiver.start(() => (Date.now() < recoversAt ? { status: 500 } : { status: 200 }));
      await h.createEndpoint({ clientId, url: healthy.url });
      await h.createEndpoint({ clientId, url: flaky.url });
      for (let i = 0; i < 150; i++) await h.emit(callId, i === 149 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await waitClosed(h, callId, 120_000);
      await save(h, 'long-call-continue-as-new', callId);
    }
    if (want('retry-then-success')) {
      const clientId = 'rec-retry';
      const callId = `rec-retry-${stamp}`;
      const receiver = await Receiver.start((_r, i) => (i < 2 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await waitClosed(h, callId);
      await save(h, 'retry-then-success', callId);
    }
    if (want('redeliver')) {
      const clientId = 'rec-redeliver';
      const callId = `rec-redeliver-${stamp}`;
      let healthy = false;
      const receiver = await Receiver.start(() => (healthy ? { status: 200 } : { status: 422 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await h.emit(callId, 'OUTBOUND_CALL_ERROR', { clientId, errors: [{ code: 'E', message: 'm' }] });
      await receiver.waitFor(2);
      await pause(500);
      healthy = true;
      await h.env.client.workflow.getHandle(callId).signal(redeliverSignal, {});
      await receiver.waitFor(4);
      await waitClosed(h, callId);
      await save(h, 'redeliver', callId);
    }
    if (want('skip')) {
      const clientId = 'rec-skip';
      const callId = `rec-skip-${stamp}`;
      const receiver = await Receiver.start((r) => ((r.json as { eventType: string }).eventType === 'INBOUND_CALL_ESTABLISHED' ? { status: 503 } : { status: 200 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      const eventId = await h.emit(callId, 'INBOUND_CALL_ESTABLISHED', { clientId });
      await h.emit(callId, 'INBOUND_CALL_COMPLETED', { clientId });
      await receiver.waitFor(2);
      const log = await h.deliveries(callId);
      const stuck = log.find((d) => d.eventId === eventId)!;
      await h.env.client.workflow.getHandle(callId).signal(skipSignal, { deliveryId: stuck.id, reason: 'recording' });
      await waitClosed(h, callId);
      await save(h, 'skip', callId);
    }
    if (want('retry-now')) {
      // retryNow twice: once while the workflow's timer waits (after the batch's attempt), once while the retry's activity waits out its policy's backoff.
      const clientId = 'rec-retry-now';
      const callId = `rec-retry-now-${stamp}`;
      const receiver = await Receiver.start((_r, i) => (i < 3 ? { status: 503 } : { status: 200 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await receiver.waitFor(1);
      const [delivery] = await h.waitForDeliveries(callId, (l) => l[0]?.nextAttemptAt != null, 10_000);
      const handle = h.env.client.workflow.getHandle(callId);
      await handle.signal(retryNowSignal, { deliveryId: delivery!.id });
      await receiver.waitFor(3);
      await pause(200);
      await handle.signal(retryNowSignal, { deliveryId: delivery!.id });
      await receiver.waitFor(4);
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await receiver.waitFor(5);
      await waitClosed(h, callId);
      await save(h, 'retry-now', callId);
    }
    if (want('failure-notice')) {
      const clientId = 'rec-notice';
      const callId = `rec-notice-${stamp}`;
      const broken = await Receiver.start(() => ({ status: 400 }));
      const alerts = await Receiver.start();
      await h.createEndpoint({ clientId, url: broken.url, events: ['OUTBOUND_CALL_ERROR'] });
      await h.createEndpoint({ clientId, url: alerts.url, events: ['WEBHOOK_DELIVERY_FAILED'] });
      await h.emit(callId, 'OUTBOUND_CALL_ERROR', { clientId, errors: [{ code: 'E', message: 'm' }] });
      await alerts.waitFor(1);
      await waitClosed(h, callId);
      await save(h, 'failure-notice', callId);
    }
    if (want('cancel')) {
      const clientId = 'rec-cancel';
      const callId = `rec-cancel-${stamp}`;
      const slow = await Receiver.start(() => ({ status: 200, delayMs: 400 }));
      await h.createEndpoint({ clientId, url: slow.url });
      for (let i = 0; i < 5; i++) await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await slow.waitFor(1);
      await h.env.client.workflow.getHandle(callId).cancel();
      await waitClosed(h, callId);
      await save(h, 'cancel', callId);
    }
    if (want('reset')) {
      const clientId = 'rec-reset';
      const callId = `rec-reset-${stamp}`;
      const slow = await Receiver.start(() => ({ status: 200, delayMs: 200 }));
      await h.createEndpoint({ clientId, url: slow.url });
      for (let i = 0; i < 6; i++) await h.emit(callId, i === 5 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await slow.waitFor(2);
      const handle = h.env.client.workflow.getHandle(callId);
      const { runId } = await handle.describe();
      const history = await handle.fetchHistory();
      const firstTask = history.events!.find((e) => e.workflowTaskCompletedEventAttributes)!;
      await h.env.client.workflowService.resetWorkflowExecution({
        namespace: h.env.namespace ?? 'default',
        workflowExecution: { workflowId: callId, runId },
        workflowTaskFinishEventId: firstTask.eventId,
        requestId: `reset-${stamp}`,
        reason: 'recording a reset',
      });
      await slow.waitFor(6, 30_000);
      await waitClosed(h, callId);
      await save(h, 'reset', callId);
    }
    if (want('temporal-client')) {
      // A platform service emitting through the Temporal client: the workflow plans the events itself.
      const clientId = 'rec-client';
      const callId = `rec-client-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      for (let i = 0; i < 3; i++) {
        const eventType = i === 2 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED';
        await emitCallEvent(h.env.client, { eventType, body: { data: { callId, clientId, seq: i } } }, { taskQueue: h.taskQueue });
      }
      await receiver.waitFor(3);
      await waitClosed(h, callId);
      await save(h, 'temporal-client', callId);
    }
    if (want('late-event')) {
      const clientId = 'rec-late';
      const callId = `rec-late-${stamp}`;
      const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 400 } : { status: 200 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await waitClosed(h, callId);
      await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
      await receiver.waitFor(2);
      await waitClosed(h, callId);
      await save(h, 'late-event', callId);
    }
    if (want('endpoint-paused')) {
      // Paused and resumed by an operator's signals: the lane holds, then delivers in order.
      const clientId = 'rec-paused';
      const callId = `rec-paused-${stamp}`;
      const receiver = await Receiver.start();
      const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await receiver.waitFor(1);
      const handle = h.env.client.workflow.getHandle(callId);
      await handle.signal(pauseEndpointSignal, { endpointId });
      await pause(500);
      await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await pause(1_500);
      await handle.signal(resumeEndpointSignal, { endpointId });
      await receiver.waitFor(3);
      await waitClosed(h, callId);
      await save(h, 'endpoint-paused', callId);
    }
    if (want('circuit-open')) {
      // Two calls fail on one endpoint: its circuit opens, lanes wait for it, a probe closes it.
      const clientId = 'rec-circuit';
      const calls = [`rec-circuit-a-${stamp}`, `rec-circuit-b-${stamp}`];
      let healthy = false;
      const receiver = await Receiver.start(() => (healthy ? { status: 200 } : { status: 503 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      for (const callId of calls) await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      for (let tries = 0; ; tries++) {
        const { rows } = await h.db.pool.query("SELECT 1 FROM endpoint_circuits WHERE state = 'open'");
        if (rows.length > 0) break;
        if (tries > 100) throw new Error('the circuit did not open');
        await pause(200);
      }
      for (const callId of calls) await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await pause(1_000);
      healthy = true;
      for (const callId of calls) await waitClosed(h, callId);
      await save(h, 'circuit-open', calls[0]!);
    }
    if (want('rate-limited')) {
      const clientId = 'rec-rate';
      const callId = `rec-rate-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url, rateLimit: 2 });
      for (let i = 0; i < 6; i++) await h.emit(callId, i === 5 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await receiver.waitFor(6, 30_000);
      await waitClosed(h, callId);
      await save(h, 'rate-limited', callId);
    }
    if (want('endpoint-disabled')) {
      // A 410 disables the endpoint; the WEBHOOK_ENDPOINT_DISABLED notice goes to the client's other endpoint.
      const clientId = 'rec-disabled';
      const callId = `rec-disabled-${stamp}`;
      const gone = await Receiver.start(() => ({ status: 410 }));
      const watcher = await Receiver.start();
      await h.createEndpoint({ clientId, url: gone.url });
      await h.createEndpoint({ clientId, url: watcher.url, events: ['WEBHOOK_ENDPOINT_DISABLED'] });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await watcher.waitFor(1);
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await waitClosed(h, callId);
      await save(h, 'endpoint-disabled', callId);
    }
    if (want('hostile-signals')) {
      // Every signal with inputs it must refuse, between valid events: refused in the state, never a failed task.
      const clientId = 'rec-hostile';
      const callId = `rec-hostile-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await receiver.waitFor(1);
      const handle = h.env.client.workflow.getHandle(callId);
      for (const name of ['callEvent', 'redeliver', 'skip', 'pauseEndpoint', 'resumeEndpoint', 'endpointReady', 'deliveryAttemptFailed']) {
        for (const args of [[], [null], [42], [{ foo: 1 }]]) await handle.signal(name, ...args);
      }
      await emitCallEvent(h.env.client, { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId, clientId } } }, { taskQueue: h.taskQueue });
      await receiver.waitFor(2);
      await waitClosed(h, callId);
      await save(h, 'hostile-signals', callId);
    }
    if (want('cancel-while-planning')) {
      // Cancelled while the workflow plans an event from the Temporal client (the events table held by a lock).
      const clientId = 'rec-cancel-planning';
      const callId = `rec-cancel-planning-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await receiver.waitFor(1);
      const locker = new pg.Client({ connectionString: h.db.url });
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE');
      await emitCallEvent(h.env.client, { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId, clientId } } }, { taskQueue: h.taskQueue });
      await pause(1_000);
      await h.env.client.workflow.getHandle(callId).cancel();
      await pause(1_000);
      await locker.query('COMMIT');
      await locker.end();
      await waitClosed(h, callId);
      await save(h, 'cancel-while-planning', callId);
    }
    if (want('call-events-batch')) {
      // callEvents: a planned batch (as the outbox relay sends it, starting the workflow), one with a bad event and another
      // call's among good ones, a malformed envelope, and an unplanned batch (emitCallEvents: the workflow plans it).
      const clientId = 'rec-batch';
      const callId = `rec-batch-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      const event = (i: number, of = callId): CallEvent => ({
        id: `evt_recbatch${stamp}x${i}${of === callId ? '' : 'other'}`,
        eventType: 'OUTBOUND_CALL_CONNECTED',
        occurredAt: new Date().toISOString(),
        body: { data: { callId: of, clientId, seq: i }, errors: [] },
      });
      const first = [0, 1, 2].map((i) => event(i));
      const plan = await planEvents(h.db.pool, first, `rec/${callId}`);
      const items = first.map((e) => ({ event: e, planned: plan.pending.filter((p) => p.eventId === e.id) }));
      await signalCallEvents(h.env.client, callId, items, { taskQueue: h.taskQueue, newCallSettings: SETTINGS });
      await receiver.waitFor(3);
      const handle = h.env.client.workflow.getHandle(callId);
      await handle.signal('callEvents', { events: [{ event: event(3) }, { event: event(4, 'rec-batch-other') }, { event: { id: 'evt_bad' } }, { event: event(5) }] });
      await handle.signal('callEvents', 42);
      await receiver.waitFor(5);
      await emitCallEvents(h.env.client, [
        { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId, clientId, seq: 6 } } },
        { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId, clientId, seq: 7 } } },
      ], { taskQueue: h.taskQueue });
      await receiver.waitFor(7);
      await waitClosed(h, callId);
      await save(h, 'call-events-batch', callId);
    }
    if (want('paced-idle-timer')) {
      // Events through the API (the outbox relay's callEvents) a few hundred ms apart, then a gap: the abandon period's
      // timer is kept across events, fires before the moved deadline (one for the rest follows), and a terminal event
      // arms the shorter idle period's.
      const clientId = 'rec-paced';
      const callId = `rec-paced-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      for (const [i, gap] of [300, 300, 1_400, 1_700, 0].entries()) {
        await h.emit(callId, gap === 0 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
        await pause(gap);
      }
      await receiver.waitFor(5);
      await waitClosed(h, callId);
      await save(h, 'paced-idle-timer', callId);
    }
    if (want('paced-idle-timer-patched')) {
      // The same through the Temporal client's callEvent: a run no batch started takes the fewer-actions patch (its marker).
      const clientId = 'rec-paced-client';
      const callId = `rec-paced-client-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      for (let i = 0; i < 4; i++) {
        await emitCallEvent(h.env.client, { eventType: i === 3 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', body: { data: { callId, clientId, seq: i } } }, { taskQueue: h.taskQueue });
        await pause(300);
      }
      await receiver.waitFor(4);
      await waitClosed(h, callId);
      await save(h, 'paced-idle-timer-patched', callId);
    }
  } finally {
    await h.stop();
  }
  await recordSlowAttempts(stamp);
}

/** Scenarios whose attempts take seconds: a harness of their own (longer attempts, 3 of them, continue-as-new after 60 events, the reconciler every second). */
async function recordSlowAttempts(stamp: number): Promise<void> {
  const scenarios = ['skip-in-batch', 'last-attempt-continue-as-new', 'reconciled-after-terminate'];
  if (!scenarios.some(want)) return;
  const h = await Harness.start({
    devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
    settings: { attemptTimeoutMs: 8_000, maxAttempts: 3, initialIntervalMs: 1_000, maximumIntervalMs: 1_000, idleTimeoutMs: 1_000, abandonTimeoutMs: 3_000 },
    reconcile: { everyMs: 1_000, graceMs: 1_000 },
  });
  try {
    if (want('skip-in-batch')) {
      // Three deliveries in one batch (the endpoint was paused while they arrived); the second skipped while the first is under way.
      const clientId = 'rec-skip-batch';
      const callId = `rec-skip-batch-${stamp}`;
      const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 200, delayMs: 2_500 } : { status: 200 }));
      const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
      await h.api('POST', `/v1/endpoints/${endpointId}/pause`);
      for (let i = 0; i < 3; i++) await h.emit(callId, i === 2 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await pause(1_000);
      const log = await h.deliveries(callId);
      await h.api('POST', `/v1/endpoints/${endpointId}/resume`);
      await receiver.waitFor(1);
      await h.env.client.workflow.getHandle(callId).signal(skipSignal, { deliveryId: log[1]!.id, reason: 'recording' });
      await receiver.waitFor(2);
      await waitClosed(h, callId);
      await save(h, 'skip-in-batch', callId);
    }
    if (want('last-attempt-continue-as-new')) {
      // The history passes the continue-as-new threshold while a delivery's last attempt is under way; it fails (503) and notifies.
      const clientId = 'rec-can-last';
      const callId = `rec-can-last-${stamp}`;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const receiver = await Receiver.start(async (_r, i) => {
        if (i < 2) return { status: 503 };
        await released;
        return { status: 503 };
      });
      const alerts = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.createEndpoint({ clientId, url: alerts.url, events: ['WEBHOOK_DELIVERY_FAILED'] });
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await receiver.waitFor(3, 20_000);
      const handle = h.env.client.workflow.getHandle(callId);
      for (let i = 0; i < 70; i++) await handle.signal(endpointReadySignal, { endpointId: 'ep_00000000000000000000000000000000' });
      await pause(2_500);
      release();
      await alerts.waitFor(1, 20_000);
      await waitClosed(h, callId);
      await save(h, 'last-attempt-continue-as-new', callId);
    }
    if (want('reconciled-after-terminate')) {
      // Terminated with deliveries retrying; the reconciler starts the call again and they are delivered.
      const clientId = 'rec-terminated';
      const callId = `rec-terminated-${stamp}`;
      let healthy = false;
      const receiver = await Receiver.start(() => (healthy ? { status: 200 } : { status: 503 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      for (let i = 0; i < 3; i++) await h.emit(callId, i === 2 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await receiver.waitFor(1);
      await h.env.client.workflow.getHandle(callId).terminate('recording a terminate');
      healthy = true;
      await receiver.waitFor(4, 30_000);
      await pause(500);
      await waitClosed(h, callId);
      await save(h, 'reconciled-after-terminate', callId);
    }
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
