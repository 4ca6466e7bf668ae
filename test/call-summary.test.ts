import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallEvent } from '../src/schemas/call-event';
import { callFacts, renderCallText } from '../src/destinations/call-summary';
import { renderSlackBody } from '../src/destinations/slack';

const UTC = { brand: 'Recho', timeZone: 'UTC' };

function seedEvent(overrides: Partial<CallEvent['body']['data']> = {}, errors: CallEvent['body']['errors'] = []): CallEvent {
  return {
    id: 'evt-1',
    eventType: 'OUTBOUND_CALL_ERROR',
    occurredAt: '2026-05-12T10:24:00Z',
    body: { data: { callId: 'abc-123', callStatus: 'CALLING', callSid: 'CA94b51...', clientId: 'client-1', ...overrides }, errors },
  };
}

const seedError = { code: 'NETWORK_ERROR', message: 'Connection timed out', phase: 'CONNECTING' };

describe('call summary text', () => {
  test("the seed's Slack example, exactly", () => {
    const { title, text } = renderCallText(seedEvent({}, [seedError]), UTC);
    assert.equal(title, '[Recho] Outbound call error');
    assert.equal(
      text,
      [
        '[Recho] Outbound call error',
        '━━━━━━━━━━━━━━',
        'callId: abc-123',
        'callStatus: CALLING',
        'callSid: CA94b51...',
        'clientId: client-1',
        '━━━━━━━━━━━━━━',
        'Errors:',
        '- [NETWORK_ERROR] Connection timed out (phase: CONNECTING)',
        '━━━━━━━━━━━━━━',
        'Time: 2026-05-12 10:24:00',
      ].join('\n'),
    );
  });

  test('the time is shown in the given time zone', () => {
    const { text } = renderCallText(seedEvent({}, [seedError]), { brand: 'Recho', timeZone: 'Asia/Tokyo' });
    assert.match(text, /\nTime: 2026-05-12 19:24:00$/);
  });

  test('midnight is 00, not 24, and an offset timestamp is read as its instant', () => {
    const event = { ...seedEvent(), occurredAt: '2026-05-12T09:00:00+09:00' };
    assert.match(renderCallText(event, UTC).text, /\nTime: 2026-05-12 00:00:00$/);
  });

  test('no errors: no Errors block and no rule for it', () => {
    const { text } = renderCallText({ ...seedEvent(), eventType: 'OUTBOUND_CALL_COMPLETED' }, UTC);
    assert.equal(
      text,
      [
        '[Recho] Outbound call completed',
        '━━━━━━━━━━━━━━',
        'callId: abc-123',
        'callStatus: CALLING',
        'callSid: CA94b51...',
        'clientId: client-1',
        '━━━━━━━━━━━━━━',
        'Time: 2026-05-12 10:24:00',
      ].join('\n'),
    );
  });

  test('no callSid (nor callStatus): no line; an error without phase has no (phase: …)', () => {
    const { text } = renderCallText(
      seedEvent({ callSid: undefined, callStatus: undefined }, [{ code: 'E', message: 'boom' }]),
      UTC,
    );
    assert.equal(
      text,
      [
        '[Recho] Outbound call error',
        '━━━━━━━━━━━━━━',
        'callId: abc-123',
        'clientId: client-1',
        '━━━━━━━━━━━━━━',
        'Errors:',
        '- [E] boom',
        '━━━━━━━━━━━━━━',
        'Time: 2026-05-12 10:24:00',
      ].join('\n'),
    );
  });

  test('a type outside the catalog is humanised', () => {
    const event = { ...seedEvent(), eventType: 'WEBHOOK_TEST' };
    assert.equal(renderCallText(event, UTC).title, '[Recho] Webhook test');
  });

  test('the facts list Teams reuses', () => {
    assert.deepEqual(callFacts(seedEvent({ callSid: undefined })), [
      { name: 'callId', value: 'abc-123' },
      { name: 'callStatus', value: 'CALLING' },
      { name: 'clientId', value: 'client-1' },
    ]);
  });

  test("Slack's body is {text} with &, <, > escaped so an error message cannot ping <!channel>", () => {
    const body = JSON.parse(renderSlackBody(seedEvent({}, [{ code: 'X', message: '<!channel> a & b' }]), UTC)) as { text: string };
    assert.deepEqual(Object.keys(body), ['text']);
    assert.match(body.text, /^\[Recho\] Outbound call error\n/);
    assert.match(body.text, /\n- \[X\] &lt;!channel&gt; a &amp; b\n/);
  });
});
