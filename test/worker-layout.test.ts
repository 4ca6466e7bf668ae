/**
 * The worker layout: deliveries run on a task queue of their own with their own slots, beside the
 * workflows and their bookkeeping. With every delivery slot taken by a slow receiver, another
 * call's event is still planned at once (its bookkeeping does not wait behind deliveries), and
 * its delivery waits for a delivery slot (the slots are the limit they say).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emitCallEvent } from '../src/temporal/call-events-client';
import { deliveryTaskQueue } from '../src/workflows/task-queues';
import { eventually } from './helpers/eventually';
import { Harness } from './helpers/harness';
import { Receiver } from './helpers/receiver';

const SLOW_REPLY_MS = 5_000;

let h: Harness;
before(async () => {
  // One delivery slot; attempts may take longer than the slow receiver's reply.
  h = await Harness.start({ activitySlots: 1, settings: { attemptTimeoutMs: 10_000 } });
});
after(async () => {
  await h?.stop();
});

describe('worker layout', () => {
  test('with every delivery slot busy, another call is planned at once and delivered once a slot is free', async () => {
    let slowAnsweredAt: number | undefined;
    const slow = await Receiver.start(async () => {
      await new Promise((resolve) => setTimeout(resolve, SLOW_REPLY_MS));
      slowAnsweredAt = Date.now();
      return { status: 200 };
    });
    const fast = await Receiver.start();
    await h.createEndpoint({ clientId: 'client-slow', url: slow.url });
    await h.createEndpoint({ clientId: 'client-fast', url: fast.url });
    const slowCall = `call-layout-slow-${Date.now()}`;
    const fastCall = `call-layout-fast-${Date.now()}`;

    await h.emit(slowCall, 'OUTBOUND_CALL_CALLING', { clientId: 'client-slow' });
    await slow.waitFor(1); // the one delivery slot is now taken for SLOW_REPLY_MS
    // Through the Temporal client: the workflow plans the event itself, with a bookkeeping activity.
    await emitCallEvent(h.client, { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: fastCall, clientId: 'client-fast' } } }, { taskQueue: h.taskQueue });
    await eventually(async () => {
      const { rows } = await h.db.pool.query('SELECT 1 FROM deliveries WHERE call_id = $1', [fastCall]);
      return rows.length > 0 ? true : undefined;
    }, "the fast call's delivery planned", SLOW_REPLY_MS, 50);
    assert.equal(slowAnsweredAt, undefined, 'planned while the slow delivery still held the only delivery slot');
    assert.equal(fast.requests.length, 0, 'not delivered while no delivery slot is free');

    await fast.waitFor(1, 30_000);
    assert.ok(slowAnsweredAt !== undefined && fast.requests[0]!.at >= slowAnsweredAt, 'delivered once the slow delivery gave its slot back');
  });

  test('deliveries are scheduled on the delivery task queue', async () => {
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId: 'client-queue', url: receiver.url });
    const callId = `call-layout-queue-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId: 'client-queue' });
    await receiver.waitFor(1);
    const history = await h.client.workflow.getHandle(callId).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : []));
    const deliveries = scheduled.filter((a) => a.activityType?.name === 'deliverBatch' || a.activityType?.name === 'deliver');
    assert.ok(deliveries.length > 0, 'a delivery activity was scheduled');
    for (const activity of deliveries) assert.equal(activity.taskQueue?.name, deliveryTaskQueue(h.taskQueue));
    for (const activity of scheduled.filter((a) => !deliveries.includes(a))) assert.equal(activity.taskQueue?.name, h.taskQueue);
  });
});
