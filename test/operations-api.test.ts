import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DeliveryLogEntry } from '../src/db/deliveries-repo';
import { skipSignal, stateQuery } from '../src/workflows/messages';
import { Harness, ended } from './helpers/harness';
import { eventually } from './helpers/eventually';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
});

let n = 0;
/** Each test has its own client, so endpoints of one test never see another's events. */
const ids = (tag: string) => {
  n++;
  return { clientId: `client-ops-${tag}-${n}`, callId: `call-ops-${tag}-${n}-${Date.now()}` };
};

const eventTypeOf = (r: ReceivedRequest) => (r.json as { eventType: string }).eventType;
const eventIdOf = (r: ReceivedRequest) => (r.json as { id: string }).id;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Places a delivery at an instant, for the time-range filters (test setup straight in Postgres). */
async function setCreatedAt(harness: Harness, deliveryId: string, at: Date): Promise<void> {
  const { rowCount } = await harness.db.pool.query('UPDATE deliveries SET created_at = $2 WHERE id = $1', [deliveryId, at]);
  assert.equal(rowCount, 1);
}

/** A receiver that answers `failing` (422 by default) until `heal()`, then 200. */
async function switchableReceiver(failing = 422) {
  let healthy = false;
  const receiver = await Receiver.start(() => (healthy ? { status: 200, body: 'ok' } : { status: failing, body: 'no' }));
  return Object.assign(receiver, { heal: () => (healthy = true) });
}

const attemptsOf = (d: DeliveryLogEntry) => d.attempts.map((a) => [a.attemptNumber, a.statusCode, a.outcome]);
const actionsOf = (d: DeliveryLogEntry) => d.actions.map((a) => [a.action, a.source]);

