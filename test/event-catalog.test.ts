/**
 * The event catalog: built-in types with generated schemas and examples; types an admin registers
 * without a redeploy, with a JSON Schema checked by a real validator; intake under each validation
 * mode; subscriptions, archiving and sending a type's example. Real API, Postgres, Temporal, receivers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { EventCatalog } from '../src/catalog/event-catalog';
import { logger } from '../src/observability/logger';
import { submitEventSchema } from '../src/schemas/call-event';
import { EVENT_TYPE_NAMES } from '../src/domain/event-types';
import { eventually } from './helpers/eventually';
import { Harness } from './helpers/harness';
import { Receiver, type ReceivedRequest } from './helpers/receiver';

const ADMIN = 'admin-key-for-the-catalog-test';

let h: Harness;
/** A second API process with keys required (its catalog cache is its own, as another process's is). */
let base: string;
let clientKey: string;

async function call(method: string, path: string, key: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  // any: whatever the route answers; each check reads the fields it expects.
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A type for booked appointments: `data.appointmentAt` required (an ISO date-time), `data.channel` one of two. */
const appointmentSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['callId', 'clientId', 'appointmentAt'],
      properties: {
        callId: { type: 'string' },
        clientId: { type: 'string' },
        appointmentAt: { type: 'string', format: 'date-time' },
        channel: { enum: ['phone', 'sms'] },
      },
    },
    errors: { type: 'array' },
  },
};
const appointmentExample = { data: { callId: 'call_1', clientId: 'client_1', appointmentAt: '2026-12-24T10:00:00Z', channel: 'phone' }, errors: [] };

const register = (name: string, validation: string, extra: object = {}) =>
  h.api('POST', '/v1/event-types', { name, description: `${name} for the test`, schema: appointmentSchema, example: appointmentExample, validation, ...extra });

const submit = (eventType: string, data: object, callId = `call-cat-${Math.random().toString(36).slice(2)}`) =>
  h.api('POST', '/v1/events', { eventType, body: { data: { callId, clientId: 'client-cat', ...data } } });

before(async () => {
  h = await Harness.start();
  ({ base } = await h.startApi({ auth: { mode: 'on', adminKeys: [ADMIN] } }));
  const created = await call('POST', '/v1/api-keys', ADMIN, { kind: 'client', clientId: 'client-cat', name: 'catalog test' });
  assert.equal(created.status, 201);
  clientKey = created.body.key;
});
after(async () => {
  await h?.stop();
});

