/**
 * Endpoint health across calls (issue 10), against a real dev server and Postgres: pause and
 * resume, auto-disable (410 Gone, failing for ENDPOINT_DISABLE_AFTER) with its
 * WEBHOOK_ENDPOINT_DISABLED event, the circuit breaker, and the per-endpoint rate limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness } from './helpers/harness';
import { eventually } from './helpers/eventually';
import { Receiver, type ReceivedRequest } from './helpers/receiver';
import { pauseEndpointSignal, resumeEndpointSignal, stateQuery } from '../src/workflows/messages';

const idOf = (r: ReceivedRequest) => (r.json as { id: string }).id;
const callOf = (r: ReceivedRequest) => (r.json as { body: { data: { callId: string } } }).body.data.callId;
const typeOf = (r: ReceivedRequest) => (r.json as { eventType: string }).eventType;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ids a receiver got for one call, in arrival order. */
function receivedFor(receiver: Receiver, callId: string): string[] {
  return receiver.requests.filter((r) => callOf(r) === callId).map(idOf);
}

async function endpoint(h: Harness, id: string): Promise<Record<string, unknown>> {
  const response = await h.api('GET', `/v1/endpoints/${id}`);
  assert.equal(response.status, 200);
  return response.body as Record<string, unknown>;
}

