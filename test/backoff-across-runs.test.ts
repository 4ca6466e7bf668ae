import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness, ended } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

let h: Harness;
before(async () => {
  // Continue-as-new is suggested after 100 history events; a receiver's Retry-After may ask up to 30 s.
  h = await Harness.start({ devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=100'], retryAfterMaxMs: 30_000 });
});
after(async () => {
  await h?.stop();
});

const seq = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const EVENTS = 60;

test("a retry's backoff survives continue-as-new: Retry-After 20 s is honoured while another lane's traffic forces new runs", async () => {
  const clientId = 'client-backoff';
  const callId = `call-backoff-${Date.now()}`;
  const slow = await Receiver.start((_r, i) => (i === 0 ? { status: 503, headers: { 'retry-after': '20' } } : { status: 200 }));
  const busy = await Receiver.start();
  await h.createEndpoint({ clientId, url: slow.url });
  await h.createEndpoint({ clientId, url: busy.url });

  await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { seq: 0 } });
  await slow.waitFor(1);
  const firstAttemptAt = slow.requests[0]!.at;
  // The other endpoint's traffic: enough history for several continue-as-new while the first waits out its 20 s.
  for (let i = 1; i < EVENTS; i++) await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
  await busy.waitFor(EVENTS, 30_000);
  const log = await h.waitForDeliveries(callId, (l) => ended(l, EVENTS * 2), 60_000);

  const secondAttemptAt = slow.requests[1]!.at;
  assert.ok(secondAttemptAt - firstAttemptAt >= 20_000, `the second attempt came ${secondAttemptAt - firstAttemptAt} ms after the first; Retry-After asked for 20 000`);
  // Runs started while the delivery waited: its backoff was carried across them, not restarted.
  const runs: Date[] = [];
  for await (const wf of h.env.client.workflow.list({ query: `WorkflowId = "${callId}"` })) runs.push(wf.startTime);
  const during = runs.filter((t) => t.getTime() > firstAttemptAt && t.getTime() < secondAttemptAt);
  assert.ok(during.length >= 1, `continue-as-new happened ${during.length} times while the delivery waited (runs: ${runs.length})`);
  // Every event reached both endpoints once, in order, and the retried delivery counted its two attempts.
  const all = Array.from({ length: EVENTS }, (_, i) => i);
  assert.deepEqual(slow.requests.map(seq), [0, ...all]);
  assert.deepEqual(busy.requests.map(seq), all);
  assert.deepEqual(log.filter((d) => d.status !== 'succeeded'), []);
  const retried = log.find((d) => d.attemptCount === 2)!;
  assert.deepEqual(retried.attempts.map((a) => [a.attemptNumber, a.statusCode]), [[1, 503], [2, 200]]);
});
