/**
 * The doors into a call besides the API: a platform service's own Temporal client, and an
 * operator in the Temporal UI or CLI. Whatever comes through them, the call keeps delivering:
 * a malformed signal is refused (logged, listed in the state query, counted), never a failed
 * workflow task and never a blocked inbox.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { emitCallEvent } from '../src/temporal/call-events-client';
import { workflowMessagesRejected } from '../src/observability/metrics';
import { skipSignal, stateQuery } from '../src/workflows/messages';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
});

const SIGNALS = ['callEvent', 'redeliver', 'skip', 'retryNow', 'pauseEndpoint', 'resumeEndpoint', 'endpointReady', 'deliveryAttemptFailed'];
const seqOf = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;

/** No workflow task of the call failed, in any of its runs. */
async function assertNoWorkflowTaskFailed(callId: string): Promise<void> {
  for await (const run of h.client.workflow.list({ query: `WorkflowId = "${callId}"` })) {
    const history = await h.client.workflow.getHandle(callId, run.runId).fetchHistory();
    const failed = (history.events ?? []).filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    assert.deepEqual(
      failed.map((e) => e.workflowTaskFailedEventAttributes?.failure?.message),
      [],
      `run ${run.runId} of ${callId} has failed workflow tasks`,
    );
  }
  const { raw } = await h.client.workflow.getHandle(callId).describe();
  assert.ok((raw.pendingWorkflowTask?.attempt ?? 1) <= 1, `a workflow task is being retried: attempt ${raw.pendingWorkflowTask?.attempt}`);
}

/** Sends a signal with raw arguments, as `temporal workflow signal --input …` or the Web UI does. */
async function signalRaw(handle: WorkflowHandle, name: string, args: unknown[]): Promise<void> {
  await handle.signal(name, ...args);
}

