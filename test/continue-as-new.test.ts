import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness, ended } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';
import { stateQuery } from '../src/workflows/messages';

let h: Harness;
before(async () => {
  // The server suggests continue-as-new after 100 history events instead of thousands.
  h = await Harness.start({ devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=100'] });
});
after(async () => {
  await h?.stop();
});

const seq = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const EVENTS = 120;

test('continue-as-new under many events keeps order and loses nothing, even mid-retry', async () => {
  const clientId = 'client-can';
  const callId = `call-can-${Date.now()}`;
  const healthy = await Receiver.start(() => ({ status: 200, delayMs: Math.floor(Math.random() * 10) }));
  // Fails for the first 6 s: its lane is carried across runs with a delivery part-way through its retries.
  const recoversAt = Date.now() + 6_000;
  const flaky = await Receiver.start(() => (Date.now() < recoversAt ? { status: 500 } : { status: 200 }));
  await h.createEndpoint({ clientId, url: healthy.url });
  await h.createEndpoint({ clientId, url: flaky.url });

  for (let i = 0; i < EVENTS; i++) {
    await h.emit(callId, i === EVENTS - 1 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
    // One event a signal (the outbox relay would send a burst in a few): the history grows, and the run continues as new.
    await healthy.waitFor(i + 1, 10_000);
  }
  const log = await h.waitForDeliveries(callId, (l) => ended(l, EVENTS * 2), 90_000);

  const all = Array.from({ length: EVENTS }, (_, i) => i);
  assert.deepEqual(healthy.requests.map(seq), all, 'healthy endpoint: every event once, in order');
  // The flaky endpoint: every event, in order; an event may repeat only while it is being retried.
  const flakySeqs = flaky.requests.map(seq);
  assert.deepEqual([...new Set(flakySeqs)], all);
  for (let i = 1; i < flakySeqs.length; i++) assert.ok(flakySeqs[i]! >= flakySeqs[i - 1]!, 'never out of order');
  assert.deepEqual(log.filter((d) => d.status !== 'succeeded'), [], 'every delivery succeeded');
  // Attempt numbers go on across runs rather than starting again.
  for (const delivery of log) {
    assert.deepEqual(delivery.attempts.map((a) => a.attemptNumber), delivery.attempts.map((_, i) => i + 1));
  }

  // It really did continue as new, more than once.
  let runs = 0;
  for await (const _run of h.env.client.workflow.list({ query: `WorkflowId = "${callId}"` })) runs++;
  assert.ok(runs > 2, `the call ran in ${runs} runs`);
  const handle = h.env.client.workflow.getHandle(callId);
  const state = await handle.query(stateQuery);
  assert.equal(state.totals.events, EVENTS);
  assert.equal(state.totals.succeeded, EVENTS * 2);
  assert.equal(state.totals.failed, 0);
});

test('a paused endpoint is held across continue-as-new: resumed, it gets every event once, in order', async () => {
  const clientId = 'client-can-paused';
  const callId = `call-can-paused-${Date.now()}`;
  const healthy = await Receiver.start();
  const held = await Receiver.start();
  await h.createEndpoint({ clientId, url: healthy.url });
  const heldId = await h.createEndpoint({ clientId, url: held.url });
  assert.equal((await h.api('POST', `/v1/endpoints/${heldId}/pause`)).status, 200);

  for (let i = 0; i < EVENTS; i++) {
    await h.emit(callId, i === EVENTS - 1 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
    // One event a signal, as in the test above: the history grows, and the run continues as new.
    await healthy.waitFor(i + 1, 10_000);
  }
  let runs = 0;
  for await (const _run of h.env.client.workflow.list({ query: `WorkflowId = "${callId}"` })) runs++;
  assert.ok(runs > 2, `the call ran in ${runs} runs`);
  assert.equal(held.requests.length, 0, 'nothing reached the paused endpoint');

  assert.equal((await h.api('POST', `/v1/endpoints/${heldId}/resume`)).status, 200);
  const log = await h.waitForDeliveries(callId, (l) => ended(l, EVENTS * 2), 90_000);
  const all = Array.from({ length: EVENTS }, (_, i) => i);
  assert.deepEqual(held.requests.map(seq), all, 'every event once, in order');
  assert.deepEqual(log.filter((d) => d.status !== 'succeeded'), []);
  assert.ok(log.every((d) => d.attempts.length === 1), 'no attempt was spent while held');
});
