/**
 * `npm run histories:record`: runs the call workflow through the situations open calls are in
 * (a long call that continues as new mid-retry, retries, redeliver, skip, a failure notice,
 * cancel, reset, events from the Temporal client, a late event after the run closed) on a real dev server and Postgres, and writes
 * every run's history to test/histories/<scenario>.<n>.binpb (the History protobuf, binary: the SDK's
 * JSON helpers trip over two copies of protobufjs in node_modules). `npm test` replays them all
 * (test/replay.test.ts): a workflow change that would break an open call fails CI.
 *
 * Record again only for a change that is meant to be replay-safe (guarded by `patched()`), and
 * keep the old files too: open calls still have the old histories.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Harness } from '../helpers/harness';
import { Receiver } from '../helpers/receiver';
import { redeliverSignal, skipSignal } from '../../src/workflows/messages';
import { emitCallEvent } from '../../src/client';

const DIR = __dirname;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitClosed(h: Harness, callId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await h.env.client.workflow.getHandle(callId).describe();
    if (description.status.name !== 'RUNNING') return;
    if (Date.now() > deadline) throw new Error(`${callId} still running after ${timeoutMs} ms`);
    await pause(250);
  }
}

/** Writes every run of the call (oldest first) as <scenario>.<n>.binpb. */
async function save(h: Harness, scenario: string, callId: string): Promise<void> {
  const runs: { runId: string; startTime: Date }[] = [];
  for await (const wf of h.env.client.workflow.list({ query: `WorkflowId = "${callId}"` })) runs.push({ runId: wf.runId, startTime: wf.startTime });
  runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  let n = 0;
  for (const run of runs) {
    const history = await h.env.client.workflow.getHandle(callId, run.runId).fetchHistory();
    writeFileSync(path.join(DIR, `${scenario}.${++n}.binpb`), temporal.api.history.v1.History.encode(history).finish());
  }
  console.log(`${scenario}: ${n} run(s)`);
}

