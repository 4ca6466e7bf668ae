import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Harness, ended } from './helpers/harness';
import { eventually } from './helpers/eventually';
import { Receiver, type ReceivedRequest } from './helpers/receiver';
import { redeliverSignal, skipSignal, stateQuery } from '../src/workflows/messages';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
});

const eventTypeOf = (r: ReceivedRequest) => (r.json as { eventType: string }).eventType;

describe('operating calls from Temporal', () => {
  test('a failed delivery is findable by search attributes, readable by query, and redelivered by signal', async () => {
    const clientId = 'client-op1';
    const callId = `call-op1-${Date.now()}`;
    let healthy = false;
    const receiver = await Receiver.start(() => (healthy ? { status: 200 } : { status: 422, body: 'gone' }));
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING' } });
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId, data: { callStatus: 'COMPLETED' } });
    await h.waitForDeliveries(callId, (l) => ended(l, 2));

    // The UI's list filter: all calls of this client with failed deliveries.
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of h.env.client.workflow.list({ query: `ClientId = "${clientId}" AND DeliveryState = "failed"` })) ids.push(wf.workflowId);
      return ids.length > 0 ? ids : undefined;
    }, 'the visibility store to list the call');
    assert.deepEqual(found, [callId]);
    const handle = h.env.client.workflow.getHandle(callId);
    const description = await handle.describe();
    assert.equal(description.searchAttributes.CallStatus?.[0], 'COMPLETED');
    assert.equal(description.searchAttributes.LastEventType?.[0], 'OUTBOUND_CALL_COMPLETED');

    const state = await handle.query(stateQuery);
    assert.equal(state.deliveryState, 'failed');
    assert.deepEqual(state.failures.map((f) => [f.eventType, f.endpointId, f.error]), [
      ['OUTBOUND_CALL_COMPLETED', endpointId, 'HTTP 422'],
      ['OUTBOUND_CALL_CALLING', endpointId, 'HTTP 422'],
    ]);

    // The delivery activities carry a summary the UI shows: the events they send, in order, and where.
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => ['deliverBatch', 'deliver'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''))
      .map((e) => JSON.parse(Buffer.from(e.userMetadata?.summary?.data ?? new Uint8Array()).toString('utf8')) as string);
    assert.ok(summaries.length > 0);
    for (const summary of summaries) assert.match(summary, new RegExp(` → custom ${endpointId}$`));
    assert.deepEqual(summaries.flatMap((s) => s.replace(/ → .*$/, '').split(', ')), ['OUTBOUND_CALL_CALLING', 'OUTBOUND_CALL_COMPLETED']);
    // ...and the workflow says what it is waiting for.
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    assert.match(metadata.currentDetails ?? '', /2\*\* failed deliveries: signal `redeliver`/);

    healthy = true;
    await handle.signal(redeliverSignal, {});
    const log = await h.waitForDeliveries(callId, (l) => l.every((d) => d.status === 'succeeded'));
    assert.deepEqual(receiver.requests.slice(-2).map(eventTypeOf), ['OUTBOUND_CALL_CALLING', 'OUTBOUND_CALL_COMPLETED']);
    assert.deepEqual(log.map((d) => d.attempts.map((a) => [a.attemptNumber, a.statusCode])), [
      [[1, 422], [2, 200]],
      [[1, 422], [2, 200]],
    ]);
    assert.deepEqual(log.map((d) => d.actions.map((a) => [a.action, a.source])), [[['redeliver', 'temporal-ui']], [['redeliver', 'temporal-ui']]]);
    await eventually(async () => ((await handle.query(stateQuery)).deliveryState === 'ok' ? true : undefined), 'DeliveryState ok');
    const after = await eventually(async () => {
      const d = await handle.describe();
      return d.searchAttributes.DeliveryState?.[0] === 'ok' ? d : undefined;
    }, 'the search attribute to say ok');
    assert.equal(after.searchAttributes.ClientId?.[0], clientId);
  });

  test('skip gives up a delivery stuck in retry; the lane moves on; both shown while retrying', async () => {
    const clientId = 'client-op2';
    const callId = `call-op2-${Date.now()}`;
    const receiver = await Receiver.start((r) => (eventTypeOf(r) === 'INBOUND_CALL_ESTABLISHED' ? { status: 503 } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'INBOUND_CALL_ESTABLISHED', { clientId });
    await h.emit(callId, 'INBOUND_CALL_COMPLETED', { clientId });
    await receiver.waitFor(2);
    const handle = h.env.client.workflow.getHandle(callId);
    const state = await eventually(async () => {
      const s = await handle.query(stateQuery);
      return s.lanes[0]?.inFlight?.lastError ? s : undefined;
    }, 'the state query to show the retrying delivery');
    assert.equal(state.deliveryState, 'retrying');
    const stuck = state.lanes[0]!.inFlight!;
    assert.equal(stuck.eventType, 'INBOUND_CALL_ESTABLISHED');
    assert.equal(stuck.lastError, 'HTTP 503');
    assert.equal(state.lanes[0]!.queued.length, 1);
    const retrying = await eventually(async () => {
      const d = await handle.describe();
      return d.searchAttributes.DeliveryState?.[0] === 'retrying' ? true : undefined;
    }, 'DeliveryState retrying');
    assert.ok(retrying);

    await handle.signal(skipSignal, { deliveryId: stuck.deliveryId, reason: 'receiver is being rebuilt' });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(log.map((d) => [d.eventType, d.status]), [
      ['INBOUND_CALL_ESTABLISHED', 'skipped'],
      ['INBOUND_CALL_COMPLETED', 'succeeded'],
    ]);
    assert.deepEqual(log[0]!.actions.map((a) => [a.action, a.reason]), [['skip', 'receiver is being rebuilt']]);
    assert.ok(log[0]!.attemptCount < 7, 'skipped before its retries ran out');
    assert.equal(eventTypeOf(receiver.requests.at(-1)!), 'INBOUND_CALL_COMPLETED');
  });

  test('a finally failed delivery notifies endpoints subscribed to WEBHOOK_DELIVERY_FAILED (not "*" ones)', async () => {
    const clientId = 'client-op3';
    const callId = `call-op3-${Date.now()}`;
    const broken = await Receiver.start(() => ({ status: 400, body: 'bad' }));
    const alerts = await Receiver.start();
    const everything = await Receiver.start();
    const brokenId = await h.createEndpoint({ clientId, url: broken.url, events: ['OUTBOUND_CALL_ERROR'] });
    await h.createEndpoint({ clientId, url: alerts.url, events: ['WEBHOOK_DELIVERY_FAILED'] });
    await h.createEndpoint({ clientId, url: everything.url, events: ['*'] });
    const eventId = await h.emit(callId, 'OUTBOUND_CALL_ERROR', { clientId, errors: [{ code: 'E', message: 'm', phase: 'P' }] });
    await alerts.waitFor(1);
    const notice = alerts.requests[0]!.json as { eventType: string; body: { data: Record<string, unknown>; errors: { code: string; message: string }[] } };
    assert.equal(notice.eventType, 'WEBHOOK_DELIVERY_FAILED');
    assert.deepEqual(notice.body.data, {
      callId,
      clientId,
      deliveryId: notice.body.data.deliveryId,
      endpointId: brokenId,
      failedEventId: eventId,
      failedEventType: 'OUTBOUND_CALL_ERROR',
    });
    assert.deepEqual(notice.body.errors.map((e) => [e.code, e.message]), [['DELIVERY_FAILED', 'HTTP 400']]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(everything.requests.map(eventTypeOf), ['OUTBOUND_CALL_ERROR']);
    assert.equal(alerts.requests.length, 1);
  });
});