describe('endpoint health', () => {
  let h: Harness;
  const COOLDOWN_MS = 2_000;
  before(async () => {
    h = await Harness.start({ endpointHealth: { circuitBreakerCalls: 3, circuitCooldownMs: COOLDOWN_MS } });
  });
  after(async () => {
    await h?.stop();
  });

  test('a paused endpoint holds its deliveries (not attempted, not failed); resumed, they go out per call in order', async () => {
    const clientId = 'client-pause';
    const paused = await Receiver.start();
    const other = await Receiver.start();
    const pausedId = await h.createEndpoint({ clientId, url: paused.url });
    await h.createEndpoint({ clientId, url: other.url });
    const calls = [`call-pause-a-${Date.now()}`, `call-pause-b-${Date.now()}`];
    const emitted = new Map<string, string[]>(calls.map((c) => [c, []]));
    for (const callId of calls) emitted.get(callId)!.push(await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId }));
    await paused.waitFor(2);

    const pause = await h.api('POST', `/v1/endpoints/${pausedId}/pause`);
    assert.equal(pause.status, 200);
    assert.ok(pause.body.pausedAt);
    for (let i = 0; i < 3; i++) {
      for (const callId of calls) emitted.get(callId)!.push(await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId }));
    }
    await other.waitFor(8); // the other endpoint is not held
    assert.match(await fetch(`${h.baseUrl}/metrics`).then((r) => r.text()), /callhook_endpoints\{state="paused"\} [1-9]/);
    await sleep(1_500);
    assert.equal(paused.requests.length, 2, 'nothing is sent to a paused endpoint');
    for (const callId of calls) {
      const held = (await h.deliveries(callId)).filter((d) => d.endpointId === pausedId && d.status === 'pending');
      assert.equal(held.length, 3);
      assert.ok(held.every((d) => d.attempts.length === 0), 'held deliveries have no attempt');
      const handle = h.client.workflow.getHandle(callId);
      const lane = await eventually(async () => (await handle.query(stateQuery)).lanes.find((l) => l.endpointId === pausedId && l.held), 'the lane to say it is held');
      assert.equal(lane.held!.reason, 'paused');
      const details = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
      assert.match(details.currentDetails ?? '', new RegExp(`waiting: endpoint ${pausedId} is paused`));
      await eventually(async () => ((await handle.describe()).searchAttributes.DeliveryState?.[0] === 'held' ? true : undefined), 'DeliveryState = held');
    }

    const resumedAt = Date.now();
    assert.equal((await h.api('POST', `/v1/endpoints/${pausedId}/resume`)).status, 200);
    await paused.waitFor(8, 10_000);
    // Woken by a signal, not by the lanes' own look after minutes.
    assert.ok(Date.now() - resumedAt < 8_000, `resumed deliveries took ${Date.now() - resumedAt} ms`);
    for (const callId of calls) {
      assert.deepEqual(receivedFor(paused, callId), emitted.get(callId), 'in emission order per call');
      const log = await h.waitForDeliveries(callId, (l) => l.every((d) => d.status === 'succeeded'));
      assert.ok(log.filter((d) => d.endpointId === pausedId).every((d) => d.attempts.length === 1));
    }
    assert.equal((await endpoint(h, pausedId)).pausedAt, null);
  });

  test('an operator pauses and resumes an endpoint by signalling a call from the Temporal UI', async () => {
    const clientId = 'client-pause-signal';
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    const callId = `call-pause-signal-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await receiver.waitFor(1);
    const handle = h.client.workflow.getHandle(callId);

    await handle.signal(pauseEndpointSignal, { endpointId });
    const paused = await eventually(async () => {
      const view = await endpoint(h, endpointId);
      return view.pausedAt ? view : undefined;
    }, 'the endpoint to be paused');
    assert.equal(paused.pausedBy, 'temporal-ui');
    const second = await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await eventually(async () => ((await handle.query(stateQuery)).lanes.some((l) => l.held?.reason === 'paused') ? true : undefined), 'the lane to be held');
    assert.equal(receiver.requests.length, 1);

    // An endpoint the call does not deliver to is refused (logged), and changes nothing.
    const stranger = await h.createEndpoint({ clientId: 'client-stranger', url: receiver.url });
    await handle.signal(pauseEndpointSignal, { endpointId: stranger });
    await handle.signal(resumeEndpointSignal, { endpointId });
    await receiver.waitFor(2, 10_000);
    assert.equal(idOf(receiver.requests[1]!), second);
    assert.equal((await endpoint(h, endpointId)).pausedAt, null);
    assert.equal((await endpoint(h, stranger)).pausedAt, null);
  });

  test('cancelling a call held by a paused endpoint ends its waiting deliveries as skipped', async () => {
    const clientId = 'client-pause-cancel';
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/pause`)).status, 200);
    const callId = `call-pause-cancel-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const handle = h.client.workflow.getHandle(callId);
    await eventually(async () => ((await handle.query(stateQuery)).lanes.some((l) => l.held?.reason === 'paused') ? true : undefined), 'the lane to be held');
    await handle.cancel();
    const log = await h.waitForDeliveries(callId, (l) => l.length === 2 && l.every((d) => d.status === 'skipped'));
    assert.ok(log.every((d) => d.attempts.length === 0));
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    assert.equal(receiver.requests.length, 0);
  });

  test('a test event reaches a paused endpoint: checking it is what one does before resuming', async () => {
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId: 'client-pause-test', url: receiver.url });
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/pause`)).status, 200);
    const tested = await h.api('POST', `/v1/endpoints/${endpointId}/test`);
    assert.equal(tested.status, 200, JSON.stringify(tested.body));
    assert.equal(tested.body.outcome, 'succeeded');
    assert.equal(typeOf(receiver.requests[0]!), 'WEBHOOK_TEST');
  });

  test('410 Gone disables the endpoint at once, tells the client, and re-enabling it resumes delivery', async () => {
    const clientId = 'client-gone';
    let gone = true;
    const receiver = await Receiver.start(() => (gone ? { status: 410, body: 'gone' } : { status: 200 }));
    const watcher = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    await h.createEndpoint({ clientId, url: watcher.url, events: ['WEBHOOK_ENDPOINT_DISABLED'] });
    const callId = `call-gone-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });

    await watcher.waitFor(1, 15_000);
    const notice = watcher.requests[0]!.json as { eventType: string; body: { data: Record<string, unknown>; errors: { code: string }[] } };
    assert.equal(notice.eventType, 'WEBHOOK_ENDPOINT_DISABLED');
    assert.equal(notice.body.data.endpointId, endpointId);
    assert.equal(notice.body.data.callId, callId);
    assert.equal(notice.body.data.clientId, clientId);
    assert.equal(notice.body.data.reason, 'answered 410 Gone');
    assert.equal(notice.body.errors[0]!.code, 'ENDPOINT_DISABLED');
    const view = await endpoint(h, endpointId);
    assert.equal(view.active, false);
    assert.equal(view.disabledReason, 'answered 410 Gone');
    assert.ok(view.disabledAt);
    assert.equal(receiver.requests.length, 1);
    // The notice is callhook's, not the call's: the call still counts one event.
    const state = await h.client.workflow.getHandle(callId).query(stateQuery);
    assert.equal(state.totals.events, 1);

    // Disabled: a new event of the call is not delivered to it.
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await sleep(1_000);
    assert.equal(receiver.requests.length, 1);

    gone = false;
    const enabled = await h.api('PATCH', `/v1/endpoints/${endpointId}`, { active: true });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.disabledReason, null);
    const third = await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    await receiver.waitFor(2);
    assert.equal(idOf(receiver.requests[1]!), third);
    assert.equal(watcher.requests.length, 1, 'one notice');
  });

  test('the circuit opens when an endpoint fails in many calls, lets one probe through after the cool-down, and closes on success', async () => {
    const clientId = 'client-circuit';
    let healthy = false;
    const receiver = await Receiver.start(() => (healthy ? { status: 200 } : { status: 503 }));
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    const stamp = Date.now();
    const calls = [0, 1, 2, 3, 4].map((i) => `call-circuit-${i}-${stamp}`);
    const emitted = new Map<string, string[]>();
    for (const callId of calls) emitted.set(callId, [await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId })]);

    const health = await eventually(async () => {
      const response = await h.api('GET', `/v1/endpoints/${endpointId}/health`);
      return response.body.circuit?.state === 'open' ? response.body : undefined;
    }, 'the circuit to open');
    assert.ok(health.circuit.failingCalls >= 3);
    assert.match(await fetch(`${h.baseUrl}/metrics`).then((r) => r.text()), /callhook_endpoints\{state="circuit_open"\} [1-9]/);
    assert.ok(health.circuit.retryAt);
    // Every call's lane now waits for the circuit instead of retrying on its own schedule.
    for (const callId of calls) emitted.get(callId)!.push(await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId }));
    const heldCall = await eventually(async () => {
      for (const callId of calls) {
        const state = await h.client.workflow.getHandle(callId).query(stateQuery);
        if (state.lanes.some((l) => l.held?.reason === 'circuit_open')) return callId;
      }
      return undefined;
    }, 'a lane held by the open circuit');
    const details = (await h.client.workflow.getHandle(heldCall).query('__temporal_workflow_metadata')) as { currentDetails?: string };
    assert.match(details.currentDetails ?? '', /circuit is open/);

    // While open, attempts go out one probe per cool-down at the most, whatever the number of calls.
    const openedAt = Date.now();
    await sleep(3 * COOLDOWN_MS);
    const whileOpen = receiver.requests.filter((r) => r.at >= openedAt + 500).map((r) => r.at);
    assert.ok(whileOpen.length <= 4, `${whileOpen.length} attempts in ${3 * COOLDOWN_MS} ms of an open circuit`);
    for (let i = 1; i < whileOpen.length; i++) assert.ok(whileOpen[i]! - whileOpen[i - 1]! >= COOLDOWN_MS - 500, 'probes are a cool-down apart');

    healthy = true;
    const healedAt = Date.now();
    for (const callId of calls) {
      await h.waitForDeliveries(callId, (l) => l.length === 2 && l.every((d) => d.status === 'succeeded'), 30_000);
      // Nothing had been delivered before: after healing, each call's events arrived in emission order.
      assert.deepEqual(
        receiver.requests.filter((r) => callOf(r) === callId && r.at >= healedAt).map(idOf),
        emitted.get(callId),
      );
    }
    const closed = await h.api('GET', `/v1/endpoints/${endpointId}/health`);
    assert.equal(closed.body.circuit.state, 'closed');
    const metrics = await fetch(`${h.baseUrl}/metrics`).then((r) => r.text());
    assert.match(metrics, /callhook_circuit_transitions_total\{to="open"\} [1-9]/);
    assert.match(metrics, /callhook_circuit_transitions_total\{to="closed"\} [1-9]/);
    assert.match(metrics, /callhook_deliveries_held_total\{reason="circuit_open"\} [1-9]/);
  });

  test('a rate-limited endpoint gets at most its requests per second across calls, each call in order', async () => {
    const clientId = 'client-rate';
    const receiver = await Receiver.start();
    const rate = 4;
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, rateLimit: rate });
    assert.equal((await endpoint(h, endpointId)).rateLimit, rate);
    const stamp = Date.now();
    const calls = [`call-rate-a-${stamp}`, `call-rate-b-${stamp}`];
    const emitted = new Map<string, string[]>(calls.map((c) => [c, []]));
    for (let i = 0; i < 8; i++) for (const callId of calls) emitted.get(callId)!.push(await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId }));
    await receiver.waitFor(16, 30_000);
    const at = receiver.requests.map((r) => r.at).sort((a, b) => a - b);
    // GCRA without burst: requests 1/rate apart; within any second at most `rate` (+1 for the window's edges).
    for (let i = 0; i + rate + 1 < at.length; i++) assert.ok(at[i + rate + 1]! - at[i]! >= 1_000, `more than ${rate + 1} requests within a second at #${i}`);
    assert.ok(at.at(-1)! - at[0]! >= ((at.length - 1) / rate) * 1_000 * 0.8, 'the backlog drained at the limit');
    for (const callId of calls) assert.deepEqual(receivedFor(receiver, callId), emitted.get(callId));
  });
});

