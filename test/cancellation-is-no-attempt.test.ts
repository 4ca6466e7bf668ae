/**
 * A cancellation is never an attempt, and nothing accepted is lost whatever an operator does:
 * - a skip stops only the skipped delivery: another delivery of its batch, mid-attempt, keeps its one attempt;
 * - continue-as-new during a delivery's last attempt lets the attempt finish: its real outcome stands,
 *   and a failure still sends its WEBHOOK_DELIVERY_FAILED notice;
 * - Cancel plans an event a platform service signalled that was being planned when it came.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { temporal } from '@temporalio/proto';
import { emitCallEvent } from '../src/temporal/call-events-client';
import { endpointReadySignal, skipSignal } from '../src/workflows/messages';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

const MAX_ATTEMPTS = 3;
let h: Harness;
before(async () => {
  h = await Harness.start({
    // Attempts may take 8 s (so one can be under way when something happens); three attempts, 1 s apart.
    settings: { attemptTimeoutMs: 8_000, maxAttempts: MAX_ATTEMPTS, initialIntervalMs: 1_000, maximumIntervalMs: 1_000, abandonTimeoutMs: 5_000 },
    devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
  });
});
after(async () => {
  await h?.stop();
});

const seqOf = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runsOf(callId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const run of h.client.workflow.list({ query: `WorkflowId = "${callId}"` })) runs.push(run.runId);
  return runs;
}

describe('a cancellation is never an attempt', () => {
  test('a skip while another delivery of the batch is mid-attempt leaves that one with one attempt and no backoff', async () => {
    const clientId = 'client-skip-batch';
    const callId = `call-skip-batch-${Date.now()}`;
    // The first event takes 2.5 s to be answered; the others are answered at once.
    const receiver = await Receiver.start((r) => (seqOf(r) === 0 ? { status: 200, delayMs: 2_500 } : { status: 200 }));
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    // Paused while the events arrive, so that on resume the lane sends all three in one batch.
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/pause`)).status, 200);
    for (let seq = 0; seq < 3; seq++) await h.emit(callId, seq === 2 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq } });
    const log = await h.waitForDeliveries(callId, (l) => l.length === 3);
    await sleep(500); // the lane has found its endpoint paused
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/resume`)).status, 200);
    await receiver.waitFor(1);
    // The head's attempt is under way: skip the second delivery of the batch.
    await h.client.workflow.getHandle(callId).signal(skipSignal, { deliveryId: log[1]!.id, reason: 'not wanted' });
    const done = await h.waitForDeliveries(callId, (l) => ended(l, 3), 20_000);
    assert.deepEqual(done.map((d) => d.status), ['succeeded', 'skipped', 'succeeded']);
    assert.deepEqual(done[0]!.attempts.map((a) => a.outcome), ['succeeded'], 'the head was attempted once, never aborted, never retried');
    assert.equal(done[0]!.attemptCount, 1);
    assert.deepEqual(done[1]!.attempts, [], 'the skipped delivery was never sent');
    assert.deepEqual(receiver.requests.map(seqOf), [0, 2]);
    // The third went out right after the first: no backoff between them.
    assert.ok(receiver.requests[1]!.at - receiver.requests[0]!.at < 4_000);
  });

  test('a skip of the delivery under way abandons its attempt (logged cancelled, not counted); the batch goes on', async () => {
    const clientId = 'client-skip-head';
    const callId = `call-skip-head-${Date.now()}`;
    const receiver = await Receiver.start((r) => (seqOf(r) === 0 ? { status: 200, hang: true } : { status: 200 }));
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/pause`)).status, 200);
    for (let seq = 0; seq < 3; seq++) await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq } });
    const log = await h.waitForDeliveries(callId, (l) => l.length === 3);
    await sleep(500);
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/resume`)).status, 200);
    await receiver.waitFor(1);
    await h.client.workflow.getHandle(callId).signal(skipSignal, { deliveryId: log[0]!.id });
    const done = await h.waitForDeliveries(callId, (l) => ended(l, 3), 20_000);
    assert.deepEqual(done.map((d) => d.status), ['skipped', 'succeeded', 'succeeded']);
    assert.deepEqual(done[0]!.attempts.map((a) => a.outcome), ['cancelled']);
    assert.equal(done[0]!.attemptCount, 0, 'an abandoned attempt is no attempt of the round');
    assert.deepEqual(receiver.requests.map(seqOf), [0, 1, 2]);
  });
});

describe('continue-as-new during a last attempt', () => {
  for (const [answer, outcome] of [[200, 'succeeded'], [503, 'failed']] as const) {
    test(`the attempt finishes (answered ${answer}): the delivery ends ${outcome}${outcome === 'failed' ? ', and its notice is sent' : ''}`, async () => {
      const clientId = `client-can-last-${answer}`;
      const callId = `call-can-last-${answer}-${Date.now()}`;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      const receiver = await Receiver.start(async () => {
        if (++calls < MAX_ATTEMPTS) return { status: 503 };
        await released;
        return { status: answer };
      });
      const notices = await Receiver.start();
      const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
      await h.createEndpoint({ clientId, url: notices.url, events: ['WEBHOOK_DELIVERY_FAILED'] });
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId, data: { seq: 0 } });
      await receiver.waitFor(MAX_ATTEMPTS, 20_000);
      const [firstRun] = await runsOf(callId);
      // The last attempt is under way: push the history past the continue-as-new threshold (signals that change nothing).
      const handle = h.client.workflow.getHandle(callId);
      for (let i = 0; i < 70; i++) await handle.signal(endpointReadySignal, { endpointId: 'ep_00000000000000000000000000000000' });
      await sleep(2_500); // the run asks the activity to stop (heartbeats reach it within a second)
      release();
      const done = await h.waitForDeliveries(callId, (l) => l.some((d) => d.endpointId === endpointId && d.status !== 'pending'), 20_000);
      const delivery = done.find((d) => d.endpointId === endpointId)!;
      assert.equal(delivery.status, outcome);
      assert.deepEqual(delivery.attempts.map((a) => a.statusCode), [503, 503, answer], 'every attempt counted once; none aborted');
      // The run did ask the attempt to stop, and the call did continue as new.
      const history = await h.client.workflow.getHandle(callId, firstRun).fetchHistory();
      assert.ok(
        history.events!.some((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED),
        'continue-as-new asked the retry under way to stop',
      );
      await eventually(async () => ((await runsOf(callId)).length > 1 ? true : undefined), 'a second run');
      if (outcome === 'failed') {
        await notices.waitFor(1, 20_000);
        const notice = notices.requests[0]!.json as { eventType: string; body: { data: { deliveryId: string } } };
        assert.equal(notice.eventType, 'WEBHOOK_DELIVERY_FAILED');
        assert.equal(notice.body.data.deliveryId, delivery.id);
      } else {
        await sleep(1_000);
        assert.equal(notices.requests.length, 0);
      }
    });
  }
});

describe('cancel', () => {
  test('cancel plans a Temporal-client event that was being planned when it came', async () => {
    const clientId = 'client-cancel-planning';
    const callId = `call-cancel-planning-${Date.now()}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { seq: 0 } });
    await receiver.waitFor(1);
    // Hold the events table so the workflow's planning of the next event waits.
    const locker = new pg.Client({ connectionString: h.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE');
      const { eventId } = await emitCallEvent(h.client, { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId, clientId, seq: 1 } } }, { taskQueue: h.taskQueue });
      await eventually(async () => {
        const { rows } = await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'events'::regclass AND NOT granted`);
        return rows[0]!.n > 0 ? true : undefined;
      }, 'the planning step to wait for the lock');
      await h.client.workflow.getHandle(callId).cancel();
      await sleep(1_000);
      await locker.query('COMMIT');
      await eventually(async () => ((await h.client.workflow.getHandle(callId).describe()).status.name === 'CANCELLED' ? true : undefined), 'the call cancelled');
      const log = await h.deliveries(callId);
      const planned = log.find((d) => d.eventId === eventId);
      assert.ok(planned, 'the event being planned was planned by the cancelled run');
      assert.equal(planned.status, 'skipped');
      assert.deepEqual(planned.actions.map((a) => a.action), ['cancel']);
      // Nothing is left pending with no run to deliver it (the activity the cancellation abandoned finished too).
      await sleep(1_000);
      assert.deepEqual((await h.deliveries(callId)).filter((d) => d.status === 'pending'), []);
    } finally {
      await locker.end();
    }
  });
});
