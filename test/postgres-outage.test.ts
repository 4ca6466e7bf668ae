import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeliveryLogEntry } from '../src/db/deliveries-repo';
import { CONNECTION_TIMEOUT_MS } from '../src/db/pool';
import { isDatabaseUnavailable } from '../src/db/unavailable';
import { Harness } from './helpers/harness';
import { TEST_DATABASE_URL } from './helpers/postgres';
import { Receiver, type ReceivedRequest } from './helpers/receiver';
import { TcpProxy } from './helpers/tcp-proxy';

/** How long Postgres stays cut off: long enough for every kind of activity to fail and be retried several times. */
const OUTAGE_MS = Number(process.env.OUTAGE_MS ?? 30_000);
const CALLS = 3;
const EVENTS_PER_CALL = 10;

let h: Harness;
let proxy: TcpProxy;
before(async () => {
  const target = new URL(TEST_DATABASE_URL);
  proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  h = await Harness.start({ databaseUrlRewrite: (url) => proxy.rewrite(url) });
});
after(async () => {
  proxy?.restore();
  await h?.stop();
  await proxy?.stop();
});

const seq = (r: ReceivedRequest) => (r.json as { body: { data: { seq: number } } }).body.data.seq;
const callOf = (r: ReceivedRequest) => (r.json as { body: { data: { callId: string } } }).body.data.callId;
const eventIdOf = (r: ReceivedRequest) => String(r.headers['x-recho-event-id']);
const range = (count: number) => Array.from({ length: count }, (_, i) => i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('isDatabaseUnavailable', () => {
  test('knows connection failures from query failures', () => {
    const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
    assert.ok(isDatabaseUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')));
    assert.ok(isDatabaseUnavailable(withCode('read ECONNRESET', 'ECONNRESET')));
    assert.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')));
    assert.ok(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect')));
    assert.ok(isDatabaseUnavailable(withCode('terminating connection due to administrator command', '57P01')));
    assert.ok(isDatabaseUnavailable(withCode('the database system is starting up', '57P03')));
    assert.ok(isDatabaseUnavailable(withCode('connection failure', '08006')));
    assert.ok(isDatabaseUnavailable(new Error('could not plan', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') })));
    assert.ok(isDatabaseUnavailable(new AggregateError([withCode('a', 'ECONNREFUSED'), withCode('b', 'ECONNREFUSED')])));
    assert.ok(!isDatabaseUnavailable(withCode('duplicate key value violates unique constraint', '23505')));
    assert.ok(!isDatabaseUnavailable(withCode('syntax error', '42601')));
    assert.ok(!isDatabaseUnavailable(new Error('something else')));
    assert.ok(!isDatabaseUnavailable('Connection terminated'));
  });
});

describe('Postgres outage', () => {
  test(`Postgres cut off for ${OUTAGE_MS / 1000} s mid-delivery: 503s and readiness say why, then everything accepted is delivered in order with its log`, async () => {
    const clientId = 'client-pg-outage';
    const calls = range(CALLS).map((i) => `call-pg-outage-${i}-${Date.now()}`);
    // Slow enough that deliveries are under way when Postgres goes, well within the 1 s attempt timeout.
    const receiver = await Receiver.start(() => ({ status: 200, delayMs: 250 }));
    await h.createEndpoint({ clientId, url: receiver.url });

    const accepted = new Map<string, string[]>(calls.map((callId) => [callId, []]));
    for (const i of range(EVENTS_PER_CALL)) {
      for (const callId of calls) {
        const type = i === EVENTS_PER_CALL - 1 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED';
        accepted.get(callId)!.push(await h.emit(callId, type, { clientId, data: { seq: i } }));
      }
    }
    const total = CALLS * EVENTS_PER_CALL;
    await receiver.waitFor(6, 30_000);

    // --- Postgres goes away, mid-delivery.
    const cutAt = Date.now();
    proxy.cut();
    const deliveredAtCut = receiver.requests.length;
    assert.ok(deliveredAtCut < total, `all ${total} deliveries were done before the cut: make the receiver slower`);

    // Writes answer 503 with a Retry-After, and say it is the database.
    const lateEventId = `evt_pg_outage_late_${Date.now()}`;
    const refused = await h.api('POST', '/v1/events', {
      id: lateEventId,
      eventType: 'OUTBOUND_CALL_CONNECTED',
      body: { data: { callId: calls[0], clientId, seq: EVENTS_PER_CALL } },
    });
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'database_unavailable');
    assert.match(refused.body.error.message, /Postgres is unavailable/);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'a Retry-After on the 503');
    const endpointRefused = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'] });
    assert.equal(endpointRefused.status, 503);
    assert.equal(endpointRefused.body.error.code, 'database_unavailable');
    // Reads that need Postgres too.
    const logRefused = await h.api('GET', `/v1/calls/${calls[0]}/deliveries`);
    assert.equal(logRefused.status, 503);
    assert.equal(logRefused.body.error.code, 'database_unavailable');
    // Readiness names Postgres and why; Temporal is fine.
    const ready = await h.api('GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.postgres.ok, false);
    assert.equal(typeof ready.body.checks.postgres.error, 'string');
    assert.ok(ready.body.checks.postgres.error.length > 0);
    assert.equal(ready.body.checks.temporal.ok, true);
    // Liveness is not about Postgres: the process is fine.
    assert.equal((await h.api('GET', '/healthz')).status, 200);

    // Deliveries wait: after the attempts that were in flight at the cut, nothing reaches the receiver,
    // while the activities keep trying to reach Postgres (their retries knock at the proxy).
    await sleep(Math.min(5_000, OUTAGE_MS / 3));
    const deliveredEarlyInCut = receiver.requests.length;
    const knocksEarly = proxy.connectionsRefused;
    await sleep(OUTAGE_MS - (Date.now() - cutAt));
    assert.equal(receiver.requests.length, deliveredEarlyInCut, 'nothing is delivered while Postgres is away');
    assert.ok(proxy.connectionsRefused > knocksEarly, 'activities kept retrying during the outage');
    const stillCut = await h.api('GET', '/readyz');
    assert.equal(stillCut.status, 503);

    // --- Postgres is back.
    proxy.restore();
    const restoredAt = Date.now();
    const isAllSucceeded = (log: DeliveryLogEntry[], count: number) => log.length === count && log.every((d) => d.status === 'succeeded');
    let allDeliveredMs = 0;
    for (const callId of calls) {
      await h.waitForDeliveries(callId, (log) => isAllSucceeded(log, EVENTS_PER_CALL), 120_000);
    }
    allDeliveredMs = Date.now() - restoredAt;
    assert.equal((await h.api('GET', '/readyz')).status, 200);

    // The refused event, sent again with the same id, is accepted and delivered after the rest of its call.
    const resent = await h.api('POST', '/v1/events', {
      id: lateEventId,
      eventType: 'OUTBOUND_CALL_CONNECTED',
      body: { data: { callId: calls[0], clientId, seq: EVENTS_PER_CALL } },
    });
    assert.equal(resent.status, 202, JSON.stringify(resent.body));
    await h.waitForDeliveries(calls[0]!, (log) => isAllSucceeded(log, EVENTS_PER_CALL + 1), 60_000);
    accepted.get(calls[0]!)!.push(lateEventId);

    // Every accepted event reached the receiver; per call, first arrivals are in emission order.
    const firstArrivals = new Map<string, ReceivedRequest>();
    for (const request of receiver.requests) if (!firstArrivals.has(eventIdOf(request))) firstArrivals.set(eventIdOf(request), request);
    const duplicates = receiver.requests.length - firstArrivals.size;
    for (const callId of calls) {
      const firsts = [...firstArrivals.values()].filter((r) => callOf(r) === callId);
      assert.deepEqual(firsts.map(eventIdOf), accepted.get(callId), `call ${callId}: every accepted event, in order`);
      assert.deepEqual(firsts.map(seq), range(accepted.get(callId)!.length));
    }
    // Duplicates only of attempts cut off by the outage (sent, not recorded): at most one per lane in flight.
    assert.ok(duplicates <= CALLS, `${duplicates} duplicates`);

    // The delivery log is complete: each delivery succeeded, with its attempts, the last one a 200.
    for (const callId of calls) {
      const log = await h.deliveries(callId);
      assert.deepEqual(log.map((d) => d.eventId).sort(), [...accepted.get(callId)!].sort());
      for (const delivery of log) {
        assert.equal(delivery.status, 'succeeded');
        assert.ok(delivery.endedAt);
        assert.equal(delivery.attempts.length, delivery.attemptCount, `delivery ${delivery.id}: every attempt in the log`);
        assert.equal(delivery.attempts.at(-1)?.outcome, 'succeeded');
        assert.equal(delivery.attempts.at(-1)?.statusCode, 200);
      }
    }

    // The process lived through it: the API takes writes again.
    assert.equal((await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'] })).status, 201);
    console.log(
      `postgres outage: cut ${OUTAGE_MS} ms at ${deliveredAtCut}/${total} delivered; ${proxy.connectionsRefused} connections refused; ` +
        `all delivered ${allDeliveredMs} ms after restore; ${duplicates} duplicate(s)`,
    );
  });

  test('a delivery retrying when Postgres goes is not used up by the outage: it is attempted again after Postgres returns', async () => {
    const clientId = 'client-pg-retrying';
    const callId = `call-pg-retrying-${Date.now()}`;
    // Two 503s, then 200: the delivery is in its retries (Temporal's retry policy) when Postgres goes.
    const receiver = await Receiver.start((_r, i) => (i < 2 ? { status: 503 } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    await receiver.waitFor(1, 30_000);
    proxy.cut();
    // Longer than the rest of its 7 attempts take on the tests' schedule (1, 2, 4, 4, 4, 4 s apart): each
    // retry of the activity fails to reach Postgres; none of them is an attempt at the receiver.
    await sleep(25_000);
    assert.equal(receiver.requests.length, 1);
    proxy.restore();
    const log = await h.waitForDeliveries(callId, (l) => l.length === 1 && l[0]!.status !== 'pending', 60_000);
    assert.equal(log[0]!.status, 'succeeded');
    assert.equal(receiver.requests.length, 3);
    // The first attempt after the outage may find a pooled connection Postgres dropped: sent, then not recorded.
    const statuses = log[0]!.attempts.map((a) => a.statusCode);
    assert.equal(statuses[0], 503);
    assert.equal(statuses.at(-1), 200);
  });

  test('Postgres unreachable without an answer (a partition): requests fail with 503 within the connection timeout, not hang', async () => {
    const clientId = 'client-pg-partition';
    const callId = `call-pg-partition-${Date.now()}`;
    const receiver = await Receiver.start(() => ({ status: 200, delayMs: 250 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    const accepted: string[] = [];
    for (const i of range(6)) accepted.push(await h.emit(callId, i === 5 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { seq: i } }));
    await receiver.waitFor(1, 30_000);
    proxy.cut('hold');
    await sleep(1_000); // the pools notice their dropped connections: the next query needs a new one, which hangs
    const asked = Date.now();
    const refused = await h.api('POST', '/v1/events', { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId, clientId, seq: 6 } } });
    const answeredMs = Date.now() - asked;
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'database_unavailable');
    // The pool's connection timeout (CONNECTION_TIMEOUT_MS) ends the wait for a connection.
    assert.ok(answeredMs >= CONNECTION_TIMEOUT_MS - 500 && answeredMs < CONNECTION_TIMEOUT_MS + 3_000, `answered after ${answeredMs} ms`);
    const ready = await h.api('GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.postgres.ok, false);
    await sleep(10_000);
    proxy.restore();
    const restoredAt = Date.now();
    await h.waitForDeliveries(callId, (log) => log.length === 6 && log.every((d) => d.status === 'succeeded'), 120_000);
    const deliveredMs = Date.now() - restoredAt;
    const firsts = new Map<string, ReceivedRequest>();
    for (const request of receiver.requests) if (!firsts.has(eventIdOf(request))) firsts.set(eventIdOf(request), request);
    assert.deepEqual([...firsts.keys()], accepted);
    console.log(`postgres partition: 503 after ${answeredMs} ms; all delivered ${deliveredMs} ms after restore`);
  });
});
