import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { simpleParser, type AddressObject } from 'mailparser';
import type { CallEvent } from '../src/schemas/call-event';
import type { Endpoint } from '../src/schemas/endpoint';
import { storedEndpoint } from './helpers/endpoints';
import type { AttemptRequest } from '../src/destinations/destination';
import { emailDestination } from '../src/destinations/email';
import { renderCallText } from '../src/destinations/call-summary';
import { SmtpSink } from './helpers/smtp';

const FROM = 'callhook <alerts@callhook.test>';
const TO = 'ops@example.com';
const SUMMARY = { brand: 'Recho', timeZone: 'UTC' };

const event: CallEvent = {
  id: 'evt-email-1',
  eventType: 'OUTBOUND_CALL_ERROR',
  occurredAt: '2026-05-12T10:24:00Z',
  body: {
    data: { callId: 'abc-123', callStatus: 'CALLING', callSid: 'CA94b51...', clientId: 'client-1' },
    errors: [{ code: 'NETWORK_ERROR', message: 'Connection timed out', phase: 'CONNECTING' }],
  },
};

const endpoint: Endpoint = storedEndpoint({ id: 'ep-email-1', kind: 'email', url: null, email: TO });

function request(signal: AbortSignal = AbortSignal.timeout(5000)): AttemptRequest {
  return { event, endpoint, deliveryId: 'dlv-1', attemptNumber: 1, signal };
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The suite's SMTP sink (test/helpers/smtp.ts), stopped after the file. */
async function startSmtp(hooks: Parameters<typeof SmtpSink.start>[0] = {}): Promise<SmtpSink> {
  const smtp = await SmtpSink.start(hooks);
  cleanups.push(() => smtp.stop());
  return smtp;
}

function destinationFor(smtpUrl: string, timeoutMs?: number) {
  const destination = emailDestination({ smtpUrl, from: FROM, ...SUMMARY, ...(timeoutMs && { timeoutMs }) });
  cleanups.push(() => destination.close());
  return destination;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

const addressText = (address: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(address) ? address : address ? [address] : []).map((a) => a.text).join(', ');

describe('email destination', () => {
  test('sends the call summary: From, To, subject = title, text = summary', async () => {
    const smtp = await startSmtp();
    const destination = destinationFor(smtp.url);
    assert.equal(destination.kind, 'email');
    const result = await destination.attempt(request());
    assert.deepEqual(result, { outcome: 'succeeded', statusCode: null, responseExcerpt: '250 Message queued as test-1' });

    assert.equal(smtp.messages.length, 1);
    const [message] = smtp.messages;
    assert.ok(message);
    assert.equal(message.mailFrom, 'alerts@callhook.test');
    assert.deepEqual(message.rcptTo, [TO]);
    const parsed = await simpleParser(message.raw);
    const { title, text } = renderCallText(event, SUMMARY);
    assert.equal(addressText(parsed.from), '"callhook" <alerts@callhook.test>');
    assert.equal(addressText(parsed.to), TO);
    assert.equal(parsed.subject, '[Recho] Outbound call error');
    assert.equal(parsed.subject, title);
    assert.equal(parsed.text, `${text}\n`); // the parser keeps the line break that ends the MIME body
    assert.equal(parsed.headers.get('x-recho-event-id'), 'evt-email-1');

    // the pooled transport reuses its connection for the next message
    assert.equal((await destination.attempt(request())).outcome, 'succeeded');
    assert.equal(smtp.messages.length, 2);
  });

  test('a permanent rejection (550) is final, with the reply code', async () => {
    const smtp = await startSmtp({ onRcptTo: (_address, _session, callback) => callback(smtpError(550, 'No such user here')) });
    const result = await destinationFor(smtp.url).attempt(request());
    assert.equal(result.outcome, 'final');
    assert.equal(result.statusCode, 550);
    assert.match(result.error, /No such user/);
    assert.match(result.responseExcerpt ?? '', /^550 /);
  });

  test('a transient rejection (451) is retried, with the reply code', async () => {
    const smtp = await startSmtp({ onRcptTo: (_address, _session, callback) => callback(smtpError(451, 'Try again later')) });
    const result = await destinationFor(smtp.url).attempt(request());
    assert.equal(result.outcome, 'retryable');
    assert.equal(result.statusCode, 451);
  });

  test('a 554 for the message data is final', async () => {
    const smtp = await startSmtp({
      onData: (stream, _session, callback) => {
        stream.resume();
        stream.on('end', () => callback(smtpError(554, 'Message rejected')));
      },
    });
    const result = await destinationFor(smtp.url).attempt(request());
    assert.equal(result.outcome, 'final');
    assert.equal(result.statusCode, 554);
  });

  test('a closed port is retried, without a status code', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await destinationFor(`smtp://127.0.0.1:${port}`).attempt(request());
    assert.equal(result.outcome, 'retryable');
    assert.equal(result.statusCode, null);
  });

  test("the attempt's timeout aborts a stalled send: retried as timed out", async () => {
    const smtp = await startSmtp({ onData: (stream) => stream.resume() /* never answers */ });
    const started = Date.now();
    const result = await destinationFor(smtp.url).attempt(request(AbortSignal.timeout(300)));
    assert.equal(result.outcome, 'retryable');
    assert.ok(result.outcome === 'retryable' && result.error.startsWith('timed out'), JSON.stringify(result));
    assert.ok(Date.now() - started < 3000);
  });

  test('an endpoint without an email address is final', async () => {
    const result = await destinationFor('smtp://127.0.0.1:1').attempt({ ...request(), endpoint: { ...endpoint, email: null } });
    assert.equal(result.outcome, 'final');
  });
});
