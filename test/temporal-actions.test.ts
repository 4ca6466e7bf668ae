/**
 * Issue 16, fewer Temporal actions: what a call costs in billed actions (test/helpers/temporal-actions.ts
 * counts them from every run's history, by Temporal Cloud's rules: a signal-with-start, which is how
 * every call here starts, is one action, its signal; the run it starts is free). Before it, counted
 * with the run's start as one more action, a 10-event call paced 300 ms apart cost 35 (1 start,
 * 10 signals, 11 activities, 10 timers, 3 upserts), 10 events signalled at once 18, a one-event
 * call 7. The bounds below fail on that code, with or without the start.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CALL_WORKFLOW_TYPE, emitCallEvent, signalCallEvents } from '../src/temporal/call-events-client';
import { planEvents } from '../src/db/lanes-repo';
import type { CallEvent } from '../src/schemas/call-event';
import { ClientId, DeliveryState, LastEventType } from '../src/temporal/search-attributes';
import { stateQuery, type CallWorkflowInput } from '../src/workflows/messages';
import { FAST_SETTINGS, Harness } from './helpers/harness';
import { eventually } from './helpers/eventually';
import { Receiver } from './helpers/receiver';
import { describeActions, workflowActions, type ActionCount } from './helpers/temporal-actions';

let h: Harness;
let receiver: Receiver;
const clientId = 'client-actions';

before(async () => {
  h = await Harness.start();
  receiver = await Receiver.start();
  await h.createEndpoint({ clientId, url: receiver.url });
});
after(async () => {
  await h?.stop();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const eventType = (i: number, events: number) => (i === events - 1 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED');

/** Waits for the call's workflow to finish (its idle period after the last event), then counts the actions of all its runs. */
async function actionsOf(callId: string): Promise<ActionCount> {
  // The API answers once the event is stored; the outbox relay signals (and starts) the workflow right after.
  await eventually(() => h.env.client.workflow.getHandle(callId).describe().then(() => true), `the workflow of ${callId}`);
  await h.env.client.workflow.getHandle(callId).result();
  const count = await workflowActions(h.env.client, callId);
  console.log(`${callId}: ${describeActions(count)}`);
  return count;
}

/** The search attributes an operator finds the finished call by: what the starter set, and the run upserted since. */
async function assertFinalSearchAttributes(callId: string): Promise<void> {
  const attributes = (await h.env.client.workflow.getHandle(callId).describe()).typedSearchAttributes;
  assert.deepEqual(
    [attributes.get(ClientId), attributes.get(LastEventType), attributes.get(DeliveryState)],
    [clientId, 'OUTBOUND_CALL_COMPLETED', 'ok'],
  );
}

test('a 10-event call paced 300 ms apart through the API: one signal and one activity per event, two timers', async () => {
  const callId = `actions-paced-${Date.now()}`;
  const EVENTS = 10;
  for (let i = 0; i < EVENTS; i++) {
    await h.emit(callId, eventType(i, EVENTS), { clientId, data: { seq: i } });
    await pause(300);
  }
  const count = await actionsOf(callId);
  assert.equal(count.runs, 1);
  assert.ok(count.byKind.timers <= 2, `timers: ${describeActions(count)}`);
  assert.ok(count.byKind.upserts <= 1, `upserts: ${describeActions(count)}`);
  assert.ok(count.byKind.activities <= EVENTS, `activities: ${describeActions(count)}`);
  assert.equal(count.byKind.markers, 0, 'a run the outbox relay starts needs no patch marker');
  assert.ok(count.total <= 2.5 * EVENTS, describeActions(count));
  await h.waitForDeliveries(callId, (l) => l.length === EVENTS && l.every((d) => d.status === 'succeeded'));
  await assertFinalSearchAttributes(callId);
});

