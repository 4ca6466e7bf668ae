/**
 * callhook/http (src/packages/http): the checked-in types are what `npm run generate:http-client` would write from
 * the OpenAPI document now (a route or schema changed without regenerating fails here); and the typed client works
 * against the real API (a Harness: API, worker, Temporal dev server, Postgres) with keys required: it registers an
 * hmac endpoint, emits an event, reads the call's delivery log, and the delivery verifies with callhook/verify.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { generateHttpClientSchema, HTTP_CLIENT_SCHEMA_FILE } from '../scripts/generate-http-client';
import { createCallhookClient, type CallhookClient, type CallhookSchemas } from '../src/packages/http';
import { verifyStandardWebhook } from '../src/packages/verify';
import { Harness } from './helpers/harness';
import { Receiver } from './helpers/receiver';

const ADMIN = randomBytes(24).toString('hex');

test('src/packages/http/schema.ts is what npm run generate:http-client writes from the OpenAPI document now', async () => {
  const generated = await generateHttpClientSchema();
  const checkedIn = fs.readFileSync(HTTP_CLIENT_SCHEMA_FILE, 'utf8');
  if (checkedIn !== generated) {
    const a = checkedIn.split('\n');
    const b = generated.split('\n');
    const line = a.findIndex((text, i) => text !== b[i]);
    assert.fail(
      `src/packages/http/schema.ts is out of date: the API changed and nobody regenerated it. Run npm run generate:http-client.\n` +
        `first difference at line ${line + 1}:\n  checked in: ${a[line] ?? '(end of file)'}\n  generated:  ${b[line] ?? '(end of file)'}`,
    );
  }
});

let h: Harness;
let base: string;
before(async () => {
  h = await Harness.start();
  ({ base } = await h.startApi({ auth: { mode: 'on', adminKeys: [ADMIN] } }));
});
after(async () => {
  await h?.stop();
});

/** Polls the call's delivery log through the typed client until every delivery has ended. */
async function endedDeliveries(client: CallhookClient, callId: string, count: number): Promise<CallhookSchemas['DeliveryLogEntry'][]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { data, error } = await client.GET('/v1/calls/{callId}/deliveries', { params: { path: { callId }, query: { limit: 100 } } });
    if (error) assert.fail(`delivery log: ${JSON.stringify(error)}`);
    if (data.data.length === count && data.data.every((d) => d.status !== 'pending')) return data.data;
    if (Date.now() > deadline) assert.fail(`deliveries did not end: ${JSON.stringify(data.data)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('the typed client against the real API: an endpoint, an event, the delivery log; the delivery verifies', async () => {
  const callhook = createCallhookClient({ baseUrl: base, apiKey: ADMIN });
  const receiver = await Receiver.start();
  const clientId = 'client-typed';
  const callId = `call-typed-${Date.now()}`;

  const created = await callhook.POST('/v1/endpoints', {
    body: { clientId, kind: 'custom', url: receiver.url, events: ['*'], auth: { type: 'hmac' } },
  });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.ok(created.data);
  const endpoint = created.data;
  assert.match(endpoint.id, /^ep_/);
  assert.equal(endpoint.auth.type, 'hmac');
  const secret = endpoint.auth.type === 'hmac' ? endpoint.auth.secret : assert.fail('an hmac endpoint reveals its secret');

  const emitted = await callhook.POST('/v1/events', {
    body: { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId, clientId, callStatus: 'COMPLETED' } } },
  });
  assert.equal(emitted.response.status, 202, JSON.stringify(emitted.error));
  assert.equal(emitted.data?.callId, callId);
  const eventId = emitted.data.id;

  const log = await endedDeliveries(callhook, callId, 1);
  assert.deepEqual(
    log.map((d) => [d.eventId, d.endpointId, d.status, d.attemptCount]),
    [[eventId, endpoint.id, 'succeeded', 1]],
  );

  await receiver.waitFor(1);
  const delivery = receiver.requests[0]!;
  const verified = verifyStandardWebhook({ body: delivery.rawBody, headers: delivery.headers, secret });
  assert.deepEqual(verified, { ok: true, eventId, timestamp: verified.ok ? verified.timestamp : NaN });

  // The event itself, by its id (a path parameter of another route).
  const event = await callhook.GET('/v1/events/{id}', { params: { path: { id: eventId } } });
  assert.equal(event.data?.id, eventId);
});

test('errors come back typed as the API error envelope; the key is what opens the API', async () => {
  const anonymous = createCallhookClient({ baseUrl: base });
  const refused = await anonymous.GET('/v1/endpoints', { params: { query: { clientId: 'client-typed' } } });
  assert.equal(refused.response.status, 401);
  assert.equal(refused.data, undefined);
  assert.equal(refused.error?.error.code, 'unauthorized');

  const callhook = createCallhookClient({ baseUrl: base, apiKey: ADMIN, headers: { 'x-request-id': 'typed-client' } });
  const invalid = await callhook.POST('/v1/events', {
    // A call id the API refuses (the type allows any string): a 400 naming the field.
    body: { eventType: 'OUTBOUND_CALL_COMPLETED', body: { data: { callId: 'no spaces allowed', clientId: 'client-typed' } } },
  });
  assert.equal(invalid.response.status, 400);
  assert.equal(invalid.error?.error.code, 'invalid_request');
  assert.ok(invalid.error.error.details?.some((issue) => issue.path === 'body.body.data.callId'), JSON.stringify(invalid.error));

  assert.throws(() => createCallhookClient({ baseUrl: '' }), TypeError);
  assert.throws(() => createCallhookClient({ baseUrl: base, apiKey: '' }), TypeError);
});

// Compile-time only (npx tsc --noEmit type-checks the tests): the client refuses what the API would.
export function typeErrors(callhook: CallhookClient): void {
  // @ts-expect-error: no such route
  void callhook.GET('/v1/no-such-route');
  // @ts-expect-error: kind is one of custom, slack, teams, email
  void callhook.POST('/v1/endpoints', { body: { clientId: 'c', kind: 'fax', events: ['*'] } });
  // @ts-expect-error: the path parameter is required
  void callhook.GET('/v1/calls/{callId}/deliveries', {});
}
