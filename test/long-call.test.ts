import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { emitCallEvent } from '../src/temporal/call-events-client';
import { stateQuery, type CallWorkflowInput } from '../src/workflows/messages';
import { Harness } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

let h: Harness;
before(async () => {
  // A lower threshold than a cluster's default, so the call continues as new a few dozen times.
  h = await Harness.start({ devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=1000'] });
});
after(async () => {
  await h?.stop();
});

const seq = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const EVENTS = 10_000;
const CARRIED_LIMIT = 64 * 1024;

test('a 10 000-event call: every event delivered once, in order; the state carried into each new run stays under 64 KB', async () => {
  const clientId = 'client-long';
  const callId = `call-long-${Date.now()}`;
  const healthy = await Receiver.start();
  // Refuses every 100th event for good: failures pile up (100), the carried record keeps only the latest.
  const picky = await Receiver.start((r) => (seq(r) % 100 === 0 ? { status: 400, body: 'no' } : { status: 200 }));
  await h.createEndpoint({ clientId, url: healthy.url });
  await h.createEndpoint({ clientId, url: picky.url });

  for (let i = 0; i < EVENTS; i++) {
    const eventType = i === EVENTS - 1 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED';
    await emitCallEvent(h.env.client, { id: `long-${callId}-${i}`, eventType, body: { data: { callId, clientId, seq: i } } }, { taskQueue: h.taskQueue });
  }
  await healthy.waitFor(EVENTS, 300_000);
  await picky.waitFor(EVENTS, 300_000);

  const all = Array.from({ length: EVENTS }, (_, i) => i);
  assert.deepEqual(healthy.requests.map(seq), all, 'healthy endpoint: every event once, in order');
  assert.deepEqual(picky.requests.map(seq), all, 'refusing endpoint: every event once, in order (a 400 is final)');

  // Every run's input: the carried state, each under the limit.
  const runs: string[] = [];
  for await (const wf of h.env.client.workflow.list({ query: `WorkflowId = "${callId}"` })) runs.push(wf.runId);
  assert.ok(runs.length > 3, `the call continued as new (${runs.length} runs)`);
  let largest = 0;
  for (const runId of runs) {
    const page = await h.env.client.workflowService.getWorkflowExecutionHistory({
      namespace: h.env.namespace ?? 'default',
      execution: { workflowId: callId, runId },
      maximumPageSize: 1,
    });
    const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const size = payload?.data?.length ?? 0;
    largest = Math.max(largest, size);
    const input = JSON.parse(Buffer.from(payload?.data ?? new Uint8Array()).toString('utf8')) as CallWorkflowInput;
    assert.ok(size < CARRIED_LIMIT, `run ${runId} started with ${size} bytes of input`);
    if (input.carried) assert.ok(input.carried.failures.length <= 20 && input.carried.recentEvents.length <= 20);
  }
  assert.ok(largest > 0);

  const state = await h.env.client.workflow.getHandle(callId).query(stateQuery);
  assert.equal(state.failedCount, EVENTS / 100, 'every refused delivery is counted as failed');
  assert.equal(state.deliveryState, 'failed');
  const failedSeqs = await h.db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM deliveries WHERE call_id = $1 AND status = 'failed'",
    [callId],
  );
  assert.equal(failedSeqs.rows[0]!.n, EVENTS / 100);
  const pending = await h.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM deliveries WHERE call_id = $1 AND status = 'pending'", [callId]);
  assert.equal(pending.rows[0]!.n, 0);
});
