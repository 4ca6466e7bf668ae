/**
 * Accepting in one durable write: an event is accepted once Postgres has it, and the outbox relay
 * signals the call workflows from there. Real Temporal and Postgres: what happens while Temporal is
 * unreachable, when the backlog is full, when several relays share the work, when a relay dies
 * holding a call, and what batches (POST /v1/events/batch, emitCallEvents) cost in signals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { Harness, ended } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';
import { OutboxRelay } from '../src/outbox/relay';
import { logger } from '../src/observability/logger';
import { emitCallEvents, InvalidCallEventError } from '../src/temporal/call-events-client';

let h: Harness;
/** A Temporal client that can reach nothing: what an API sees while Temporal is down. */
let unreachable: Client;
before(async () => {
  h = await Harness.start();
  unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
});
after(async () => {
  // The lazy connection is left open: closing it with retry timers pending throws from a timer.
  await h?.stop();
});

const seq = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const callOf = (r: ReceivedRequest) => (r.json as { body: { data: { callId: string } } }).body.data.callId;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const event = (callId: string, clientId: string, i: number, id = `${callId}-e${i}`) => ({
  id,
  eventType: 'OUTBOUND_CALL_CONNECTED' as const,
  body: { data: { callId, clientId, seq: i } },
});

function relay(temporal: Client, overrides: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}): OutboxRelay {
  return new OutboxRelay({
    pool: h.db.pool,
    temporal,
    taskQueue: h.taskQueue,
    logger,
    pollMs: 100,
    maxPending: 100_000,
    signalTimeoutMs: 1_000,
    ...overrides,
  });
}

/** How many signals of this name the call's workflow got, over all its runs. */
async function signalsOf(callId: string, name: string): Promise<number> {
  let count = 0;
  for await (const execution of h.client.workflow.list({ query: `WorkflowId = '${callId}'` })) {
    const history = await h.client.workflow.getHandle(callId, execution.runId).fetchHistory();
    count += (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name).length;
  }
  return count;
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function unsignalled(callIds: string[]): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE call_id = ANY ($1) AND signaled_at IS NULL', [callIds]);
  return rows[0]!.n;
}

describe('accepting while Temporal is away', () => {
  test('events are accepted (202) with Temporal unreachable, /readyz says so, and all are delivered in order once a relay reaches Temporal', async () => {
    const clientId = 'client-outage';
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    // This process's relay is "down with Temporal": only the API below (whose relay cannot reach Temporal) runs.
    await h.outbox.stop();
    const away = relay(unreachable);
    away.start();
    const { base } = await h.startApi({ temporal: unreachable, outbox: away, temporalTimeoutMs: 500 });
    const calls = range(3).map((c) => `call-outage-${c}-${Date.now()}`);
    try {
      for (const i of range(5)) {
        for (const callId of calls) {
          const response = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event(callId, clientId, i)) });
          assert.equal(response.status, 202, await response.text());
        }
      }
      await waitUntil('the relay has failed against Temporal', () => away.status().temporalReachable === false);
      const ready = await fetch(`${base}/readyz`);
      const readiness = (await ready.json()) as { status: string; accepting: boolean; checks: { temporal: { ok: boolean }; outbox: { ok: boolean; backlog: number } } };
      assert.equal(ready.status, 200, 'still ready: it accepts events');
      assert.equal(readiness.accepting, true);
      assert.equal(readiness.checks.temporal.ok, false);
      await waitUntil('the backlog is counted', () => away.status().backlog >= 15);
      assert.equal(await unsignalled(calls), 15);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(receiver.requests.length, 0, 'nothing is delivered while Temporal is away');
    } finally {
      await away.stop();
    }
    // Temporal "is back": a relay that reaches it (this process's, restarted) signals the backlog.
    h.outbox = relay(h.client);
    h.outbox.start();
    await receiver.waitFor(15, 20_000);
    for (const callId of calls) {
      assert.deepEqual(receiver.requests.filter((r) => callOf(r) === callId).map(seq), range(5), `${callId} in order`);
      // All five waited, so they went in one signal.
      assert.equal(await signalsOf(callId, 'callEvents'), 1);
    }
    assert.equal(await unsignalled(calls), 0);
  });

  test('past OUTBOX_MAX_PENDING the API refuses new events (503 outbox_full) and changes nothing; /readyz answers 503', async () => {
    const clientId = 'client-full';
    const full = relay(unreachable, { maxPending: 2 });
    full.start();
    const { base } = await h.startApi({ temporal: unreachable, outbox: full, temporalTimeoutMs: 500 });
    // The harness's relay would take the backlog away: stopped for this test.
    await h.outbox.stop();
    const callId = `call-full-${Date.now()}`;
    const post = (i: number) => fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event(callId, clientId, i)) });
    try {
      assert.equal((await post(0)).status, 202);
      assert.equal((await post(1)).status, 202);
      await waitUntil('the relay sees the backlog full', () => full.status().full, 5_000);
      const refused = await post(2);
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'outbox_full');
      const { rows } = await h.db.pool.query('SELECT 1 FROM events WHERE id = $1', [`${callId}-e2`]);
      assert.equal(rows.length, 0, 'the refused event was not stored');
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { checks: { outbox: { ok: boolean } } }).checks.outbox.ok, false);
    } finally {
      await full.stop();
      h.outbox = relay(h.client);
      h.outbox.start();
    }
    await waitUntil('the backlog is signalled', async () => (await unsignalled([callId])) === 0);
  });
});

