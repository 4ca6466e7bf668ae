import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as AdaptiveCards from 'adaptivecards';
import type { CallEvent } from '../src/schemas/call-event';
import { renderTeamsMessage, type AdaptiveCard } from '../src/destinations/teams';

// The package's `main` (lib/) is ES modules with extensionless imports, which node cannot load;
// its UMD bundle is the same library and runs under node without a DOM for parsing and validation.
const AC: typeof AdaptiveCards = require('adaptivecards/dist/adaptivecards.js');

const opts = { brand: 'Recho', timeZone: 'UTC' };

function event(errors: CallEvent['body']['errors']): CallEvent {
  return {
    id: 'evt-1',
    eventType: 'OUTBOUND_CALL_ERROR',
    occurredAt: '2026-05-12T10:24:00Z',
    body: { data: { callId: 'abc-123', callStatus: 'CALLING', callSid: 'CA94b51...', clientId: 'client-1' }, errors },
  };
}

/** Parses the card with the Adaptive Cards SDK at version 1.4 and returns every parse and validation complaint. */
function cardProblems(card: AdaptiveCard): { problems: string[]; roundTrip: unknown } {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_4);
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(`parse: ${context.getEventAt(i).message}`);
  for (const e of parsed.validateProperties().validationEvents) problems.push(`validate: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  return { problems, roundTrip: parsed.toJSON() };
}

/** Object keys in a stable order, so a round trip compares by content, not key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  return value;
}

describe('Teams Adaptive Card', () => {
  test('the SDK finds nothing wrong, and every property survives its round trip (none unknown or invalid)', () => {
    for (const errors of [[{ code: 'NETWORK_ERROR', message: 'Connection timed out', phase: 'CONNECTING' }, { code: 'E', message: 'no phase' }], []]) {
      const card = renderTeamsMessage(event(errors), opts).attachments[0].content;
      const { problems, roundTrip } = cardProblems(card);
      assert.deepEqual(problems, []);
      assert.deepEqual(canonical(roundTrip), canonical(card));
    }
  });

  test('the check itself catches a bad card', () => {
    const bad = { ...renderTeamsMessage(event([]), opts).attachments[0].content, body: [{ type: 'TextBlock', text: 'x', color: 'red' }, { type: 'Bogus' }] };
    assert.equal(cardProblems(bad as unknown as AdaptiveCard).problems.length, 2);
  });

  test('the message envelope and the card content', () => {
    const message = renderTeamsMessage(event([{ code: 'NETWORK_ERROR', message: 'Connection timed out', phase: 'CONNECTING' }]), opts);
    assert.equal(message.type, 'message');
    assert.equal(message.attachments.length, 1);
    const [attachment] = message.attachments;
    assert.equal(attachment.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(attachment.contentUrl, null);
    const card = attachment.content;
    assert.equal(card.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.4');
    assert.deepEqual(card.body, [
      { type: 'TextBlock', text: '[Recho] Outbound call error', weight: 'Bolder', size: 'Medium', wrap: true },
      {
        type: 'FactSet',
        facts: [
          { title: 'callId', value: 'abc-123' },
          { title: 'callStatus', value: 'CALLING' },
          { title: 'callSid', value: 'CA94b51...' },
          { title: 'clientId', value: 'client-1' },
        ],
      },
      { type: 'TextBlock', text: 'Errors', weight: 'Bolder', color: 'Attention', wrap: true },
      { type: 'TextBlock', text: '[NETWORK_ERROR] Connection timed out (phase: CONNECTING)', color: 'Attention', wrap: true, spacing: 'None' },
      { type: 'TextBlock', text: 'Time: 2026-05-12 10:24:00', isSubtle: true, size: 'Small', wrap: true },
    ]);
  });

  test('no errors: no Errors blocks; no callSid: no fact', () => {
    const e = event([]);
    delete e.body.data.callSid;
    const card = renderTeamsMessage(e, opts).attachments[0].content;
    assert.deepEqual(card.body.map((b) => (b.type === 'TextBlock' ? b.text : b.facts.map((f) => f.title).join(','))), [
      '[Recho] Outbound call error',
      'callId,callStatus,clientId',
      'Time: 2026-05-12 10:24:00',
    ]);
  });
});
