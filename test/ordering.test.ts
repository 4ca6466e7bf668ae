import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness, ended } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
});

const seq = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const callOf = (r: ReceivedRequest) => (r.json as { body: { data: { callId: string } } }).body.data.callId;
const range = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('per-call FIFO', () => {
  test('50 events of one call reach a receiver with random delays in the order emitted', async () => {
    const clientId = 'client-o1';
    const callId = `call-o1-${Date.now()}`;
    const receiver = await Receiver.start(() => ({ status: 200, delayMs: Math.floor(Math.random() * 40) }));
    await h.createEndpoint({ clientId, url: receiver.url });
    for (const i of range(50)) {
      await h.emit(callId, i === 49 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
    }
    await receiver.waitFor(50, 30_000);
    assert.deepEqual(receiver.requests.map(seq), range(50));
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 50));
    assert.ok(log.every((d) => d.status === 'succeeded' && d.attemptCount === 1));
  });

  test('an endpoint failing for a while holds back only itself: the other gets every event promptly, in order', async () => {
    const clientId = 'client-o2';
    const callId = `call-o2-${Date.now()}`;
    let healthyAfter = Number.POSITIVE_INFINITY;
    const flaky = await Receiver.start(() => (Date.now() < healthyAfter ? { status: 500 } : { status: 200 }));
    const healthy = await Receiver.start(() => ({ status: 200, delayMs: Math.floor(Math.random() * 20) }));
    await h.createEndpoint({ clientId, url: flaky.url });
    await h.createEndpoint({ clientId, url: healthy.url });
    const started = Date.now();
    for (const i of range(10)) await h.emit(callId, 'INBOUND_CALL_ESTABLISHED', { clientId, data: { seq: i } });
    await healthy.waitFor(10, 10_000);
    const healthyDoneMs = Date.now() - started;
    assert.deepEqual(healthy.requests.map(seq), range(10));
    // The flaky endpoint is still stuck on event 0 meanwhile: nothing past it was sent there.
    assert.ok(flaky.requests.length >= 1);
    assert.ok(flaky.requests.every((r) => seq(r) === 0), `flaky endpoint got ${flaky.requests.map(seq).join(',')}`);
    healthyAfter = Date.now();
    await flaky.waitFor(flaky.requests.length + 10, 20_000);
    const delivered = flaky.requests.filter((r) => r.at >= healthyAfter).map(seq);
    assert.deepEqual(delivered, range(10));
    // "Promptly": the healthy endpoint did not wait for the flaky one's retries (which take seconds).
    assert.ok(healthyDoneMs < 5_000, `healthy endpoint took ${healthyDoneMs} ms`);
  });

  test('calls are independent: one call stuck in retries does not hold back another call on the same endpoint', async () => {
    const clientId = 'client-o3';
    const stuck = `call-o3-stuck-${Date.now()}`;
    const free = `call-o3-free-${Date.now()}`;
    const receiver = await Receiver.start((r) => (callOf(r) === stuck ? { status: 503 } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(stuck, 'OUTBOUND_CALL_CALLING', { clientId, data: { seq: 0 } });
    await h.emit(stuck, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: 1 } });
    for (const i of range(5)) await h.emit(free, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
    await h.waitForDeliveries(free, (l) => ended(l, 5), 5_000);
    assert.deepEqual(receiver.requests.filter((r) => callOf(r) === free).map(seq), range(5));
    assert.ok(receiver.requests.filter((r) => callOf(r) === stuck).every((r) => seq(r) === 0));
  });
});