describe('relays sharing the work', () => {
  test('two relays over one backlog: every call signalled once, its events in order', async () => {
    const clientId = 'client-two-relays';
    const receiver = await Receiver.start(() => ({ status: 200, delayMs: Math.floor(Math.random() * 10) }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.outbox.stop();
    const calls = range(20).map((c) => `call-two-${c}-${Date.now()}`);
    const { base } = await h.startApi({ temporal: unreachable, outbox: { nudge: () => undefined, status: () => h.outbox.status() } });
    for (const i of range(5)) {
      const response = await fetch(`${base}/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: calls.map((callId) => event(callId, clientId, i)) }),
      });
      assert.equal(response.status, 200);
    }
    assert.equal(await unsignalled(calls), 100);
    const relays = [relay(h.client), relay(h.client)];
    for (const r of relays) r.start();
    try {
      await receiver.waitFor(100, 30_000);
      for (const callId of calls) {
        assert.deepEqual(receiver.requests.filter((r) => callOf(r) === callId).map(seq), range(5), `${callId} in order`);
        assert.equal(await signalsOf(callId, 'callEvents'), 1, `${callId}: one signal`);
      }
    } finally {
      for (const r of relays) await r.stop();
      h.outbox = relay(h.client);
      h.outbox.start();
    }
  });

  test('a relay that dies holding a call releases it with its connection: another relay signals it', async () => {
    const clientId = 'client-dead-relay';
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    const callId = `call-dead-relay-${Date.now()}`;
    // A "relay" that took the call's lock and died before signalling: its session holds the lock until it goes.
    const dead = new pg.Client({ connectionString: h.db.url });
    await dead.connect();
    await dead.query("SELECT pg_advisory_lock(hashtextextended('callhook-outbox:' || $1::text, 0))", [callId]);
    for (const i of range(3)) assert.equal((await h.api('POST', '/v1/events', event(callId, clientId, i))).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(receiver.requests.length, 0, 'the call is held by the (dead) relay: no other relay signals it meanwhile');
    assert.equal(await unsignalled([callId]), 3);
    await dead.end();
    await receiver.waitFor(3, 10_000);
    assert.deepEqual(receiver.requests.map(seq), range(3));
  });
});

describe('batches in', () => {
  test('POST /v1/events/batch: one answer per event, one statement, one signal per call; refused events change nothing', async () => {
    const clientId = 'client-batch';
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `call-batch-${x}-${Date.now()}`) as [string, string, string];
    // Accepted before: the batch repeats it (a duplicate) and reuses another id for other content (a conflict).
    assert.equal((await h.api('POST', '/v1/events', event(c, clientId, 0))).status, 202);
    await receiver.waitFor(1, 10_000);
    const events = [
      event(a, clientId, 0),
      event(b, clientId, 0),
      event(a, clientId, 1),
      { eventType: 'NOT_A_TYPE', body: { data: { callId: a, clientId } } },
      event(c, clientId, 0),
      { ...event(c, clientId, 1), id: `${c}-e0` },
      event(b, 'client-other', 1, `${b}-other`),
      event(a, clientId, 2),
      event(b, clientId, 1),
    ];
    const response = await h.api('POST', '/v1/events/batch', { events });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const body = response.body as { accepted: number; duplicates: number; refused: number; results: { index: number; status: string; error?: { code: string; message: string } }[] };
    assert.deepEqual(body.results.map((r) => r.status), ['accepted', 'accepted', 'accepted', 'refused', 'duplicate', 'refused', 'refused', 'accepted', 'accepted']);
    assert.deepEqual([body.accepted, body.duplicates, body.refused], [5, 1, 3]);
    assert.match(body.results[3]!.error!.message, /events\.3\.eventType/);
    assert.equal(body.results[5]!.error!.code, 'idempotency_conflict');
    assert.equal(body.results[6]!.error!.code, 'call_of_another_client');
    await receiver.waitFor(6, 10_000);
    await h.waitForDeliveries(a, (l) => ended(l, 3));
    assert.deepEqual(receiver.requests.filter((r) => callOf(r) === a).map(seq), [0, 1, 2]);
    assert.deepEqual(receiver.requests.filter((r) => callOf(r) === b).map(seq), [0, 1]);
    assert.equal(await signalsOf(a, 'callEvents'), 1);
    assert.equal(await signalsOf(b, 'callEvents'), 1);
    const { rows } = await h.db.pool.query<{ client_id: string }>('SELECT client_id FROM events WHERE call_id = $1', [b]);
    assert.ok(rows.every((r) => r.client_id === clientId), "the other client's event was not stored");
  });

  test('a malformed batch is a 400 and changes nothing', async () => {
    for (const body of [{}, { events: [] }, { events: 'x' }, { events: range(501).map((i) => event('call-big', 'client-batch', i)) }, { events: [], more: 1 }]) {
      const response = await h.api('POST', '/v1/events/batch', body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
    }
    const { rows } = await h.db.pool.query("SELECT 1 FROM events WHERE call_id = 'call-big'");
    assert.equal(rows.length, 0);
  });

  test('emitCallEvents: one signal per call for Temporal-client users; an invalid event is named and nothing is sent', async () => {
    const clientId = 'client-emit-many';
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    const [x, y] = ['x', 'y'].map((n) => `call-emit-${n}-${Date.now()}`) as [string, string];
    const bad = [event(x, clientId, 0), { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId: 'has space', clientId } } }];
    await assert.rejects(emitCallEvents(h.client, bad as never, { taskQueue: h.taskQueue }), (err: unknown) => {
      assert.ok(err instanceof InvalidCallEventError);
      assert.match(err.message, /events\[1\]: body\.data\.callId/);
      return true;
    });
    const result = await emitCallEvents(h.client, [...range(4).map((i) => event(x, clientId, i)), ...range(3).map((i) => event(y, clientId, i))], { taskQueue: h.taskQueue });
    assert.equal(result.signals, 2);
    await receiver.waitFor(7, 10_000);
    assert.deepEqual(receiver.requests.filter((r) => callOf(r) === x).map(seq), range(4));
    assert.deepEqual(receiver.requests.filter((r) => callOf(r) === y).map(seq), range(3));
    assert.equal(await signalsOf(x, 'callEvents'), 1);
  });
});
