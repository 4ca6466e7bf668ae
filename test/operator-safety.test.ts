import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness, ended } from './helpers/harness';
import { eventually } from './helpers/eventually';
import { Receiver, type ReceivedRequest } from './helpers/receiver';
import { skipSignal, stateQuery } from '../src/workflows/messages';

let h: Harness;
before(async () => {
  // Attempts may take 20 s (so a skip visibly cuts one short); a call with a failure closes 3 s after its last event.
  h = await Harness.start({ settings: { attemptTimeoutMs: 20_000, abandonTimeoutMs: 3_000 } });
});
after(async () => {
  await h?.stop();
});

const seq = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const eventTypeOf = (r: ReceivedRequest) => (r.json as { eventType: string }).eventType;

async function waitClosed(callId: string): Promise<string> {
  return eventually(async () => {
    const { status } = await h.env.client.workflow.getHandle(callId).describe();
    return status.name === 'RUNNING' ? undefined : status.name;
  }, `${callId} to close`, 30_000);
}

describe('operator actions leave no delivery behind', () => {
  test('Cancel from the UI: the pending deliveries end as skipped, logged as cancel; none stays pending', async () => {
    const clientId = 'client-cancel';
    const callId = `call-cancel-${Date.now()}`;
    const slow = await Receiver.start(() => ({ status: 200, delayMs: 500 }));
    await h.createEndpoint({ clientId, url: slow.url });
    for (let i = 0; i < 6; i++) await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
    await slow.waitFor(1);
    await h.env.client.workflow.getHandle(callId).cancel();
    assert.equal(await waitClosed(callId), 'CANCELLED');

    const log = await h.deliveries(callId);
    assert.equal(log.length, 6, 'every accepted event was planned');
    assert.deepEqual(log.filter((d) => d.status === 'pending'), []);
    const skipped = log.filter((d) => d.status === 'skipped');
    assert.ok(skipped.length > 0, 'some deliveries were still queued when the call was cancelled');
    for (const d of skipped) assert.deepEqual(d.actions.map((a) => [a.action, a.source]), [['cancel', 'temporal-ui']]);
    // What was sent before the cancellation was sent in order, and nothing after it.
    const sent = slow.requests.map(seq);
    assert.deepEqual(sent, sent.map((_, i) => i));
  });

  test('Reset from the UI: the reset run delivers everything the earlier run had not, in order', async () => {
    const clientId = 'client-reset';
    const callId = `call-reset-${Date.now()}`;
    const slow = await Receiver.start(() => ({ status: 200, delayMs: 200 }));
    await h.createEndpoint({ clientId, url: slow.url });
    const EVENTS = 8;
    for (let i = 0; i < EVENTS; i++) {
      await h.emit(callId, i === EVENTS - 1 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
    }
    await slow.waitFor(2);
    const handle = h.env.client.workflow.getHandle(callId);
    const { runId } = await handle.describe();
    const history = await handle.fetchHistory();
    // The earliest point an operator can pick: the end of the first workflow task.
    const firstTask = history.events!.find((e) => e.workflowTaskCompletedEventAttributes)!;
    const reset = await h.env.client.workflowService.resetWorkflowExecution({
      namespace: h.env.namespace ?? 'default',
      workflowExecution: { workflowId: callId, runId },
      workflowTaskFinishEventId: firstTask.eventId,
      requestId: `reset-${callId}`,
      reason: 'test: operator reset',
    });
    assert.notEqual(reset.runId, runId);

    const log = await h.waitForDeliveries(callId, (l) => ended(l, EVENTS), 30_000);
    assert.deepEqual(log.map((d) => d.status), Array(EVENTS).fill('succeeded'));
    // At least once, in order: an event may come twice around the reset, never out of order.
    const seqs = slow.requests.map(seq);
    assert.deepEqual([...new Set(seqs)], Array.from({ length: EVENTS }, (_, i) => i));
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! >= seqs[i - 1]!, `order broken: ${seqs.join(',')}`);
    assert.equal(await waitClosed(callId), 'COMPLETED');
  });

  test('skip stops an attempt that is under way; the lane moves on at once', async () => {
    const clientId = 'client-skip-running';
    const callId = `call-skip-running-${Date.now()}`;
    // The first event's attempt hangs (attempts may take 20 s); the second is answered at once.
    const receiver = await Receiver.start((r) => (eventTypeOf(r) === 'INBOUND_CALL_ESTABLISHED' ? { status: 200, hang: true } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    const hungId = await h.emit(callId, 'INBOUND_CALL_ESTABLISHED', { clientId });
    await h.emit(callId, 'INBOUND_CALL_COMPLETED', { clientId });
    await receiver.waitFor(1);
    const stuck = (await h.deliveries(callId)).find((d) => d.eventId === hungId)!;
    const skippedAt = Date.now();
    await h.env.client.workflow.getHandle(callId).signal(skipSignal, { deliveryId: stuck.id, reason: 'receiver hangs' });
    await receiver.waitFor(2, 15_000);
    const movedOnAfter = receiver.requests[1]!.at - skippedAt;
    assert.ok(movedOnAfter < 10_000, `the next event went out ${movedOnAfter} ms after the skip; the hung attempt had 20 s`);
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(log.map((d) => [d.eventType, d.status]), [
      ['INBOUND_CALL_ESTABLISHED', 'skipped'],
      ['INBOUND_CALL_COMPLETED', 'succeeded'],
    ]);
    // The hung attempt was cut short (logged cancelled: no attempt of the round), and ended before the lane's next delivery started.
    const aborted = log[0]!.attempts;
    assert.equal(aborted.length, 1);
    assert.equal(aborted[0]!.outcome, 'cancelled');
    assert.match(aborted[0]!.error ?? '', /skipped while its attempt was under way/);
    assert.equal(log[0]!.attemptCount, 0);
    const abortedEnd = Date.parse(aborted[0]!.startedAt) + aborted[0]!.durationMs;
    assert.ok(abortedEnd <= receiver.requests[1]!.at, 'the aborted attempt ended before the next delivery began');
  });

  test("an event after the call's run closed starts a run that still shows the call's failed deliveries", async () => {
    const clientId = 'client-late';
    const callId = `call-late-${Date.now()}`;
    const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 400, body: 'refused' } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(await waitClosed(callId), 'COMPLETED');

    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await receiver.waitFor(2);
    const handle = h.env.client.workflow.getHandle(callId);
    const state = await eventually(async () => {
      const s = await handle.query(stateQuery);
      return s.totals.succeeded === 1 ? s : undefined;
    }, 'the new run to deliver the late event');
    assert.equal(state.deliveryState, 'failed');
    assert.equal(state.failedCount, 1);
    assert.deepEqual(state.failures.map((f) => [f.eventType, f.error]), [['OUTBOUND_CALL_COMPLETED', 'HTTP 400']]);
    await eventually(async () => ((await handle.describe()).searchAttributes.DeliveryState?.[0] === 'failed' ? true : undefined), 'DeliveryState failed');
  });
});
