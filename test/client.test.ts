import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { emitCallEvent, toCallEvent } from '../src/temporal/call-events-client';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';

let h: Harness;
before(async () => {
  h = await Harness.start({ settings: { idleTimeoutMs: 500, abandonTimeoutMs: 3_000 } });
});
after(async () => {
  await h?.stop();
});

test('a platform service can emit events with the Temporal client alone; duplicates are delivered once', async () => {
  const clientId = 'client-direct';
  const callId = `call-direct-${Date.now()}`;
  const receiver = await Receiver.start();
  await h.createEndpoint({ clientId, url: receiver.url });
  const calling = toCallEvent({ eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId, clientId, callStatus: 'CALLING' } } });
  const emitted = await emitCallEvent(h.env.client, calling, { taskQueue: h.taskQueue });
  assert.deepEqual([emitted.eventId, emitted.workflowId], [calling.id, callId]);
  await emitCallEvent(h.env.client, calling, { taskQueue: h.taskQueue }); // the same event again, same run
  const completed = await emitCallEvent(
    h.env.client,
    { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId, clientId } } },
    { taskQueue: h.taskQueue },
  );
  await h.waitForDeliveries(callId, (l) => ended(l, 2));
  assert.deepEqual(receiver.requests.map((r) => (r.json as { id: string }).id), [calling.id, completed.eventId]);

  // The workflow finishes once the terminal event is delivered and the call stays idle...
  const result = await h.env.client.workflow.getHandle(callId).result();
  assert.deepEqual(result, { callId, events: 2, succeeded: 2, failed: 0 });
  // ...and a duplicate arriving later starts a new run, which recognises it and delivers nothing.
  const late = await emitCallEvent(h.env.client, calling, { taskQueue: h.taskQueue });
  assert.notEqual(late.runId, emitted.runId);
  const second = await h.env.client.workflow.getHandle(callId, late.runId).result();
  assert.deepEqual(second, { callId, events: 0, succeeded: 0, failed: 0 }, 'the duplicate is not counted as an event of the call');
  assert.equal(receiver.requests.length, 2);
  // A new event after the call finished is delivered by a new run too.
  await emitCallEvent(h.env.client, { eventType: 'INBOUND_CALL_ERROR', body: { data: { callId, clientId } } }, { taskQueue: h.taskQueue });
  await receiver.waitFor(3);
});