async function main(): Promise<void> {
  const h = await Harness.start({
    devServerArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=100'],
    settings: { idleTimeoutMs: 1_000, abandonTimeoutMs: 3_000 },
    retryAfterMaxMs: 2_000,
  });
  const stamp = Date.now();
  try {
    {
      const clientId = 'rec-long';
      const callId = `rec-long-${stamp}`;
      const healthy = await Receiver.start();
      const recoversAt = Date.now() + 3_000;
      const flaky = await Receiver.start(() => (Date.now() < recoversAt ? { status: 500 } : { status: 200 }));
      await h.createEndpoint({ clientId, url: healthy.url });
      await h.createEndpoint({ clientId, url: flaky.url });
      for (let i = 0; i < 150; i++) await h.emit(callId, i === 149 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await waitClosed(h, callId, 120_000);
      await save(h, 'long-call-continue-as-new', callId);
    }
    {
      const clientId = 'rec-retry';
      const callId = `rec-retry-${stamp}`;
      const receiver = await Receiver.start((_r, i) => (i < 2 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await waitClosed(h, callId);
      await save(h, 'retry-then-success', callId);
    }
    {
      const clientId = 'rec-redeliver';
      const callId = `rec-redeliver-${stamp}`;
      let healthy = false;
      const receiver = await Receiver.start(() => (healthy ? { status: 200 } : { status: 410 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
      await h.emit(callId, 'OUTBOUND_CALL_ERROR', { clientId, errors: [{ code: 'E', message: 'm' }] });
      await receiver.waitFor(2);
      await pause(500);
      healthy = true;
      await h.env.client.workflow.getHandle(callId).signal(redeliverSignal, {});
      await receiver.waitFor(4);
      await waitClosed(h, callId);
      await save(h, 'redeliver', callId);
    }
    {
      const clientId = 'rec-skip';
      const callId = `rec-skip-${stamp}`;
      const receiver = await Receiver.start((r) => ((r.json as { eventType: string }).eventType === 'INBOUND_CALL_ESTABLISHED' ? { status: 503 } : { status: 200 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      const eventId = await h.emit(callId, 'INBOUND_CALL_ESTABLISHED', { clientId });
      await h.emit(callId, 'INBOUND_CALL_COMPLETED', { clientId });
      await receiver.waitFor(2);
      const log = await h.deliveries(callId);
      const stuck = log.find((d) => d.eventId === eventId)!;
      await h.env.client.workflow.getHandle(callId).signal(skipSignal, { deliveryId: stuck.id, reason: 'recording' });
      await waitClosed(h, callId);
      await save(h, 'skip', callId);
    }
    {
      const clientId = 'rec-notice';
      const callId = `rec-notice-${stamp}`;
      const broken = await Receiver.start(() => ({ status: 400 }));
      const alerts = await Receiver.start();
      await h.createEndpoint({ clientId, url: broken.url, events: ['OUTBOUND_CALL_ERROR'] });
      await h.createEndpoint({ clientId, url: alerts.url, events: ['WEBHOOK_DELIVERY_FAILED'] });
      await h.emit(callId, 'OUTBOUND_CALL_ERROR', { clientId, errors: [{ code: 'E', message: 'm' }] });
      await alerts.waitFor(1);
      await waitClosed(h, callId);
      await save(h, 'failure-notice', callId);
    }
    {
      const clientId = 'rec-cancel';
      const callId = `rec-cancel-${stamp}`;
      const slow = await Receiver.start(() => ({ status: 200, delayMs: 400 }));
      await h.createEndpoint({ clientId, url: slow.url });
      for (let i = 0; i < 5; i++) await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await slow.waitFor(1);
      await h.env.client.workflow.getHandle(callId).cancel();
      await waitClosed(h, callId);
      await save(h, 'cancel', callId);
    }
    {
      const clientId = 'rec-reset';
      const callId = `rec-reset-${stamp}`;
      const slow = await Receiver.start(() => ({ status: 200, delayMs: 200 }));
      await h.createEndpoint({ clientId, url: slow.url });
      for (let i = 0; i < 6; i++) await h.emit(callId, i === 5 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } });
      await slow.waitFor(2);
      const handle = h.env.client.workflow.getHandle(callId);
      const { runId } = await handle.describe();
      const history = await handle.fetchHistory();
      const firstTask = history.events!.find((e) => e.workflowTaskCompletedEventAttributes)!;
      await h.env.client.workflowService.resetWorkflowExecution({
        namespace: h.env.namespace ?? 'default',
        workflowExecution: { workflowId: callId, runId },
        workflowTaskFinishEventId: firstTask.eventId,
        requestId: `reset-${stamp}`,
        reason: 'recording a reset',
      });
      await slow.waitFor(6, 30_000);
      await waitClosed(h, callId);
      await save(h, 'reset', callId);
    }
    {
      // A platform service emitting through the Temporal client: the workflow plans the events itself.
      const clientId = 'rec-client';
      const callId = `rec-client-${stamp}`;
      const receiver = await Receiver.start();
      await h.createEndpoint({ clientId, url: receiver.url });
      for (let i = 0; i < 3; i++) {
        const eventType = i === 2 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED';
        await emitCallEvent(h.env.client, { eventType, body: { data: { callId, clientId, seq: i } } }, { taskQueue: h.taskQueue });
      }
      await receiver.waitFor(3);
      await waitClosed(h, callId);
      await save(h, 'temporal-client', callId);
    }
    {
      const clientId = 'rec-late';
      const callId = `rec-late-${stamp}`;
      const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 400 } : { status: 200 }));
      await h.createEndpoint({ clientId, url: receiver.url });
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
      await waitClosed(h, callId);
      await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
      await receiver.waitFor(2);
      await waitClosed(h, callId);
      await save(h, 'late-event', callId);
    }
  } finally {
    await h.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