describe('hostile signals through a Temporal client', () => {
  test('endpointReady with no input (the Web UI\'s "Send a Signal") does not wedge the call: its next event is delivered', async () => {
    const clientId = 'client-doors-ready';
    const callId = `call-doors-ready-${Date.now()}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { seq: 0 } });
    await receiver.waitFor(1);
    const handle = h.client.workflow.getHandle(callId);
    await signalRaw(handle, 'endpointReady', []);
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: 1 } });
    await receiver.waitFor(2);
    assert.deepEqual(receiver.requests.map(seqOf), [0, 1]);
    const state = await handle.query(stateQuery);
    assert.equal(state.rejected.length, 1);
    assert.equal(state.rejected[0]!.message, 'endpointReady');
    assert.match(state.rejected[0]!.reason, /expected object|Invalid input/i);
    // Counted in the worker's metrics (this process's registry: the harness's worker runs here).
    const counted = (await workflowMessagesRejected.get()).values.find((v) => v.labels.message === 'endpointReady');
    assert.ok((counted?.value ?? 0) >= 1, 'callhook_workflow_messages_rejected_total{message="endpointReady"}');
    await assertNoWorkflowTaskFailed(callId);
  });

  test('a malformed callEvent ({"foo":1}) is refused; the next valid event of the call is delivered', async () => {
    const clientId = 'client-doors-foo';
    const callId = `call-doors-foo-${Date.now()}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { seq: 0 } });
    await receiver.waitFor(1);
    const handle = h.client.workflow.getHandle(callId);
    await signalRaw(handle, 'callEvent', [{ foo: 1 }]);
    // Through the Temporal client door too (the event is planned by the workflow, not the API).
    await emitCallEvent(h.client, { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId, clientId, seq: 1 } } }, { taskQueue: h.taskQueue });
    await receiver.waitFor(2);
    assert.deepEqual(receiver.requests.map(seqOf), [0, 1]);
    const state = await handle.query(stateQuery);
    assert.deepEqual(state.rejected.map((r) => r.message), ['callEvent']);
    assert.match(state.rejected[0]!.reason, /^event\.id: .*event\.eventType: /);
    // The call view shows it too.
    const view = await h.api('GET', `/v1/calls/${callId}`);
    assert.equal(view.status, 200);
    assert.deepEqual(view.body.rejected, state.rejected);
    await assertNoWorkflowTaskFailed(callId);
  });

  test('every signal with no input, null, wrong types and a 2 MB payload: refused, and later events are delivered in order', async () => {
    const clientId = 'client-doors-all';
    const callId = `call-doors-all-${Date.now()}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    let seq = 0;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { seq: seq++ } });
    await receiver.waitFor(1);
    const handle = h.client.workflow.getHandle(callId);
    const big = 'x'.repeat(2 * 1024 * 1024);
    const inputs: unknown[][] = [[], [null], [42], ['text'], [[1, 2]], [{ foo: 1 }], [true], [{ deliveryId: 7, endpointId: [] }], [{ big }]];
    let sent = 0;
    for (const name of SIGNALS) {
      for (const args of inputs) {
        // redeliver with no input (or null) is valid: all failed deliveries, of which there are none.
        try {
          await signalRaw(handle, name, args);
          sent++;
        } catch (err) {
          // Temporal may refuse a payload over its size limit at the door: then the call never saw it.
          assert.ok(args[0] && typeof args[0] === 'object' && 'big' in args[0], `${name} ${JSON.stringify(args).slice(0, 80)}: ${(err as Error).message}`);
        }
      }
      // Interleaved with valid events, in order.
      await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: seq++ } });
    }
    // The API's events are signalled by the outbox relay after their 202: a Temporal-client event sent right after could
    // overtake them (order across the two doors is planning order, README). Sent once they are in.
    await receiver.waitFor(seq, 30_000);
    await emitCallEvent(h.client, { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId, clientId, seq: seq++ } } }, { taskQueue: h.taskQueue });
    await receiver.waitFor(seq, 30_000);
    assert.deepEqual(receiver.requests.map(seqOf), Array.from({ length: seq }, (_, i) => i), 'every valid event once, in order');
    const state = await handle.query(stateQuery);
    assert.ok(sent > 40, `${sent} hostile signals reached the call`);
    assert.equal(state.rejected.length, 20, 'the latest 20 refusals are kept');
    for (const r of state.rejected) {
      assert.ok(SIGNALS.includes(r.message), r.message);
      assert.ok(r.reason.length > 0 && r.reason.length <= 1_000);
      assert.ok(!Number.isNaN(Date.parse(r.at)));
    }
    await assertNoWorkflowTaskFailed(callId);
    const log = await h.waitForDeliveries(callId, (l) => ended(l, seq));
    assert.ok(log.every((d) => d.status === 'succeeded'));
  });

  test('an event for another call, and an event Postgres cannot store, are refused, not retried for ever', async () => {
    const clientId = 'client-doors-misrouted';
    const callId = `call-doors-misrouted-${Date.now()}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { seq: 0 } });
    await receiver.waitFor(1);
    const handle = h.client.workflow.getHandle(callId);
    const event = (id: string, data: object) => ({ id, eventType: 'OUTBOUND_CALL_CONNECTED', occurredAt: new Date().toISOString(), body: { data: { callId, clientId, ...data }, errors: [] } });
    await handle.signal('callEvent', { ...event('evt_other', {}), body: { data: { callId: 'another-call', clientId }, errors: [] } });
    await handle.signal('callEvent', event('evt_nul', { note: 'a\u0000b' }));
    // Valid for the schema, out of Postgres' range: refused by the planning activity without retries.
    await handle.signal('callEvent', { ...event('evt_year', { seq: 9 }), occurredAt: '0000-01-01T00:00:00Z' });
    await handle.signal('callEvent', event('evt_ok', { seq: 1 }));
    await receiver.waitFor(2);
    assert.deepEqual(receiver.requests.map(seqOf), [0, 1]);
    const state = await handle.query(stateQuery);
    assert.deepEqual(state.rejected.map((r) => r.message), ['callEvent', 'callEvent', 'callEvent']);
    assert.match(state.rejected.map((r) => r.reason).join('\n'), /another-call/);
    assert.match(state.rejected.map((r) => r.reason).join('\n'), /NUL/);
    assert.match(state.rejected.map((r) => r.reason).join('\n'), /occurredAt|year/);
    await assertNoWorkflowTaskFailed(callId);
  });

  test("a skip naming another call's delivery is refused: that delivery is untouched", async () => {
    const clientId = 'client-doors-cross';
    const stamp = Date.now();
    const [callA, callB] = [`call-doors-cross-a-${stamp}`, `call-doors-cross-b-${stamp}`];
    // Call B's deliveries keep failing (pending, retrying); call A's are delivered.
    const receiver = await Receiver.start((r) => ((r.json as { body: { data: { callId: string } } }).body.data.callId === callB ? { status: 503 } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callA, 'OUTBOUND_CALL_CALLING', { clientId });
    await h.emit(callB, 'OUTBOUND_CALL_CALLING', { clientId });
    await receiver.waitFor(2);
    const [otherDelivery] = await h.deliveries(callB);
    await h.client.workflow.getHandle(callA).signal(skipSignal, { deliveryId: otherDelivery!.id });
    const state = await eventually(async () => {
      const s = await h.client.workflow.getHandle(callA).query(stateQuery);
      return s.rejected.length > 0 ? s : undefined;
    }, 'the skip refused');
    assert.equal(state.rejected[0]!.message, 'skip');
    assert.match(state.rejected[0]!.reason, /no pending delivery of this call/);
    const [still] = await h.deliveries(callB);
    assert.equal(still!.status, 'pending');
    assert.deepEqual(still!.actions, []);
    await h.client.workflow.getHandle(callB).terminate('test over');
  });

  test('a malformed workflow input starts the call its workflow id names', async () => {
    const clientId = 'client-doors-input';
    const callId = `call-doors-input-${Date.now()}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.client.workflow.start('callWorkflow', { workflowId: callId, taskQueue: h.taskQueue, args: [{ callId: 42, carried: 'x' }] });
    await emitCallEvent(h.client, { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId, clientId, seq: 0 } } }, { taskQueue: h.taskQueue });
    await receiver.waitFor(1);
    const state = await h.client.workflow.getHandle(callId).query(stateQuery);
    assert.equal(state.callId, callId);
    assert.deepEqual(state.rejected.map((r) => r.message), ['input']);
    await assertNoWorkflowTaskFailed(callId);
  });

  test('emitCallEvent validates before it signals and names the bad field', async () => {
    await assert.rejects(
      emitCallEvent(h.client, { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: 'bad call id', clientId: 'c' } } }, { taskQueue: h.taskQueue }),
      /body\.data\.callId/,
    );
    await assert.rejects(
      // Names are checked for their form here (the catalog is the API's to check: this door has no database).
      emitCallEvent(h.client, { eventType: 'not a type', body: { data: { callId: 'c1', clientId: 'c' } } }, { taskQueue: h.taskQueue }),
      /eventType/,
    );
  });

  test('every signal and query says what it takes (Web UI signal dialog, temporal workflow metadata)', async () => {
    const clientId = 'client-doors-meta';
    const callId = `call-doors-meta-${Date.now()}`;
    await h.createEndpoint({ clientId, url: (await Receiver.start()).url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    const meta = await eventually(async () => {
      const result = await h.client.workflow.getHandle(callId).query<temporal.api.sdk.v1.IWorkflowMetadata>('__temporal_workflow_metadata');
      return result.definition?.signalDefinitions?.length ? result : undefined;
    }, 'workflow metadata');
    const signals = new Map((meta.definition!.signalDefinitions ?? []).map((d) => [d.name, d.description ?? '']));
    for (const name of SIGNALS) assert.match(signals.get(name) ?? '', /Input|input/, `${name} is described with its input`);
    const queries = new Map((meta.definition!.queryDefinitions ?? []).map((d) => [d.name, d.description ?? '']));
    assert.match(queries.get('state') ?? '', /lanes/);
  });
});