describe('endpoint health: disabled after failing for ENDPOINT_DISABLE_AFTER; a pause during a long batch', () => {
  let h: Harness;
  before(async () => {
    // Attempts time out after 5 s, so a batch's time budget is 5 s too (FAST_SETTINGS: 1 s).
    h = await Harness.start({ endpointHealth: { disableAfterMs: 4_000 }, settings: { attemptTimeoutMs: 5_000 } });
  });
  after(async () => {
    await h?.stop();
  });

  test('an endpoint whose every delivery fails for that long is disabled with the reason, and the client told', async () => {
    const clientId = 'client-failing';
    const receiver = await Receiver.start(() => ({ status: 503 }));
    const watcher = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    await h.createEndpoint({ clientId, url: watcher.url, events: ['WEBHOOK_ENDPOINT_DISABLED', 'WEBHOOK_DELIVERY_FAILED'] });
    const callId = `call-failing-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });

    const view = await eventually(async () => {
      const v = await endpoint(h, endpointId);
      return v.active === false ? v : undefined;
    }, 'the endpoint to be disabled', 30_000);
    assert.match(String(view.disabledReason), /^every delivery failed since .* \(ENDPOINT_DISABLE_AFTER\)$/);
    await eventually(async () => (watcher.requests.some((r) => typeOf(r) === 'WEBHOOK_ENDPOINT_DISABLED') ? true : undefined), 'the notice');
    const notice = watcher.requests.find((r) => typeOf(r) === 'WEBHOOK_ENDPOINT_DISABLED')!.json as { body: { data: Record<string, unknown> } };
    assert.equal(notice.body.data.endpointId, endpointId);
    // The delivery under way ends: its next attempt finds the endpoint disabled.
    const log = await h.waitForDeliveries(callId, (l) => l.some((d) => d.endpointId === endpointId && d.status === 'failed'), 30_000);
    const failed = log.find((d) => d.endpointId === endpointId)!;
    assert.ok(failed.attempts.length >= 2);
    assert.ok(failed.attempts.every((a) => a.statusCode === 503));
  });

  test('a pause stops a batch under way within about a second, not at the end of its time budget', async () => {
    const clientId = 'client-pause-batch';
    const receiver = await Receiver.start(() => ({ status: 200, delayMs: 200 }));
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    const callId = `call-pause-batch-${Date.now()}`;
    for (let i = 0; i < 40; i++) await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await receiver.waitFor(3, 15_000);
    const atPause = receiver.requests.length;
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/pause`)).status, 200);
    await sleep(1_500);
    const settled = receiver.requests.length;
    await sleep(2_000);
    assert.equal(receiver.requests.length, settled, 'nothing more once the pause took hold');
    // 200 ms a request: about 5 in the second it may take (the batch's budget would have allowed about 25).
    assert.ok(settled - atPause <= 8, `${settled - atPause} requests after the pause`);
    assert.ok(settled < 40);
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/resume`)).status, 200);
    await receiver.waitFor(40, 30_000);
  });
});
