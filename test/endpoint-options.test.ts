/**
 * Issue 18 end to end, against real local servers: custom headers, OAuth 2.0 client credentials,
 * mutual TLS, content filters and a per-endpoint retry schedule.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';
import { makeCertificateAuthority, makeClientCertificate, makeServerCertificate, removeCertificates } from './helpers/certificates';

let h: Harness;
let n = 0;
const ids = () => {
  n++;
  return { clientId: `client-o${n}`, callId: `call-o${n}-${Date.now()}` };
};

before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
  removeCertificates();
});

/** The problems of a 400, by path. */
function problems(body: { error: { details: { path: string; message: string }[] | null } }): Record<string, string> {
  return Object.fromEntries((body.error.details ?? []).map((d) => [d.path, d.message]));
}

describe('custom headers', () => {
  test('sent with every request beside Basic auth; a secret one is sealed and hinted, and kept when an update omits its value', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start((req) =>
      req.headers['x-api-key'] === 'key-Vb7Nm2Lk9Jh4' && req.headers['x-tenant'] === 'acme' && req.headers.authorization === `Basic ${Buffer.from('crm:pw-123456').toString('base64')}`
        ? { status: 200 }
        : { status: 403 },
    );
    const endpointId = await h.createEndpoint({
      clientId,
      url: receiver.url,
      auth: { type: 'basic', username: 'crm', password: 'pw-123456' },
      headers: [
        { name: 'X-Api-Key', value: 'key-Vb7Nm2Lk9Jh4', secret: true },
        { name: 'X-Tenant', value: 'acme' },
      ],
    });
    const shown = await h.api('GET', `/v1/endpoints/${endpointId}`);
    assert.deepEqual(shown.body.headers, [
      { name: 'X-Api-Key', secret: true, valueHint: '…9Jh4' },
      { name: 'X-Tenant', secret: false, value: 'acme' },
    ]);
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING' } });
    // Renamed plain header, secret one kept by name without its value.
    const patched = await h.api('PATCH', `/v1/endpoints/${endpointId}`, { headers: [{ name: 'x-api-key', secret: true }, { name: 'X-Tenant', value: 'acme' }, { name: 'X-Extra', value: 'one more' }] });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { callStatus: 'CONNECTED' } });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(log.map((d) => [d.status, d.lastStatusCode]), [['succeeded', 200], ['succeeded', 200]]);
    assert.equal(receiver.requests[1]!.headers['x-extra'], 'one more');
    assert.equal(receiver.requests[1]!.headers['x-api-key'], 'key-Vb7Nm2Lk9Jh4', 'the secret value was kept');
  });

  test("refused: hop-by-hop, Host, Content-Type, callhook's own, Authorization beside an auth, repeats, line breaks, more than 20; nothing is stored", async () => {
    const { clientId } = ids();
    const receiver = await Receiver.start();
    const base = { clientId, kind: 'custom', url: receiver.url, events: ['*'] };
    const refused = await h.api('POST', '/v1/endpoints', {
      ...base,
      auth: { type: 'bearer', token: 'token-12345678' },
      headers: [
        { name: 'Connection', value: 'close' },
        { name: 'Host', value: 'evil.example' },
        { name: 'Content-Type', value: 'text/plain' },
        { name: 'X-Recho-Event-Id', value: 'x' },
        { name: 'webhook-signature', value: 'x' },
        { name: 'Authorization', value: 'Bearer other' },
        { name: 'X-Ok', value: 'a\r\nInjected: yes' },
        { name: 'Bad Name', value: 'x' },
        { name: 'x-ok', value: 'again' },
      ],
    });
    assert.equal(refused.status, 400);
    const found = problems(refused.body);
    for (const index of [0, 1, 2, 3, 4]) assert.ok(found[`body.headers.${index}.name`], `header ${index} refused: ${JSON.stringify(found)}`);
    assert.ok(found['body.headers.6.value'], 'a line break is refused');
    assert.ok(found['body.headers.7.name'], 'a name that is not a token is refused');
    assert.match(found['body.headers.8.name'] ?? '', /repeats header 6/);
    // Authorization is refused only beside an authentication: checked once the list itself is valid.
    const withBearer = await h.api('POST', '/v1/endpoints', { ...base, auth: { type: 'bearer', token: 'token-12345678' }, headers: [{ name: 'Authorization', value: 'Bearer other' }] });
    assert.equal(withBearer.status, 400);
    assert.match(problems(withBearer.body)['body.headers.0.name'] ?? '', /needs auth "none"/);
    const alone = await h.api('POST', '/v1/endpoints', { ...base, headers: [{ name: 'Authorization', value: 'ApiKey abc' }] });
    assert.equal(alone.status, 201, 'Authorization of its own where the endpoint has no authentication');
    const many = await h.api('POST', '/v1/endpoints', { ...base, headers: Array.from({ length: 21 }, (_, i) => ({ name: `x-h${i}`, value: 'v' })) });
    assert.equal(many.status, 400);
    const slack = await h.api('POST', '/v1/endpoints', { ...base, kind: 'slack', url: receiver.url, headers: [{ name: 'x-a', value: 'b' }] });
    assert.equal(slack.status, 400);
    assert.match(problems(slack.body)['body.headers'] ?? '', /custom endpoints only/);
    const missing = await h.api('POST', '/v1/endpoints', { ...base, headers: [{ name: 'x-key', secret: true }] });
    assert.equal(missing.status, 400, 'a new secret header needs its value');
    const listed = await h.api('GET', `/v1/endpoints?clientId=${clientId}`);
    assert.equal(listed.body.data.length, 1, 'only the valid one was stored');
  });
});

