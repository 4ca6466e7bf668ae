/**
 * The `traceparent` an event carries into the call workflow's messages: any door may send one (the outbox relay
 * from Postgres, a platform's Temporal client, an operator's signal), so the workflow's schema refuses a malformed
 * one with a message naming it, and the parser gives nothing for what the W3C spec makes invalid.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callEventsSignalSchema } from '../src/schemas/call-workflow-messages';
import { formatTraceparent, parseTraceparent } from '../src/schemas/traceparent';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('parses version 00 and gives back the same text; refuses all-zero ids, upper case, other versions and lengths', () => {
  const parsed = parseTraceparent(VALID);
  assert.deepEqual(parsed, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  assert.equal(formatTraceparent(parsed!), VALID);
  for (const bad of [
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    `${VALID}-extra`,
    '',
    null,
    undefined,
  ]) {
    assert.equal(parseTraceparent(bad), null, String(bad));
  }
});

test("a malformed traceparent in a planned delivery is refused by the workflow's own schema, naming the field", () => {
  const event = { id: 'evt-tp-1', eventType: 'OUTBOUND_CALL_CONNECTED', occurredAt: '2026-12-06T10:00:00.000Z', body: { data: { callId: 'call-tp', clientId: 'c' }, errors: [] } };
  const item = (traceparent: unknown) => ({
    deliveryId: 'dlv_abc',
    endpointId: 'ep_abc',
    eventId: 'evt-tp-1',
    eventType: 'OUTBOUND_CALL_CONNECTED',
    kind: 'custom',
    laneSeq: 1,
    traceparent,
  });
  assert.ok(callEventsSignalSchema.safeParse({ events: [{ event, planned: [item(VALID)] }] }).success);
  for (const bad of ['not-a-traceparent', 42, null]) {
    const parsed = callEventsSignalSchema.safeParse({ events: [{ event, planned: [item(bad)] }] });
    assert.ok(!parsed.success, `accepted ${JSON.stringify(bad)}`);
    assert.ok(parsed.error.issues.some((i) => i.path.join('.') === 'events.0.planned.0.traceparent'), JSON.stringify(parsed.error.issues));
  }
});