describe('event catalog', () => {
  test('every built-in type is listed with a schema its example validates against, as intake sees it', async () => {
    const { status, body } = await h.api('GET', '/v1/event-types');
    assert.equal(status, 200);
    const builtin = body.data.filter((t: { builtin: boolean }) => t.builtin);
    assert.deepEqual(builtin.map((t: { name: string }) => t.name), EVENT_TYPE_NAMES);
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    for (const type of builtin) {
      assert.ok(type.description.length > 10, type.name);
      assert.ok(['outbound_call', 'inbound_call', 'callhook'].includes(type.group), type.name);
      const validate = ajv.compile(type.schema);
      assert.ok(validate(type.example), `${type.name}: ${JSON.stringify(validate.errors)}`);
      // The schema is generated from the zod schema intake uses: both take the example, both refuse a body without data.
      if (!type.system) assert.ok(submitEventSchema.shape.body.safeParse(type.example).success, type.name);
      assert.equal(validate({ errors: [] }), false, `${type.name} refuses a body without data`);
    }
    const one = await h.api('GET', '/v1/event-types/OUTBOUND_CALL_ERROR');
    assert.equal(one.status, 200);
    assert.equal(one.body.terminal, true);
    assert.equal((await h.api('GET', '/v1/event-types/NO_SUCH_TYPE')).status, 404);
    assert.equal((await h.api('GET', '/v1/event-types/lowercase')).status, 400);
  });

  test('an admin registers a type; an invalid schema or an example that fails it is a 400 with the path', async () => {
    const created = await register('APPOINTMENT_BOOKED', 'enforce');
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.group, 'custom');
    assert.equal(created.body.title, 'Appointment booked');
    assert.equal((await register('APPOINTMENT_BOOKED', 'warn')).status, 409);
    assert.equal((await register('OUTBOUND_CALL_ERROR', 'warn')).status, 409);

    const badSchema = await h.api('POST', '/v1/event-types', { name: 'BAD_SCHEMA', description: 'x', schema: { type: 'no-such-type' }, example: appointmentExample });
    assert.equal(badSchema.status, 400);
    assert.equal(badSchema.body.error.code, 'invalid_schema');
    assert.match(badSchema.body.error.message, /type/);
    const otherDialect = await h.api('POST', '/v1/event-types', { name: 'BAD_DIALECT', description: 'x', schema: { $schema: 'http://json-schema.org/draft-07/schema#' }, example: appointmentExample });
    assert.equal(otherDialect.body.error.code, 'invalid_schema');

    const badExample = await h.api('POST', '/v1/event-types', {
      name: 'BAD_EXAMPLE',
      description: 'x',
      schema: appointmentSchema,
      example: { data: { callId: 'c', clientId: 'k', appointmentAt: 'tomorrow', channel: 'fax' } },
    });
    assert.equal(badExample.status, 400);
    assert.equal(badExample.body.error.code, 'invalid_example');
    assert.deepEqual(badExample.body.error.details.map((d: { pointer: string }) => d.pointer).sort(), ['/example/data/appointmentAt', '/example/data/channel']);
    assert.deepEqual(badExample.body.error.details.map((d: { path: string }) => d.path).sort(), ['body.example.data.appointmentAt', 'body.example.data.channel']);
    const notAnEvent = await h.api('POST', '/v1/event-types', { name: 'NOT_AN_EVENT', description: 'x', schema: {}, example: { data: {} } });
    assert.equal(notAnEvent.body.error.code, 'invalid_example', 'an example must be an event body (data.callId, data.clientId)');
    assert.equal((await h.api('POST', '/v1/event-types', { name: 'bad name', description: 'x', schema: {}, example: appointmentExample })).status, 400);
    // Nothing of the refused ones was stored.
    const names = (await h.api('GET', '/v1/event-types')).body.data.map((t: { name: string }) => t.name);
    for (const name of ['BAD_SCHEMA', 'BAD_DIALECT', 'BAD_EXAMPLE', 'NOT_AN_EVENT']) assert.ok(!names.includes(name), name);

    // Client keys read the catalog but cannot change it.
    assert.equal((await call('GET', '/v1/event-types/APPOINTMENT_BOOKED', clientKey)).status, 200);
    assert.equal((await call('POST', '/v1/event-types', clientKey, { name: 'CLIENT_TYPE', description: 'x', schema: {}, example: appointmentExample })).status, 403);
    assert.equal((await call('PATCH', '/v1/event-types/APPOINTMENT_BOOKED', clientKey, { validation: 'off' })).status, 403);
    assert.equal((await call('DELETE', '/v1/event-types/APPOINTMENT_BOOKED', clientKey)).status, 403);
    assert.equal((await h.api('PATCH', '/v1/event-types/OUTBOUND_CALL_ERROR', { description: 'mine' })).body.error.code, 'builtin_event_type');
    assert.equal((await h.api('DELETE', '/v1/event-types/OUTBOUND_CALL_ERROR')).body.error.code, 'builtin_event_type');
  });

  test('intake: enforce refuses with each pointer and stores nothing; warn accepts and records; off accepts; unknown and system types are refused', async () => {
    await register('SURVEY_ENFORCED', 'enforce');
    await register('SURVEY_WARNED', 'warn');
    await register('SURVEY_UNCHECKED', 'off');

    const refused = await submit('SURVEY_ENFORCED', { appointmentAt: 'soon', channel: 'fax' }, 'call-cat-enforced');
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'schema_validation_failed');
    assert.deepEqual(refused.body.error.details.map((d: { pointer: string }) => d.pointer).sort(), ['/body/data/appointmentAt', '/body/data/channel']);
    const stored = await h.db.pool.query('SELECT 1 FROM events WHERE call_id = $1', ['call-cat-enforced']);
    assert.equal(stored.rows.length, 0, 'nothing stored');
    assert.equal((await submit('SURVEY_ENFORCED', { appointmentAt: '2026-12-24T10:00:00Z' })).status, 202);

    const warned = await submit('SURVEY_WARNED', { channel: 'fax' });
    assert.equal(warned.status, 202);
    assert.deepEqual(warned.body.validationErrors.map((e: { pointer: string }) => e.pointer).sort(), ['/data', '/data/channel']);
    const detail = await h.api('GET', `/v1/events/${warned.body.id}`);
    assert.deepEqual(detail.body.validationErrors, warned.body.validationErrors);

    const unchecked = await submit('SURVEY_UNCHECKED', { channel: 'fax' });
    assert.equal(unchecked.status, 202);
    assert.equal(unchecked.body.validationErrors, undefined);

    const unknown = await submit('NO_SUCH_TYPE', {});
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'unknown_event_type');
    assert.equal((await submit('WEBHOOK_TEST', {})).body.error.code, 'system_event_type');

    // A batch answers each on its own.
    const batch = await h.api('POST', '/v1/events/batch', {
      events: [
        { eventType: 'SURVEY_ENFORCED', body: { data: { callId: 'call-cat-b1', clientId: 'client-cat', appointmentAt: 'x' } } },
        { eventType: 'SURVEY_WARNED', body: { data: { callId: 'call-cat-b2', clientId: 'client-cat' } } },
        { eventType: 'NO_SUCH_TYPE', body: { data: { callId: 'call-cat-b3', clientId: 'client-cat' } } },
      ],
    });
    assert.equal(batch.status, 200);
    assert.deepEqual(batch.body.results.map((r: { status: string }) => r.status), ['refused', 'accepted', 'refused']);
    assert.equal(batch.body.results[0].error.code, 'schema_validation_failed');
    assert.deepEqual(batch.body.results[1].validationErrors.map((e: { pointer: string }) => e.pointer), ['/data']);
    assert.equal(batch.body.results[2].error.code, 'unknown_event_type');
  });

  test('endpoints subscribe to catalog types; a registered type reaches its subscribers and `*`, in order, with the warnings in the delivery log', async () => {
    await register('LEAD_QUALIFIED', 'warn');
    const byName = await Receiver.start();
    const everything = await Receiver.start();
    const clientId = 'client-sub';
    const named = await h.createEndpoint({ clientId, url: byName.url, events: ['LEAD_QUALIFIED', 'OUTBOUND_CALL_CALLING'] });
    await h.createEndpoint({ clientId, url: everything.url, events: ['*'] });
    const unknown = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: byName.url, events: ['OUTBOUND_CALL_CALLING', 'NOT_REGISTERED'] });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.error.details.map((d: { path: string }) => d.path), ['body.events.1']);

    const callId = `call-sub-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    const lead = await h.api('POST', '/v1/events', { eventType: 'LEAD_QUALIFIED', body: { data: { callId, clientId } } });
    assert.equal(lead.status, 202);
    await byName.waitFor(2);
    await everything.waitFor(2);
    const types = (r: Receiver) => r.requests.map((q: ReceivedRequest) => (q.json as { eventType: string }).eventType);
    assert.deepEqual(types(byName), ['OUTBOUND_CALL_CALLING', 'LEAD_QUALIFIED']);
    assert.deepEqual(types(everything), ['OUTBOUND_CALL_CALLING', 'LEAD_QUALIFIED']);
    const log = await h.api('GET', `/v1/endpoints/${named}/deliveries`);
    const entry = log.body.data.find((d: { eventType: string }) => d.eventType === 'LEAD_QUALIFIED');
    assert.deepEqual(entry.validationErrors.map((e: { pointer: string }) => e.pointer), ['/data']);
  });

  test('archiving: refused while endpoints subscribe unless forced; then its events and new subscriptions are refused, and clients no longer see it', async () => {
    await register('CAMPAIGN_DONE', 'off');
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId: 'client-cat', url: receiver.url, events: ['CAMPAIGN_DONE'] });
    const inUse = await h.api('DELETE', '/v1/event-types/CAMPAIGN_DONE');
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error.code, 'event_type_in_use');
    const archived = await h.api('DELETE', '/v1/event-types/CAMPAIGN_DONE?force=true');
    assert.equal(archived.status, 200);
    assert.equal(archived.body.status, 'archived');
    assert.equal((await submit('CAMPAIGN_DONE', {})).body.error.code, 'archived_event_type');
    const subscribe = await h.api('POST', '/v1/endpoints', { clientId: 'client-cat', kind: 'custom', url: receiver.url, events: ['CAMPAIGN_DONE'] });
    assert.equal(subscribe.status, 400);
    // The second API reads the catalog again within 5 s: admins see the archived type, clients do not.
    await eventually(
      async () => ((await call('GET', '/v1/event-types', ADMIN)).body.data.some((t: { name: string; status: string }) => t.name === 'CAMPAIGN_DONE' && t.status === 'archived') ? true : undefined),
      'the archived type, for an admin',
      7_000,
      200,
    );
    assert.equal((await call('GET', '/v1/event-types/CAMPAIGN_DONE', clientKey)).status, 404);
    assert.equal((await call('GET', '/v1/event-types/CAMPAIGN_DONE', ADMIN)).status, 200);
    assert.ok(!(await call('GET', '/v1/event-types', clientKey)).body.data.some((t: { name: string }) => t.name === 'CAMPAIGN_DONE'));
    // Deprecated stays deliverable.
    await register('OLD_SIGNAL', 'off', { status: 'deprecated' });
    assert.equal((await submit('OLD_SIGNAL', {})).status, 202);
  });

  test("send example: POST /v1/endpoints/:id/test { eventType } sends the type's example to that endpoint only, as a test", async () => {
    await register('DEMO_BOOKED', 'enforce');
    const receiver = await Receiver.start();
    const endpoint = await h.createEndpoint({ clientId: 'client-demo', url: receiver.url, events: ['OUTBOUND_CALL_CALLING'] });
    const sent = await h.api('POST', `/v1/endpoints/${endpoint}/test`, { eventType: 'DEMO_BOOKED' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.outcome, 'succeeded');
    await receiver.waitFor(1);
    const delivered = receiver.requests[0]!.json as { eventType: string; body: { data: Record<string, unknown> } };
    assert.equal(delivered.eventType, 'DEMO_BOOKED');
    assert.equal(delivered.body.data.appointmentAt, appointmentExample.data.appointmentAt);
    assert.equal(delivered.body.data.clientId, 'client-demo');
    assert.match(String(delivered.body.data.callId), /^webhook-test-/);
    assert.equal((await h.api('POST', `/v1/endpoints/${endpoint}/test`, { eventType: 'NO_SUCH_TYPE' })).status, 400);
    // Without a type: the WEBHOOK_TEST event, as before.
    assert.equal((await h.api('POST', `/v1/endpoints/${endpoint}/test`)).status, 200);
    await receiver.waitFor(2);
    assert.equal((receiver.requests[1]!.json as { eventType: string }).eventType, 'WEBHOOK_TEST');
  });

  test('a change made through one API process applies in another within its 5 s cache', async () => {
    const other = new EventCatalog(h.db.pool, { ttlMs: 5_000, allowUnknownTypes: false, logger });
    assert.equal(await other.get('LATE_TYPE'), undefined); // read now: cached without it
    assert.equal((await register('LATE_TYPE', 'off')).status, 201);
    const started = Date.now();
    await eventually(async () => ((await other.get('LATE_TYPE')) ? true : undefined), 'the other process sees the new type', 7_000, 100);
    assert.ok(Date.now() - started <= 5_500, `seen after ${Date.now() - started} ms`);
    // The second API (its own catalog) takes the type's events too.
    await eventually(async () => {
      const response = await call('POST', '/v1/events', ADMIN, { eventType: 'LATE_TYPE', body: { data: { callId: `call-late-${Date.now()}`, clientId: 'client-cat' } } });
      return response.status === 202 ? true : undefined;
    }, 'the second API accepts the new type', 7_000, 200);
  });
});