describe('POST /v1/deliveries/:id/retry', () => {
  test('a finally failed delivery is sent again; the log numbers on and records the action', async () => {
    const { clientId, callId } = ids('retry');
    const receiver = await switchableReceiver(422);
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const [failed] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(failed!.status, 'failed');
    assert.deepEqual(attemptsOf(failed!), [[1, 422, 'final']]);

    receiver.heal();
    const response = await h.api('POST', `/v1/deliveries/${failed!.id}/retry`);
    assert.equal(response.status, 202);
    assert.deepEqual(response.body, { deliveryId: failed!.id, callId });
    const [delivery] = await h.waitForDeliveries(callId, (l) => l[0]?.status === 'succeeded');
    assert.deepEqual(attemptsOf(delivery!), [
      [1, 422, 'final'],
      [2, 200, 'succeeded'],
    ]);
    assert.deepEqual(actionsOf(delivery!), [['redeliver', 'api']]);
    assert.equal(receiver.requests.length, 2);
    assert.equal(receiver.requests[1]!.headers['x-recho-attempt'], '2');
    assert.equal(receiver.requests[1]!.headers['x-recho-delivery-id'], failed!.id);

    // Succeeded: nothing to retry.
    const again = await h.api('POST', `/v1/deliveries/${failed!.id}/retry`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'not_retryable');
    await sleep(300);
    assert.equal(receiver.requests.length, 2);
  });

  test('a pending delivery is not retryable; a skipped one is', async () => {
    const { clientId, callId } = ids('retry-pending');
    const receiver = await switchableReceiver(503);
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    // Paused: the delivery stays pending with no attempt (one that failed an attempt would be retrying: retry now).
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/pause`)).status, 200);
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    const [pending] = await h.deliveries(callId);
    assert.equal(pending!.status, 'pending');
    assert.equal(pending!.nextAttemptAt, null);
    const response = await h.api('POST', `/v1/deliveries/${pending!.id}/retry`);
    assert.equal(response.status, 409);
    assert.equal(response.body.error.code, 'not_retryable');

    // Skip it (from Temporal), then retry the skipped delivery through the API. The call's workflow exists once the
    // outbox relay has signalled the event: 202 only means Postgres has it.
    const handle = h.env.client.workflow.getHandle(callId);
    await eventually(async () => ((await handle.describe()).status.name === 'RUNNING' ? true : undefined), "the call's workflow to run");
    await handle.signal(skipSignal, { deliveryId: pending!.id, reason: 'test' });
    await h.waitForDeliveries(callId, (l) => l[0]?.status === 'skipped');
    receiver.heal();
    assert.equal((await h.api('POST', `/v1/endpoints/${endpointId}/resume`)).status, 200);
    const retried = await h.api('POST', `/v1/deliveries/${pending!.id}/retry`);
    assert.equal(retried.status, 202);
    const [delivery] = await h.waitForDeliveries(callId, (l) => l[0]?.status === 'succeeded');
    assert.deepEqual(actionsOf(delivery!), [
      ['skip', 'temporal-ui'],
      ['redeliver', 'api'],
    ]);
    assert.equal(delivery!.attempts.at(-1)!.statusCode, 200);
  });

  test('a failed delivery to a deleted endpoint is not retryable, nor listed by call redelivery', async () => {
    const { clientId, callId } = ids('retry-deleted');
    const gone = await switchableReceiver(422);
    const kept = await switchableReceiver(422);
    const goneId = await h.createEndpoint({ clientId, url: gone.url });
    const keptId = await h.createEndpoint({ clientId, url: kept.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.equal((await h.api('DELETE', `/v1/endpoints/${goneId}`)).status, 200);
    gone.heal();
    kept.heal();
    const toGone = log.find((d) => d.endpointId === goneId)!;
    const toKept = log.find((d) => d.endpointId === keptId)!;
    const response = await h.api('POST', `/v1/deliveries/${toGone.id}/retry`);
    assert.equal(response.status, 409);
    assert.equal(response.body.error.code, 'not_retryable');
    const redeliver = await h.api('POST', `/v1/calls/${callId}/redeliver`, {});
    assert.deepEqual([redeliver.status, redeliver.body], [202, { callId, deliveries: [toKept.id] }]);
    await h.waitForDeliveries(callId, (l) => l.find((d) => d.id === toKept.id)?.status === 'succeeded');
    await sleep(300);
    assert.equal(gone.requests.length, 1);
    assert.equal((await h.deliveries(callId)).find((d) => d.id === toGone.id)!.status, 'failed');
  });

  test('unknown delivery → 404; malformed id → 400', async () => {
    const unknown = await h.api('POST', `/v1/deliveries/dlv_${'0'.repeat(32)}/retry`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    for (const bad of ['dlv_xyz', 'evt_123', `dlv_${'A'.repeat(32)}`]) {
      const response = await h.api('POST', `/v1/deliveries/${bad}/retry`);
      assert.equal(response.status, 400, bad);
      assert.equal(response.body.error.code, 'invalid_request');
    }
  });
});

describe('retry after the call workflow has finished', () => {
  let h2: Harness;
  before(async () => {
    h2 = await Harness.start({ settings: { abandonTimeoutMs: 3_000, idleTimeoutMs: 500 } });
  });
  after(async () => {
    await h2?.stop();
  });

  test('signal-with-start starts a new run that redelivers, then finishes on its own', async () => {
    const { clientId, callId } = ids('closed');
    const receiver = await switchableReceiver(422);
    await h2.createEndpoint({ clientId, url: receiver.url });
    await h2.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId, data: { callStatus: 'COMPLETED' } });
    const [failed] = await h2.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(failed!.status, 'failed');

    const handle = h2.env.client.workflow.getHandle(callId);
    // One event: the call's (the WEBHOOK_DELIVERY_FAILED notice its failure raised is not counted).
    assert.deepEqual(await handle.result(), { callId, events: 1, succeeded: 0, failed: 1 });
    const first = await handle.describe();
    assert.equal(first.status.name, 'COMPLETED');

    receiver.heal();
    const response = await h2.api('POST', `/v1/deliveries/${failed!.id}/retry`);
    assert.equal(response.status, 202);
    const [delivery] = await h2.waitForDeliveries(callId, (l) => l[0]?.status === 'succeeded');
    assert.deepEqual(attemptsOf(delivery!), [
      [1, 422, 'final'],
      [2, 200, 'succeeded'],
    ]);
    assert.deepEqual(actionsOf(delivery!), [['redeliver', 'api']]);

    // A new run did it, and it finishes by itself (the call's terminal event is known from Postgres).
    const second = await handle.describe();
    assert.notEqual(second.runId, first.runId);
    assert.deepEqual(await h2.env.client.workflow.getHandle(callId, second.runId).result(), { callId, events: 0, succeeded: 1, failed: 0 });
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    assert.equal(receiver.requests.length, 2);
  });

  test('a new run started by a retry knows the call: its other failures, status and last event', async () => {
    const { clientId, callId } = ids('closed2');
    const receiver = await switchableReceiver(422);
    await h2.createEndpoint({ clientId, url: receiver.url });
    await h2.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { callStatus: 'IN_PROGRESS' } });
    await h2.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId, data: { callStatus: 'COMPLETED' } });
    const log = await h2.waitForDeliveries(callId, (l) => ended(l, 2));
    const handle = h2.env.client.workflow.getHandle(callId);
    await handle.result();
    const firstRun = (await handle.describe()).runId;

    // Retry only the first; the receiver keeps failing, so the new run keeps both as failed.
    assert.equal((await h2.api('POST', `/v1/deliveries/${log[0]!.id}/retry`)).status, 202);
    await h2.waitForDeliveries(callId, (l) => l[0]!.attemptCount === 2 && l[0]!.status === 'failed');
    const run = await handle.describe();
    assert.notEqual(run.runId, firstRun);
    const state = await handle.query(stateQuery);
    assert.equal(state.deliveryState, 'failed');
    assert.deepEqual(state.failures.map((f) => [f.deliveryId, f.error]).sort(), [[log[0]!.id, 'HTTP 422'], [log[1]!.id, 'HTTP 422']].sort());
    assert.equal(run.searchAttributes.CallStatus?.[0], 'COMPLETED');
    assert.equal(run.searchAttributes.LastEventType?.[0], 'OUTBOUND_CALL_COMPLETED');
    assert.equal(run.searchAttributes.DeliveryState?.[0], 'failed');
  });
});

describe('POST /v1/calls/:callId/redeliver', () => {
  test('{endpointId} redelivers that endpoint\'s failures in order; {} the rest', async () => {
    const { clientId, callId } = ids('redeliver');
    const a = await switchableReceiver(422);
    const b = await switchableReceiver(422);
    const endpointA = await h.createEndpoint({ clientId, url: a.url });
    const endpointB = await h.createEndpoint({ clientId, url: b.url });
    const calling = await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    const connected = await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 4));
    assert.ok(log.every((d) => d.status === 'failed'));
    const of = (entries: DeliveryLogEntry[], endpointId: string) => entries.filter((d) => d.endpointId === endpointId);
    const idsA = of(log, endpointA).map((d) => d.id);
    const idsB = of(log, endpointB).map((d) => d.id);
    assert.deepEqual(of(log, endpointA).map((d) => d.eventId), [calling, connected]);

    a.heal();
    b.heal(); // B answers 200 now too: only the request decides whether it is sent again
    const onlyA = await h.api('POST', `/v1/calls/${callId}/redeliver`, { endpointId: endpointA });
    assert.equal(onlyA.status, 202);
    assert.deepEqual(onlyA.body, { callId, deliveries: idsA });
    const afterA = await h.waitForDeliveries(callId, (l) => of(l, endpointA).every((d) => d.status === 'succeeded'));
    assert.deepEqual(a.requests.slice(2).map(eventIdOf), [calling, connected]);
    await sleep(500);
    assert.equal(b.requests.length, 2);
    assert.ok(of(afterA, endpointB).every((d) => d.status === 'failed' && d.actions.length === 0));

    const rest = await h.api('POST', `/v1/calls/${callId}/redeliver`, {});
    assert.equal(rest.status, 202);
    assert.deepEqual(rest.body, { callId, deliveries: idsB });
    const final = await h.waitForDeliveries(callId, (l) => l.every((d) => d.status === 'succeeded'));
    assert.deepEqual(b.requests.slice(2).map(eventIdOf), [calling, connected]);
    assert.equal(a.requests.length, 4);
    assert.ok(final.every((d) => d.actions.length === 1 && d.actions[0]!.source === 'api'));
  });

  test('a call without failures: 202, an empty list, no signal', async () => {
    const { clientId, callId } = ids('nofail');
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await h.waitForDeliveries(callId, (l) => ended(l, 1));
    const response = await h.api('POST', `/v1/calls/${callId}/redeliver`, {});
    assert.equal(response.status, 202);
    assert.deepEqual(response.body, { callId, deliveries: [] });
    const history = await h.env.client.workflow.getHandle(callId).fetchHistory();
    const signals = (history.events ?? []).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName).filter(Boolean);
    assert.deepEqual(signals, ['callEvents']);

    // A call never seen: no workflow is started for it.
    const unknownCall = `call-ops-never-${Date.now()}`;
    const none = await h.api('POST', `/v1/calls/${unknownCall}/redeliver`);
    assert.equal(none.status, 202);
    assert.deepEqual(none.body, { callId: unknownCall, deliveries: [] });
    await assert.rejects(h.env.client.workflow.getHandle(unknownCall).describe(), WorkflowNotFoundError);
  });

  test('bad input → 400', async () => {
    for (const body of [{ endpointId: 'ep_nope' }, { deliveryId: `dlv_${'0'.repeat(32)}` }, { endpointId: 5 }]) {
      const response = await h.api('POST', '/v1/calls/some-call/redeliver', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'invalid_request');
    }
    const badCall = await h.api('POST', '/v1/calls/bad%20call/redeliver', {});
    assert.equal(badCall.status, 400);
  });
});

describe('POST /v1/endpoints/:id/recover', () => {
  test('re-sends only the endpoint\'s failures created in [since, until), across calls', async () => {
    const { clientId, callId } = ids('recover');
    const call1 = `${callId}-a`;
    const call2 = `${callId}-b`;
    const e = await switchableReceiver(422);
    const f = await switchableReceiver(422);
    const endpointE = await h.createEndpoint({ clientId, url: e.url });
    const endpointF = await h.createEndpoint({ clientId, url: f.url });
    for (const call of [call1, call2]) {
      await h.emit(call, 'OUTBOUND_CALL_CALLING', { clientId });
      await h.emit(call, 'OUTBOUND_CALL_CONNECTED', { clientId });
    }
    const log1 = await h.waitForDeliveries(call1, (l) => ended(l, 4));
    const log2 = await h.waitForDeliveries(call2, (l) => ended(l, 4));
    const ofE = (l: DeliveryLogEntry[]) => l.filter((d) => d.endpointId === endpointE);
    const ofF = (l: DeliveryLogEntry[]) => l.filter((d) => d.endpointId === endpointF);
    const [e1a, e1b] = ofE(log1);
    const [e2a, e2b] = ofE(log2);

    const base = Date.now();
    const minutes = (m: number) => new Date(base + m * 60_000);
    await setCreatedAt(h, e1a!.id, minutes(-180)); // before since
    await setCreatedAt(h, e1b!.id, minutes(-90)); // inside
    await setCreatedAt(h, e2a!.id, minutes(-60)); // inside
    await setCreatedAt(h, e2b!.id, minutes(-30)); // at until: outside (until is exclusive)
    for (const d of [...ofF(log1), ...ofF(log2)]) await setCreatedAt(h, d.id, minutes(-60)); // inside, other endpoint

    e.heal();
    f.heal();
    const since = minutes(-120).toISOString();
    const until = minutes(-30).toISOString();
    const response = await h.api('POST', `/v1/endpoints/${endpointE}/recover`, { since, until });
    assert.equal(response.status, 202);
    const { workflowId, ...counts } = response.body;
    assert.deepEqual(counts, { endpointId: endpointE, calls: 2, deliveries: 2 });
    assert.match(workflowId, new RegExp(`^recover-${endpointE}-`));
    // The recovery is a workflow of its own, which an operator can watch.
    assert.deepEqual(await h.env.client.workflow.getHandle(workflowId).result(), { signalled: 2 });

    await h.waitForDeliveries(call1, (l) => l.find((d) => d.id === e1b!.id)?.status === 'succeeded');
    await h.waitForDeliveries(call2, (l) => l.find((d) => d.id === e2a!.id)?.status === 'succeeded');
    await sleep(500);
    assert.deepEqual(e.requests.slice(4).map(eventIdOf).sort(), [e1b!.eventId, e2a!.eventId].sort());
    assert.equal(f.requests.length, 4);
    const after = [...(await h.deliveries(call1)), ...(await h.deliveries(call2))];
    const status = (id: string) => after.find((d) => d.id === id)!;
    assert.deepEqual([e1a, e1b, e2a, e2b].map((d) => status(d!.id).status), ['failed', 'succeeded', 'succeeded', 'failed']);
    assert.deepEqual(actionsOf(status(e1b!.id)), [['redeliver', 'api-recover']]);
    assert.deepEqual(actionsOf(status(e1a!.id)), []);
    assert.ok(ofF(after).every((d) => d.status === 'failed' && d.actions.length === 0));

    // Nothing left in the range: nothing to do.
    const again = await h.api('POST', `/v1/endpoints/${endpointE}/recover`, { since, until });
    assert.deepEqual([again.status, again.body], [202, { endpointId: endpointE, calls: 0, deliveries: 0, workflowId: null }]);
  });

  test('validation: until not after since, bad timestamps → 400; unknown endpoint → 404', async () => {
    const { clientId } = ids('recover-bad');
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    const path = `/v1/endpoints/${endpointId}/recover`;
    const cases: unknown[] = [
      { since: '2026-05-12T10:00:00Z', until: '2026-05-12T09:00:00Z' },
      { since: '2026-05-12T10:00:00Z', until: '2026-05-12T10:00:00Z' },
      { since: 'yesterday' },
      { since: '2026-05-12' },
      { since: '2026-02-31T00:00:00Z' },
      { since: '0000-01-01T00:00:00Z' },
      { since: '2026-05-12T10:00:00Z', until: 'tomorrow' },
      {},
      { since: '2026-05-12T10:00:00Z', extra: true },
    ];
    for (const body of cases) {
      const response = await h.api('POST', path, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'invalid_request');
    }
    const noBody = await h.api('POST', path);
    assert.equal(noBody.status, 400);
    const unknown = await h.api('POST', `/v1/endpoints/ep_${'0'.repeat(32)}/recover`, { since: '2026-05-12T10:00:00Z' });
    assert.equal(unknown.status, 404);
    const malformed = await h.api('POST', '/v1/endpoints/ep_nope/recover', { since: '2026-05-12T10:00:00Z' });
    assert.equal(malformed.status, 400);
  });
});

describe('POST /v1/endpoints/:id/test', () => {
  test('sends WEBHOOK_TEST to that endpoint only, with its auth, and answers with the first attempt', async () => {
    const { clientId } = ids('test');
    const target = await Receiver.start(() => ({ status: 200, body: 'hello' }));
    const other = await Receiver.start();
    const endpointId = await h.createEndpoint({
      clientId,
      url: target.url,
      events: ['OUTBOUND_CALL_COMPLETED'],
      auth: { type: 'bearer', token: 'test-token-1' },
    });
    await h.createEndpoint({ clientId, url: other.url, events: ['*'] });
    const response = await h.api('POST', `/v1/endpoints/${endpointId}/test`);
    assert.equal(response.status, 200);
    const { eventId, deliveryId, durationMs, ...rest } = response.body;
    assert.match(eventId, /^evt_[0-9a-f]{32}$/);
    assert.match(deliveryId, /^dlv_[0-9a-f]{32}$/);
    assert.equal(typeof durationMs, 'number');
    assert.ok(durationMs >= 0);
    assert.deepEqual(rest, { outcome: 'succeeded', statusCode: 200, error: null, responseExcerpt: 'hello' });

    assert.equal(target.requests.length, 1);
    const request = target.requests[0]!;
    assert.equal(request.headers.authorization, 'Bearer test-token-1');
    assert.equal(request.headers['x-recho-event-id'], eventId);
    assert.equal(request.headers['x-recho-delivery-id'], deliveryId);
    const payload = request.json as { id: string; eventType: string; body: { data: Record<string, unknown>; errors: unknown[] } };
    assert.deepEqual(Object.keys(payload), ['id', 'eventType', 'occurredAt', 'body']);
    assert.equal(payload.id, eventId);
    assert.equal(payload.eventType, 'WEBHOOK_TEST');
    assert.equal(payload.body.data.clientId, clientId);
    assert.deepEqual(payload.body.errors, []);

    const event = await h.api('GET', `/v1/events/${eventId}`);
    assert.equal(event.status, 200);
    assert.equal(event.body.eventType, 'WEBHOOK_TEST');
    assert.equal(event.body.clientId, clientId);
    assert.deepEqual(
      event.body.deliveries.map((d: DeliveryLogEntry) => [d.id, d.endpointId, d.status]),
      [[deliveryId, endpointId, 'succeeded']],
    );
    await sleep(500);
    assert.equal(other.requests.length, 0);
  });

  test('a 500 answer is reported as retryable (and the delivery goes on retrying)', async () => {
    const { clientId } = ids('test500');
    const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 500, body: 'down' } : { status: 200 }));
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    const response = await h.api('POST', `/v1/endpoints/${endpointId}/test`);
    assert.equal(response.status, 200);
    assert.equal(response.body.outcome, 'retryable');
    assert.equal(response.body.statusCode, 500);
    assert.equal(response.body.responseExcerpt, 'down');
    const delivery = await eventually(async () => {
      const event = await h.api('GET', `/v1/events/${response.body.eventId}`);
      const d = event.body.deliveries[0] as DeliveryLogEntry;
      return d.status === 'succeeded' ? d : undefined;
    }, 'the test delivery to succeed on retry');
    assert.deepEqual(attemptsOf(delivery), [
      [1, 500, 'retryable'],
      [2, 200, 'succeeded'],
    ]);
  });

  test('an inactive endpoint can be tested; unknown → 404', async () => {
    const { clientId } = ids('test-inactive');
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, active: false });
    const response = await h.api('POST', `/v1/endpoints/${endpointId}/test`);
    assert.equal(response.status, 200);
    assert.deepEqual([response.body.outcome, response.body.statusCode], ['succeeded', 200]);
    assert.equal(receiver.requests.length, 1);
    assert.equal(eventTypeOf(receiver.requests[0]!), 'WEBHOOK_TEST');
    const unknown = await h.api('POST', `/v1/endpoints/ep_${'0'.repeat(32)}/test`);
    assert.equal(unknown.status, 404);
    const malformed = await h.api('POST', '/v1/endpoints/nope/test');
    assert.equal(malformed.status, 400);
  });
});

describe('GET /v1/endpoints/:id/deliveries', () => {
  test('filters by status and time, pages with limit and after', async () => {
    const { clientId, callId } = ids('list');
    const failing = new Set(['OUTBOUND_CALL_CONNECTED', 'INBOUND_CALL_ESTABLISHED']);
    const receiver = await Receiver.start((r) => (failing.has(eventTypeOf(r)) ? { status: 422 } : { status: 200 }));
    const other = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    const otherId = await h.createEndpoint({ clientId, url: other.url });
    const call1 = `${callId}-a`;
    const call2 = `${callId}-b`;
    const emitted = [
      await h.emit(call1, 'OUTBOUND_CALL_CALLING', { clientId }),
      await h.emit(call1, 'OUTBOUND_CALL_CONNECTED', { clientId }),
      await h.emit(call2, 'INBOUND_CALL_ESTABLISHED', { clientId }),
      await h.emit(call1, 'OUTBOUND_CALL_COMPLETED', { clientId }),
      await h.emit(call2, 'INBOUND_CALL_COMPLETED', { clientId }),
    ];
    await h.waitForDeliveries(call1, (l) => ended(l, 6));
    await h.waitForDeliveries(call2, (l) => ended(l, 4));

    const list = async (query: string) => {
      const response = await h.api('GET', `/v1/endpoints/${endpointId}/deliveries${query}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as { data: DeliveryLogEntry[]; nextCursor: string | null };
    };
    const all = await list('');
    assert.equal(all.nextCursor, null);
    assert.equal(all.data.length, 5);
    assert.ok(all.data.every((d) => d.endpointId === endpointId && !('cursor' in d)));
    // In emission order (calls 1 and 2 interleaved as emitted, per-call order kept).
    const byCall = (c: string) => all.data.filter((d) => d.callId === c).map((d) => d.eventId);
    assert.deepEqual(byCall(call1), [emitted[0], emitted[1], emitted[3]]);
    assert.deepEqual(byCall(call2), [emitted[2], emitted[4]]);
    assert.ok(all.data.every((d) => d.attempts.length === 1));

    const failed = await list('?status=failed');
    assert.deepEqual(failed.data.map((d) => d.eventType).sort(), ['INBOUND_CALL_ESTABLISHED', 'OUTBOUND_CALL_CONNECTED']);
    const succeeded = await list('?status=succeeded');
    assert.equal(succeeded.data.length, 3);
    assert.ok(succeeded.data.every((d) => d.status === 'succeeded'));
    assert.deepEqual((await list('?status=skipped')).data, []);

    // Place the five deliveries a minute apart, in log order.
    const base = Date.now() - 3_600_000;
    const minute = (m: number) => new Date(base + m * 60_000);
    for (const [i, d] of all.data.entries()) await setCreatedAt(h, d.id, minute(i));
    const ranged = await list(`?since=${encodeURIComponent(minute(1).toISOString())}&until=${encodeURIComponent(minute(3).toISOString())}`);
    assert.deepEqual(ranged.data.map((d) => d.id), [all.data[1]!.id, all.data[2]!.id]);
    assert.deepEqual(ranged.data.map((d) => Date.parse(d.createdAt)), [minute(1).getTime(), minute(2).getTime()]);
    const sinceOnly = await list(`?since=${encodeURIComponent(minute(3).toISOString())}`);
    assert.deepEqual(sinceOnly.data.map((d) => d.id), [all.data[3]!.id, all.data[4]!.id]);
    const failedBefore = await list(`?status=failed&until=${encodeURIComponent(minute(2).toISOString())}`);
    assert.deepEqual(failedBefore.data.map((d) => d.id), all.data.slice(0, 2).filter((d) => d.status === 'failed').map((d) => d.id));

    // Pages of two: every entry exactly once, in order.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: DeliveryLogEntry[]; nextCursor: string | null } = await list(`?limit=2${cursor ? `&after=${cursor}` : ''}`);
      assert.ok(page.data.length <= 2);
      seen.push(...page.data.map((d) => d.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen, all.data.map((d) => d.id));
    assert.equal(pages, 3);

    // The other endpoint's log is its own.
    const others = await h.api('GET', `/v1/endpoints/${otherId}/deliveries`);
    assert.equal(others.body.data.length, 5);
    assert.ok(others.body.data.every((d: DeliveryLogEntry) => d.endpointId === otherId && d.status === 'succeeded'));

    for (const query of [
      '?status=bogus',
      '?after=abc',
      '?after=-1',
      '?after=99999999999999999999',
      '?after=9999999999999999999', // 19 digits, beyond a bigint
      '?limit=0',
      '?limit=201',
      '?limit=x',
      '?since=yesterday',
      '?until=0000-01-01T00:00:00Z',
      '?what=1',
    ]) {
      const response = await h.api('GET', `/v1/endpoints/${endpointId}/deliveries${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, 'invalid_request', query);
    }
    assert.equal((await h.api('GET', `/v1/endpoints/ep_${'0'.repeat(32)}/deliveries`)).status, 404);
  });
});

/** The value of one series in Prometheus text: the metric's name and all of its labels must match. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[key!] = value!;
    if (Object.keys(found).length !== Object.keys(labels).length) continue;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  test('Prometheus text; counters and the histogram grow by what a call did', async () => {
    const read = async () => {
      const response = await fetch(`${h.baseUrl}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      return response.text();
    };
    const before = await read();
    // Series the earlier tests produced.
    assert.ok((metric(before, 'callhook_events_accepted_total', { event_type: 'OUTBOUND_CALL_CALLING' }) ?? 0) > 0);
    assert.ok((metric(before, 'callhook_events_accepted_total', { event_type: 'WEBHOOK_TEST' }) ?? 0) >= 3);
    assert.ok((metric(before, 'callhook_delivery_attempts_total', { kind: 'custom', outcome: 'final' }) ?? 0) > 0);
    assert.ok((metric(before, 'callhook_deliveries_total', { kind: 'custom', outcome: 'skipped' }) ?? 0) >= 1);
    assert.match(before, /^# TYPE callhook_delivery_attempt_duration_seconds histogram$/m);

    const series = {
      acceptedEstablished: ['callhook_events_accepted_total', { event_type: 'INBOUND_CALL_ESTABLISHED' }],
      acceptedError: ['callhook_events_accepted_total', { event_type: 'INBOUND_CALL_ERROR' }],
      attemptsSucceeded: ['callhook_delivery_attempts_total', { kind: 'custom', outcome: 'succeeded' }],
      attemptsFinal: ['callhook_delivery_attempts_total', { kind: 'custom', outcome: 'final' }],
      attemptsRetryable: ['callhook_delivery_attempts_total', { kind: 'custom', outcome: 'retryable' }],
      deliveriesSucceeded: ['callhook_deliveries_total', { kind: 'custom', outcome: 'succeeded' }],
      deliveriesFailed: ['callhook_deliveries_total', { kind: 'custom', outcome: 'failed' }],
      durationInf: ['callhook_delivery_attempt_duration_seconds_bucket', { le: '+Inf', kind: 'custom', outcome: 'succeeded' }],
      duration30: ['callhook_delivery_attempt_duration_seconds_bucket', { le: '30', kind: 'custom', outcome: 'succeeded' }],
      durationCount: ['callhook_delivery_attempt_duration_seconds_count', { kind: 'custom', outcome: 'succeeded' }],
      durationFinalCount: ['callhook_delivery_attempt_duration_seconds_count', { kind: 'custom', outcome: 'final' }],
    } as const;
    const values = (text: string) =>
      Object.fromEntries(Object.entries(series).map(([key, [name, labels]]) => [key, metric(text, name, labels) ?? 0])) as Record<
        keyof typeof series,
        number
      >;
    const start = values(before);

    const { clientId, callId } = ids('metrics');
    const receiver = await Receiver.start((r) => (eventTypeOf(r) === 'INBOUND_CALL_ERROR' ? { status: 422 } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'INBOUND_CALL_ESTABLISHED', { clientId });
    await h.emit(callId, 'INBOUND_CALL_ERROR', { clientId, errors: [{ code: 'E', message: 'm' }] });
    await h.waitForDeliveries(callId, (l) => ended(l, 2));
    const expected = {
      acceptedEstablished: 1,
      acceptedError: 1,
      attemptsSucceeded: 1,
      attemptsFinal: 1,
      attemptsRetryable: 0,
      deliveriesSucceeded: 1,
      deliveriesFailed: 1,
      durationInf: 1,
      duration30: 1,
      durationCount: 1,
      durationFinalCount: 1,
    };
    type Key = keyof typeof series;
    const delta = (now: Record<Key, number>) =>
      Object.fromEntries((Object.keys(series) as Key[]).map((key) => [key, now[key] - start[key]])) as Record<Key, number>;
    // The failed count is incremented just after the log says failed: wait for it, then let anything late arrive.
    await eventually(async () => (delta(values(await read())).deliveriesFailed >= 1 ? true : undefined), 'deliveries_total failed');
    await sleep(300);
    const end = await read();
    assert.deepEqual(delta(values(end)), expected);
    const sum = (text: string) => metric(text, 'callhook_delivery_attempt_duration_seconds_sum', { kind: 'custom', outcome: 'succeeded' }) ?? 0;
    assert.ok(sum(end) > sum(before), 'the histogram sum grew');
  });
});