test('10 events in one callEvents batch, as the outbox relay sends them: at most 12 actions', async () => {
  const callId = `actions-batch-${Date.now()}`;
  const events: CallEvent[] = Array.from({ length: 10 }, (_, i) => ({
    id: `evt_batch${Date.now()}x${i}`,
    eventType: eventType(i, 10),
    occurredAt: new Date().toISOString(),
    body: { data: { callId, clientId, seq: i }, errors: [] },
  }));
  // Planned as the API plans them, signalled as the relay signals them (with the call's search attributes, if it starts).
  const plan = await planEvents(h.db.pool, events, `test/${callId}`);
  const items = events.map((event) => ({ event, planned: plan.pending.filter((item) => item.eventId === event.id) }));
  assert.equal(await signalCallEvents(h.env.client, callId, items, { taskQueue: h.taskQueue, newCallSettings: FAST_SETTINGS }), 1);
  const count = await actionsOf(callId);
  assert.equal(count.byKind.signals, 1);
  assert.ok(count.byKind.timers <= 1, `timers: ${describeActions(count)}`);
  assert.equal(count.byKind.upserts, 0, 'the relay set the search attributes as the run would');
  // One signal, at most an activity per event, at most one timer.
  assert.ok(count.total <= 12, describeActions(count));
  const log = await h.waitForDeliveries(callId, (l) => l.length === 10 && l.every((d) => d.status === 'succeeded'));
  assert.equal(log.length, 10);
  await assertFinalSearchAttributes(callId);
});

test('a one-event call: its signal (the signal-with-start; the run is free), one activity, one timer', async () => {
  const callId = `actions-one-${Date.now()}`;
  await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
  const count = await actionsOf(callId);
  assert.ok(count.total <= 3, describeActions(count));
  await assertFinalSearchAttributes(callId);
});

test('a call paced through the Temporal client (callEvent): the patch costs a marker, timers stay at two', async () => {
  const callId = `actions-client-${Date.now()}`;
  const EVENTS = 10;
  for (let i = 0; i < EVENTS; i++) {
    await emitCallEvent(h.env.client, { eventType: eventType(i, EVENTS), body: { data: { callId, clientId, seq: i } } }, { taskQueue: h.taskQueue });
    await pause(300);
  }
  const count = await actionsOf(callId);
  assert.ok(count.byKind.timers <= 2, `timers: ${describeActions(count)}`);
  assert.equal(count.byKind.markers, 1, 'the fewer-actions patch');
  assert.ok(count.byKind.upserts <= 2, `upserts: ${describeActions(count)}`);
  await assertFinalSearchAttributes(callId);
});

test('callEvents takes each event as a callEvent signal would: a bad one refused alone, a bad envelope whole', async () => {
  const callId = `actions-refusals-${Date.now()}`;
  const event = (seq: number, of = callId) => ({
    id: `evt_refusals${Date.now()}x${seq}`,
    eventType: seq === 3 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED',
    occurredAt: new Date().toISOString(),
    body: { data: { callId: of, clientId, seq }, errors: [] },
  });
  const seen = receiver.requests.length;
  // Unplanned (as emitCallEvents sends them): the workflow plans them itself.
  await h.env.client.workflow.signalWithStart(CALL_WORKFLOW_TYPE, {
    workflowId: callId,
    taskQueue: h.taskQueue,
    args: [{ callId } satisfies CallWorkflowInput],
    signal: 'callEvents',
    signalArgs: [{ events: [{ event: event(0) }, { event: event(9, 'another-call') }, { event: { id: 'evt_x' } }, { event: event(1), extra: true }, { event: event(2) }] }],
  });
  const handle = h.env.client.workflow.getHandle(callId);
  for (const envelope of [42, { events: [] }, { events: [{ event: event(8) }], more: 1 }]) await handle.signal('callEvents', envelope);
  await handle.signal('callEvents', { events: [{ event: event(3) }] });
  await h.waitForDeliveries(callId, (l) => l.length === 3 && l.every((d) => d.status === 'succeeded'));
  const mine = receiver.requests.slice(seen).filter((r) => (r.json as { body: { data: { callId: string } } }).body.data.callId === callId);
  assert.deepEqual(mine.map((r) => (r.json as { body: { data: { seq: number } } }).body.data.seq), [0, 2, 3]);
  const { rejected, totals } = await handle.query(stateQuery);
  assert.equal(totals.events, 3);
  assert.deepEqual(rejected.map((r) => r.message), Array(6).fill('callEvents'));
  const reasons = rejected.map((r) => r.reason).reverse(); // the state lists the latest first
  assert.match(reasons[0]!, /^event evt_\w+ belongs to call another-call/);
  assert.match(reasons[1]!, /^events\.2\.event\./);
  assert.match(reasons[2]!, /^events\.3: .*extra/);
  assert.match(reasons[3]!, /^\(input\): /);
  assert.match(reasons[4]!, /^events: /);
  assert.match(reasons[5]!, /more/);
  await handle.result();
});