describe('traceparent header', () => {
  test('custom endpoints only; PATCH turns it on and off; with tracing off an attempt carries none', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    const slack = await h.api('POST', '/v1/endpoints', { clientId, kind: 'slack', url: receiver.url, events: ['*'], sendTraceparent: true });
    assert.equal(slack.status, 400);
    assert.match(problems(slack.body)['body.sendTraceparent'] ?? '', /custom endpoints only/);
    const created = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'] });
    assert.equal(created.status, 201);
    assert.equal(created.body.sendTraceparent, false, 'off unless asked for');
    const on = await h.api('PATCH', `/v1/endpoints/${created.body.id}`, { sendTraceparent: true });
    assert.equal(on.status, 200);
    assert.equal(on.body.sendTraceparent, true);
    assert.equal((await h.api('GET', `/v1/endpoints/${created.body.id}`)).body.sendTraceparent, true);
    // This process has no OpenTelemetry provider: nothing to propagate, so no header (test/tracing.test.ts covers tracing on).
    await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId, data: { callStatus: 'CONNECTED' } });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(log[0]!.status, 'succeeded');
    assert.equal(receiver.requests[0]!.headers.traceparent, undefined);
    assert.deepEqual(log[0]!.attempts.map((a: { traceId: unknown }) => a.traceId), [null], 'no trace id with tracing off');
    const wrongType = await h.api('PATCH', `/v1/endpoints/${created.body.id}`, { sendTraceparent: 'yes' });
    assert.equal(wrongType.status, 400);
    assert.ok(problems(wrongType.body)['body.sendTraceparent']);
  });
});

