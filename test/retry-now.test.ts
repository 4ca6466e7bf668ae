/**
 * Retry now: a delivery waiting out its backoff is attempted at once when an operator asks
 * (POST /v1/deliveries/:id/retry, the page's Retry now, or the `retryNow` signal), whether it
 * waits on the workflow's timer (after a batch's failed attempt) or on its activity's retry policy
 * (after a retry's failed attempt); its retries go on from there. The waits here are 20 s, so an
 * attempt within a few seconds of the request can only be the one it asked for.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';

const LONG_WAIT_MS = 20_000;

let h: Harness;
before(async () => {
  // The first retry 1 s after a batch's attempt, then 20 s between attempts; a Retry-After of up to 30 s is honoured.
  h = await Harness.start({ settings: { initialIntervalMs: 1_000, backoffCoefficient: 20, maximumIntervalMs: 60_000 }, retryAfterMaxMs: 30_000 });
});
after(async () => {
  await h?.stop();
});

async function retryingDelivery(callId: string, attempts: number): Promise<string> {
  const [delivery] = await h.waitForDeliveries(callId, (l) => l[0]?.status === 'pending' && l[0].attempts.length === attempts && l[0].nextAttemptAt !== null, 15_000);
  return delivery!.id;
}

describe('retry now', () => {
  test("waiting on the workflow's timer (a Retry-After of 20 s): the next attempt starts at once", async () => {
    const clientId = `client-rn1-${Date.now()}`;
    const callId = `call-rn1-${Date.now()}`;
    const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': String(LONG_WAIT_MS / 1000) } } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    const deliveryId = await retryingDelivery(callId, 1);
    const asked = Date.now();
    const response = await h.api('POST', `/v1/deliveries/${deliveryId}/retry`);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    await receiver.waitFor(2, LONG_WAIT_MS - 5_000);
    assert.ok(receiver.requests[1]!.at - asked < 5_000, `attempted ${receiver.requests[1]!.at - asked} ms after the request`);
    const [delivered] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivered!.status, 'succeeded');
    assert.deepEqual(delivered!.attempts.map((a) => a.attemptNumber), [1, 2]);
  });

  test("waiting on its activity's retry policy (20 s): the next attempt starts at once, and its retries go on from there", async () => {
    const clientId = `client-rn2-${Date.now()}`;
    const callId = `call-rn2-${Date.now()}`;
    // Fails three times: the batch's attempt, the retry's first (after 1 s), and the one retry now brings; then succeeds.
    const receiver = await Receiver.start((_r, i) => (i < 3 ? { status: 503 } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await receiver.waitFor(2);
    const deliveryId = await retryingDelivery(callId, 2);
    const asked = Date.now();
    assert.equal((await h.api('POST', `/v1/deliveries/${deliveryId}/retry`)).status, 202);
    await receiver.waitFor(3, LONG_WAIT_MS - 5_000);
    assert.ok(receiver.requests[2]!.at - asked < 5_000, `attempted ${receiver.requests[2]!.at - asked} ms after the request`);
    // It failed again: retrying, its attempts counted on (3 of them), with a next attempt due.
    const afterThird = await h.waitForDeliveries(callId, (l) => l[0]?.attempts.length === 3 && l[0].nextAttemptAt !== null, 10_000);
    assert.equal(afterThird[0]!.status, 'pending');
    assert.equal(afterThird[0]!.attemptCount, 3);
    // Asked again: the fourth succeeds, and the delivery ends with its attempts in order.
    assert.equal((await h.api('POST', `/v1/deliveries/${deliveryId}/retry`)).status, 202);
    const [delivered] = await h.waitForDeliveries(callId, (l) => ended(l, 1), LONG_WAIT_MS - 5_000);
    assert.equal(delivered!.status, 'succeeded');
    assert.deepEqual(delivered!.attempts.filter((a) => a.outcome !== 'cancelled').map((a) => a.attemptNumber), [1, 2, 3, 4]);
    assert.equal(receiver.requests.length, 4);
  });

  test('a delivery that is not waiting: 409 for one in flight or queued; a retryNow signal for it is refused and listed', async () => {
    const clientId = `client-rn3-${Date.now()}`;
    const callId = `call-rn3-${Date.now()}`;
    const receiver = await Receiver.start(() => ({ status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    const [delivered] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    const response = await h.api('POST', `/v1/deliveries/${delivered!.id}/retry`);
    assert.equal(response.status, 409);
    await h.client.workflow.getHandle(callId).signal('retryNow', { deliveryId: delivered!.id });
    await eventually(async () => {
      const state = await h.client.workflow.getHandle(callId).query<{ rejected: { message: string }[] }>('state');
      return state.rejected.some((r) => r.message === 'retryNow') ? true : undefined;
    }, 'the refused retryNow listed in the call state');
  });
});
