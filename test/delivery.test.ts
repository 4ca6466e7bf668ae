import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';

let h: Harness;
let n = 0;
/** Each test has its own client, so endpoints of one test never see another's events. */
const ids = () => {
  n++;
  return { clientId: `client-d${n}`, callId: `call-d${n}-${Date.now()}` };
};

before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
});

describe('delivery to a custom endpoint', () => {
  test("the seeds' Express receiver (Bearer token, eventType, body.data, body.errors) works unmodified", async () => {
    const { clientId, callId } = ids();
    const TOKEN = 'seed-receiver-token';
    const seen: string[] = [];
    // The seed's sample receiver (000_…: "Custom: Node.js (Express)"), as written there.
    const app = express();
    app.use(express.json());
    app.post('/webhook', (req, res) => {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${TOKEN}`) {
        return res.status(401).send('unauthorized');
      }
      const { eventType, body } = req.body;
      const hasErrors = Array.isArray(body.errors) && body.errors.length > 0;
      if (hasErrors) {
        for (const err of body.errors) seen.push(`${eventType} ${body.data.callId} [${err.code}] ${err.message} (phase: ${err.phase})`);
      } else {
        seen.push(`${eventType} ${body.data.callId} status=${body.data.callStatus}`);
      }
      res.status(200).send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
    try {
      const good = await h.createEndpoint({ clientId, url, auth: { type: 'bearer', token: TOKEN } });
      const wrongToken = await h.createEndpoint({ clientId, url, auth: { type: 'bearer', token: 'not-the-token' } });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING', callSid: 'CA94b51' } });
      await h.emit(callId, 'OUTBOUND_CALL_ERROR', {
        clientId,
        data: { callStatus: 'CALLING' },
        errors: [{ code: 'NETWORK_ERROR', message: 'Connection timed out', phase: 'CONNECTING' }],
      });
      const log = await h.waitForDeliveries(callId, (l) => ended(l, 4));
      assert.deepEqual(seen, [
        `OUTBOUND_CALL_CALLING ${callId} status=CALLING`,
        `OUTBOUND_CALL_ERROR ${callId} [NETWORK_ERROR] Connection timed out (phase: CONNECTING)`,
      ]);
      const byEndpoint = (id: string) => log.filter((d) => d.endpointId === id);
      assert.deepEqual(byEndpoint(good).map((d) => [d.status, d.attemptCount, d.lastStatusCode]), [
        ['succeeded', 1, 200],
        ['succeeded', 1, 200],
      ]);
      // The receiver's 401 is final: one attempt each, no retries.
      assert.deepEqual(byEndpoint(wrongToken).map((d) => [d.status, d.attemptCount, d.lastStatusCode]), [
        ['failed', 1, 401],
        ['failed', 1, 401],
      ]);
    } finally {
      server.close();
    }
  });

  test('sends the seed payload with dedupe headers', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    const eventId = await h.emit(callId, 'INBOUND_CALL_ESTABLISHED', { clientId, data: { callStatus: 'IN_PROGRESS', extra: 1 } });
    await receiver.waitFor(1);
    const request = receiver.requests[0]!;
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['x-recho-event-id'], eventId);
    assert.match(String(request.headers['x-recho-delivery-id']), /^dlv_[0-9a-f]{32}$/);
    assert.equal(request.headers['x-recho-attempt'], '1');
    assert.match(String(request.headers['user-agent']), /^callhook\//);
    assert.equal(request.headers.authorization, undefined);
    const payload = request.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload), ['id', 'eventType', 'occurredAt', 'body']);
    assert.deepEqual(payload.body, { data: { callId, clientId, callStatus: 'IN_PROGRESS', extra: 1 }, errors: [] });
    await receiver.stop();
  });

  test('Basic auth: the receiver gets Authorization: Basic with the username and password; the API shows a hint of the password only', async () => {
    const { clientId, callId } = ids();
    const expected = `Basic ${Buffer.from('crm-user:pä ss:word', 'utf8').toString('base64')}`;
    const receiver = await Receiver.start((r) => (r.headers.authorization === expected ? { status: 200 } : { status: 401 }));
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, auth: { type: 'basic', username: 'crm-user', password: 'pä ss:word' } });
    const shown = await h.api('GET', `/v1/endpoints/${endpointId}`);
    assert.deepEqual(shown.body.auth, { type: 'basic', username: 'crm-user', passwordHint: '…rd' });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivery!.status, 'succeeded');
    assert.equal(receiver.requests[0]!.headers.authorization, expected);
    // A username with a colon cannot be sent (RFC 7617): refused, with the field.
    const refused = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'], auth: { type: 'basic', username: 'a:b', password: 'x' } });
    assert.equal(refused.status, 400);
    assert.ok(refused.body.error.details.some((d: { path: string }) => d.path === 'body.auth.username'), JSON.stringify(refused.body));
    await receiver.stop();
  });

  test('500 then 200: two attempts, succeeded', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 500, body: 'boom' } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivery!.status, 'succeeded');
    assert.deepEqual(delivery!.attempts.map((a) => [a.attemptNumber, a.statusCode, a.outcome, a.responseExcerpt]), [
      [1, 500, 'retryable', 'boom'],
      [2, 200, 'succeeded', null],
    ]);
    assert.equal(receiver.requests[1]!.headers['x-recho-attempt'], '2');
    assert.equal(receiver.requests[0]!.headers['x-recho-delivery-id'], receiver.requests[1]!.headers['x-recho-delivery-id']);
    await receiver.stop();
  });

  test('while it waits out its backoff, a retrying delivery says when its next attempt is due', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 500, body: 'boom' } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await receiver.waitFor(1);
    const waiting = await h.waitForDeliveries(callId, (l) => l[0]?.attempts.length === 1 && l[0].nextAttemptAt !== null, 10_000);
    const due = Date.parse(waiting[0]!.nextAttemptAt!);
    const failedAt = Date.parse(waiting[0]!.attempts[0]!.startedAt);
    // FAST_SETTINGS: the first retry comes 1 s after the first attempt (with jitter, at most a little more).
    assert.ok(due > failedAt && due - failedAt < 5_000, `next attempt ${due - failedAt} ms after the first`);
    assert.equal(waiting[0]!.status, 'pending');
    const [delivered] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivered!.status, 'succeeded');
    assert.equal(delivered!.nextAttemptAt, null);
    await receiver.stop();
  });

  test('404: one attempt, failed (other 4xx are final)', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start(() => ({ status: 404 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivery!.status, 'failed');
    assert.equal(delivery!.attemptCount, 1);
    assert.equal(delivery!.lastStatusCode, 404);
    assert.equal(delivery!.attempts[0]!.outcome, 'final');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(receiver.requests.length, 1);
    await receiver.stop();
  });

  test('a redirect is final, not followed', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start(() => ({ status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual([delivery!.status, delivery!.attemptCount, delivery!.lastStatusCode], ['failed', 1, 302]);
    assert.match(delivery!.lastError ?? '', /redirect/);
    await receiver.stop();
  });

  test('always 503: exactly 7 attempts, failed, then the next event of the call is delivered', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start((r) =>
      (r.json as { eventType: string }).eventType === 'OUTBOUND_CALL_CALLING' ? { status: 503 } : { status: 200 },
    );
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2), 40_000);
    assert.deepEqual(log.map((d) => [d.eventType, d.status, d.attemptCount]), [
      ['OUTBOUND_CALL_CALLING', 'failed', 7],
      ['OUTBOUND_CALL_COMPLETED', 'succeeded', 1],
    ]);
    assert.deepEqual(log[0]!.attempts.map((a) => a.attemptNumber), [1, 2, 3, 4, 5, 6, 7]);
    assert.ok(log[0]!.attempts.every((a) => a.statusCode === 503 && a.outcome === 'retryable'));
    // FIFO: the second event reached the receiver only after the first had finally failed.
    const types = receiver.requests.map((r) => (r.json as { eventType: string }).eventType);
    assert.deepEqual(types, [...Array(7).fill('OUTBOUND_CALL_CALLING'), 'OUTBOUND_CALL_COMPLETED']);
    // Exponential backoff: 1 s, 2 s, 4 s, then capped at 4 s.
    const gaps = receiver.requests.slice(1, 7).map((r, i) => r.at - receiver.requests[i]!.at);
    assert.ok(gaps[0]! < gaps[1]! && gaps[1]! < gaps[2]!, `gaps should grow: ${gaps.join(', ')}`);
    assert.ok(gaps.every((gap) => gap < 5_500), `gaps should stay under the 4 s cap: ${gaps.join(', ')}`);
    await receiver.stop();
  });

  test('a receiver that hangs past the attempt timeout is retried', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 200, hang: true } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivery!.status, 'succeeded');
    assert.equal(delivery!.attemptCount, 2);
    assert.equal(delivery!.attempts[0]!.statusCode, null);
    assert.match(delivery!.attempts[0]!.error ?? '', /timed out/);
    assert.ok(delivery!.attempts[0]!.durationMs >= 900, `the first attempt waited for its timeout: ${delivery!.attempts[0]!.durationMs}`);
    await receiver.stop();
  });

  test('connection refused is retried', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    const url = receiver.url;
    await receiver.stop();
    await h.createEndpoint({ clientId, url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const log = await h.waitForDeliveries(callId, (l) => l[0]?.attemptCount === 2);
    assert.equal(log[0]!.attempts[0]!.outcome, 'retryable');
    assert.match(log[0]!.attempts[0]!.error ?? '', /ECONNREFUSED/);
  });

  test('429 with Retry-After waits as told before the next attempt', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 }));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual(delivery!.attempts.map((a) => a.statusCode), [429, 200]);
    const gap = receiver.requests[1]!.at - receiver.requests[0]!.at;
    // The backoff alone would retry after 1 s; Retry-After says 3 s.
    assert.ok(gap >= 2_900, `retried after ${gap} ms`);
    await receiver.stop();
  });

  test('endpoints get only the event types they subscribe to, of their own client', async () => {
    const { clientId, callId } = ids();
    const errorsOnly = await Receiver.start();
    const everything = await Receiver.start();
    const otherClient = await Receiver.start();
    await h.createEndpoint({ clientId, url: errorsOnly.url, events: ['OUTBOUND_CALL_ERROR'] });
    await h.createEndpoint({ clientId, url: everything.url, events: ['*'] });
    await h.createEndpoint({ clientId: `${clientId}-other`, url: otherClient.url, events: ['*'] });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await h.emit(callId, 'OUTBOUND_CALL_ERROR', { clientId, errors: [{ code: 'X', message: 'y', phase: 'CALLING' }] });
    await h.waitForDeliveries(callId, (l) => ended(l, 3));
    assert.deepEqual(errorsOnly.requests.map((r) => (r.json as { eventType: string }).eventType), ['OUTBOUND_CALL_ERROR']);
    assert.deepEqual(everything.requests.map((r) => (r.json as { eventType: string }).eventType), [
      'OUTBOUND_CALL_CALLING',
      'OUTBOUND_CALL_ERROR',
    ]);
    assert.equal(otherClient.requests.length, 0);
    await Promise.all([errorsOnly.stop(), everything.stop(), otherClient.stop()]);
  });

  test('an inactive endpoint gets nothing; reactivated, it gets the next event', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    const probe = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, active: false });
    await h.createEndpoint({ clientId, url: probe.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(receiver.requests.length, 0);
    assert.equal((await h.api('PATCH', `/v1/endpoints/${endpointId}`, { active: true })).status, 200);
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await receiver.waitFor(1);
    assert.equal((receiver.requests[0]!.json as { eventType: string }).eventType, 'OUTBOUND_CALL_CONNECTED');
    await Promise.all([receiver.stop(), probe.stop()]);
  });

  test('the same event id twice is accepted once and delivered once', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    const event = { id: `evt-dup-${callId}`, eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId, clientId } } };
    const first = await h.api('POST', '/v1/events', event);
    const second = await h.api('POST', '/v1/events', event);
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.body, first.body);
    // The same id reused for a different event is refused.
    const reused = await h.api('POST', '/v1/events', { ...event, eventType: 'OUTBOUND_CALL_ERROR' });
    assert.equal(reused.status, 409);
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    await receiver.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(receiver.requests.map((r) => (r.json as { id: string }).id).slice(0, 1), [event.id]);
    assert.equal(receiver.requests.length, 2);
    const log = await h.deliveries(callId);
    assert.equal(log.length, 2);
    await receiver.stop();
  });

  test('endpoint changes apply to the next event: a new token, a deleted endpoint', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, auth: { type: 'bearer', token: 'first-token' } });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await receiver.waitFor(1);
    await h.api('PATCH', `/v1/endpoints/${endpointId}`, { auth: { type: 'bearer', token: 'second-token' } });
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await receiver.waitFor(2);
    assert.deepEqual(receiver.requests.map((r) => r.headers.authorization), ['Bearer first-token', 'Bearer second-token']);
    assert.equal((await h.api('DELETE', `/v1/endpoints/${endpointId}`)).status, 200);
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(receiver.requests.length, 2);
    await receiver.stop();
  });
});