describe('OAuth 2.0 client credentials', () => {
  test('a token fetched once for 20 deliveries across 3 calls; a revoked token is refreshed after one 401, in the same attempt', async () => {
    const { clientId } = ids();
    const valid = new Set<string>();
    let issued = 0;
    const tokenServer = await Receiver.start((req) => {
      const expected = `Basic ${Buffer.from('callhook-client:cs-Tg5Rf8Ed1Ws4').toString('base64')}`;
      const form = new URLSearchParams(req.rawBody);
      if (req.headers.authorization !== expected || form.get('grant_type') !== 'client_credentials') {
        return { status: 401, body: JSON.stringify({ error: 'invalid_client', error_description: 'client authentication failed' }), headers: { 'content-type': 'application/json' } };
      }
      const token = `tok-${++issued}-${form.get('scope')}-${form.get('audience')}`;
      valid.add(token);
      return { status: 200, body: JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }), headers: { 'content-type': 'application/json' } };
    });
    const receiver = await Receiver.start((req) => (valid.has((req.headers.authorization ?? '').replace(/^Bearer /, '')) ? { status: 200 } : { status: 401 }));
    const auth = { type: 'oauth2', tokenUrl: tokenServer.url, clientId: 'callhook-client', clientSecret: 'cs-Tg5Rf8Ed1Ws4', scope: 'webhooks:write', audience: 'https://crm.example' };
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, auth });
    const shown = await h.api('GET', `/v1/endpoints/${endpointId}`);
    const { clientSecret: _secret, ...publicPart } = auth;
    assert.deepEqual(shown.body.auth, { ...publicPart, method: 'client_secret_basic', clientSecretHint: '…Ws4' });

    const calls = [0, 1, 2].map((i) => `call-oauth-${i}-${Date.now()}`);
    const counts = [7, 7, 6];
    await Promise.all(
      calls.map(async (callId, i) => {
        for (let k = 0; k < counts[i]!; k++) await h.emit(callId, k % 2 === 0 ? 'OUTBOUND_CALL_CALLING' : 'OUTBOUND_CALL_CONNECTED', { clientId, data: { callStatus: `S${k}` } });
      }),
    );
    for (const [i, callId] of calls.entries()) {
      const log = await h.waitForDeliveries(callId, (l) => ended(l, counts[i]!));
      assert.ok(log.every((d) => d.status === 'succeeded' && d.attemptCount === 1), JSON.stringify(log));
    }
    assert.equal(receiver.requests.length, 20);
    assert.equal(tokenServer.requests.length, 1, 'one token for every delivery of every call');
    assert.equal(valid.size, 1);
    assert.match([...valid][0]!, /^tok-1-webhooks:write-https:\/\/crm\.example$/);

    valid.clear(); // revoked at the authorization server
    const callId = `call-oauth-revoked-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING' } });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual([delivery!.status, delivery!.attemptCount, delivery!.lastStatusCode], ['succeeded', 1, 200]);
    assert.equal(tokenServer.requests.length, 2, 'refreshed once');
    assert.deepEqual(receiver.requests.slice(-2).map((r) => r.headers.authorization), ['Bearer tok-1-webhooks:write-https://crm.example', 'Bearer tok-2-webhooks:write-https://crm.example']);
  });

  test('a token endpoint that refuses the client fails the attempt plainly (final, like any other 4xx); the test endpoint says so', async () => {
    const { clientId, callId } = ids();
    const tokenServer = await Receiver.start(() => ({ status: 400, body: JSON.stringify({ error: 'invalid_client', error_description: 'unknown client' }), headers: { 'content-type': 'application/json' } }));
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, auth: { type: 'oauth2', tokenUrl: tokenServer.url, clientId: 'nobody', clientSecret: 'wrong-secret', method: 'client_secret_post' } });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING' } });
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivery!.status, 'failed');
    assert.equal(delivery!.attemptCount, 1);
    assert.equal(delivery!.lastError, 'oauth token: HTTP 400 invalid_client (unknown client)');
    assert.equal(receiver.requests.length, 0, 'the receiver is never reached without a token');
    assert.equal(new URLSearchParams(tokenServer.requests[0]!.rawBody).get('client_secret'), 'wrong-secret', 'client_secret_post sends it in the form');
    const tested = await h.api('POST', `/v1/endpoints/${endpointId}/test`, {});
    assert.equal(tested.status, 200);
    assert.equal(tested.body.error, 'oauth token: HTTP 400 invalid_client (unknown client)');
    assert.equal(tested.body.statusCode, null);
    const privateToken = await h.api('POST', '/v1/endpoints', {
      clientId,
      kind: 'custom',
      url: receiver.url,
      events: ['*'],
      auth: { type: 'oauth2', tokenUrl: 'ftp://auth.example/token', clientId: 'a', clientSecret: 'b' },
    });
    assert.equal(privateToken.status, 400);
    assert.ok(problems(privateToken.body)['body.auth.tokenUrl']);
  });
});

describe('mutual TLS', () => {
  test('an HTTPS receiver that requires a client certificate gets it; without one the handshake fails; the certificate is shown with its expiry, never its key', async () => {
    const { clientId, callId } = ids();
    const serverCa = makeCertificateAuthority('receiver CA');
    const clientCa = makeCertificateAuthority('client CA');
    const serverCertificate = makeServerCertificate(serverCa);
    const client = makeClientCertificate(clientCa, 'callhook-mtls', { days: 10 });
    const seen: string[] = [];
    const server = https.createServer({ key: serverCertificate.privateKey, cert: serverCertificate.certificate, ca: clientCa.certificate, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      seen.push(String((req.socket as TLSSocket).getPeerCertificate().subject.CN));
      req.resume();
      req.on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const withCertificate = await h.createEndpoint({ clientId, url, tls: { certificate: client.certificate, privateKey: client.privateKey, ca: serverCa.certificate } });
      const noCertificate = await h.createEndpoint({ clientId, url, retry: { delaysMs: [] } });
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING' } });
      const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
      const of = (id: string) => log.find((d) => d.endpointId === id)!;
      assert.deepEqual([of(withCertificate).status, of(withCertificate).lastStatusCode], ['succeeded', 200]);
      assert.equal(of(noCertificate).status, 'failed', 'the receiver refuses a connection without a client certificate (and the public roots do not trust its CA)');
      assert.deepEqual(seen, ['callhook-mtls']);

      const shown = await h.api('GET', `/v1/endpoints/${withCertificate}`);
      assert.match(shown.body.tls.subject, /CN=callhook-mtls/);
      assert.equal(shown.body.tls.expiry, 'expiring', 'ten days left: within the 14-day warning');
      assert.equal(shown.body.tls.ca, true);
      assert.ok(!JSON.stringify(shown.body).includes('PRIVATE KEY'), 'the key is never shown');

      const mismatched = await h.api('PATCH', `/v1/endpoints/${withCertificate}`, { tls: { certificate: client.certificate, privateKey: serverCertificate.privateKey } });
      assert.equal(mismatched.status, 400);
      assert.match(problems(mismatched.body)['body.tls.privateKey'] ?? '', /does not match/);
      const removed = await h.api('PATCH', `/v1/endpoints/${withCertificate}`, { tls: null });
      assert.equal(removed.body.tls, null);

      // A certificate that expires once stored is shown as expired, and blocks no other change.
      const shortLived = makeClientCertificate(clientCa, 'short-lived', { notAfter: new Date(Date.now() + 3_000) });
      const expiring = await h.createEndpoint({ clientId, url, tls: { certificate: shortLived.certificate, privateKey: shortLived.privateKey } });
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      const later = await h.api('PATCH', `/v1/endpoints/${expiring}`, { description: 'still editable', active: false });
      assert.equal(later.status, 200, JSON.stringify(later.body));
      assert.equal(later.body.tls.expiry, 'expired');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('content filters', () => {
  test('a filtered endpoint gets only the matching events of a mixed stream, in order; the others are logged as filtered out, not failed', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    const all = await Receiver.start();
    const filtered = await h.createEndpoint({ clientId, url: receiver.url, filter: { 'body.data.callStatus': { $in: ['FAILED', 'NO_ANSWER'] } } });
    await h.createEndpoint({ clientId, url: all.url });
    const stream: [string, string][] = [
      ['OUTBOUND_CALL_CALLING', 'CALLING'],
      ['OUTBOUND_CALL_CONNECTED', 'NO_ANSWER'],
      ['OUTBOUND_CALL_CALLING', 'BUSY'],
      ['OUTBOUND_CALL_CONNECTED', 'FAILED'],
      ['OUTBOUND_CALL_CONNECTED', 'CONNECTED'],
      ['OUTBOUND_CALL_ERROR', 'FAILED'],
    ];
    for (const [type, status] of stream) await h.emit(callId, type, { clientId, data: { callStatus: status } });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, stream.length * 2));
    const statuses = (r: Receiver) => r.requests.map((q) => (q.json as { body: { data: { callStatus: string } } }).body.data.callStatus);
    assert.deepEqual(statuses(receiver), ['NO_ANSWER', 'FAILED', 'FAILED'], 'only the matching ones, in the order emitted');
    assert.deepEqual(statuses(all), stream.map(([, status]) => status));
    const mine = log.filter((d) => d.endpointId === filtered);
    assert.deepEqual(mine.map((d) => d.status), ['skipped', 'succeeded', 'skipped', 'succeeded', 'skipped', 'succeeded']);
    assert.equal(mine[0]!.attemptCount, 0);
    assert.equal(mine[0]!.lastError, 'filtered out by the endpoint\'s filter: body.data.callStatus is "CALLING", not in ["FAILED","NO_ANSWER"]');
  });

  test('a bad filter is refused with the operator or path named; test-filter evaluates a filter against a sample or an example', async () => {
    const { clientId } = ids();
    const receiver = await Receiver.start();
    const bad = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'], filter: { 'body.data.callStatus': { $inn: ['FAILED'] } } });
    assert.equal(bad.status, 400);
    assert.match(problems(bad.body)['body.filter.body.data.callStatus.$inn'] ?? '', /unknown operator "\$inn"/);
    const badRoot = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'], filter: { payload: 1 } });
    assert.equal(badRoot.status, 400);
    assert.ok(Object.keys(problems(badRoot.body)).some((p) => p.startsWith('body.filter.payload')), JSON.stringify(badRoot.body));

    const endpointId = await h.createEndpoint({ clientId, url: receiver.url, filter: { eventType: { $startsWith: 'OUTBOUND_' }, 'body.errors.0.code': 'NETWORK_ERROR' } });
    const sample = { eventType: 'OUTBOUND_CALL_ERROR', body: { data: { callId: 'c1', clientId, callStatus: 'FAILED' }, errors: [{ code: 'NETWORK_ERROR', message: 'timed out' }] } };
    const matched = await h.api('POST', `/v1/endpoints/${endpointId}/test-filter`, { event: sample });
    assert.equal(matched.status, 200);
    assert.equal(matched.body.matched, true);
    const other = await h.api('POST', `/v1/endpoints/${endpointId}/test-filter`, { event: sample, filter: { 'body.data.callStatus': { $nin: ['FAILED'] } } });
    assert.deepEqual([other.body.matched, other.body.reasons], [false, ['body.data.callStatus is "FAILED", in ["FAILED"]']]);
    const example = await h.api('POST', `/v1/endpoints/${endpointId}/test-filter`, { eventType: 'INBOUND_CALL_COMPLETED' });
    assert.equal(example.body.matched, false);
    const neither = await h.api('POST', `/v1/endpoints/${endpointId}/test-filter`, {});
    assert.equal(neither.status, 400);
  });
});

describe('retry schedule per endpoint', () => {
  test('2 retries: failed after 3 attempts, at the delays given; no retries: one attempt; the default elsewhere', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start(() => ({ status: 503 }));
    const twoRetries = await h.createEndpoint({ clientId, url: receiver.url, retry: { delaysMs: [1000, 2000] } });
    const none = await h.createEndpoint({ clientId, url: receiver.url, retry: { delaysMs: [] } });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING' } });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2), 30_000);
    const of = (id: string) => log.find((d) => d.endpointId === id)!;
    assert.deepEqual([of(twoRetries).status, of(twoRetries).attemptCount], ['failed', 3]);
    assert.deepEqual([of(none).status, of(none).attemptCount], ['failed', 1]);
    const starts = of(twoRetries).attempts.map((a) => Date.parse(a.startedAt));
    assert.equal(starts.length, 3);
    assert.ok(starts[1]! - starts[0]! >= 1000 && starts[2]! - starts[1]! >= 2000, `delays as scheduled: ${starts[1]! - starts[0]!} ms, ${starts[2]! - starts[1]!} ms`);

    const tooMany = await h.api('PATCH', `/v1/endpoints/${none}`, { retry: { delaysMs: Array.from({ length: 10 }, () => 1000) } });
    assert.equal(tooMany.status, 400);
    assert.match(problems(tooMany.body)['body.retry.delaysMs'] ?? '', /at most 9 retries/);
    const tooLong = await h.api('PATCH', `/v1/endpoints/${none}`, { retry: { delaysMs: [86_400_000, 86_400_000, 86_400_000, 1000] } });
    assert.match(problems(tooLong.body)['body.retry.delaysMs'] ?? '', /3 days/);
    const tooShort = await h.api('PATCH', `/v1/endpoints/${none}`, { retry: { delaysMs: [500] } });
    assert.equal(tooShort.status, 400);
    const reset = await h.api('PATCH', `/v1/endpoints/${none}`, { retry: null });
    assert.equal(reset.body.retry, null);
  });
});
