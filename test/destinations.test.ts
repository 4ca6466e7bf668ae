/**
 * Every destination kind and signature scheme end to end: API → Temporal → worker → a real
 * receiver on loopback that checks what the seeds' samples check. A broken renderer or signer
 * fails here because the receiver rejects it, not because a mock was told so.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as AdaptiveCards from 'adaptivecards';
import type { AddressObject } from 'mailparser';
import type { DeliveryLogEntry } from '../src/db/deliveries-repo';
import { signRsa } from '../src/destinations/signing/rsa';
import { generateWebhookSecret } from '../src/destinations/signing/standard-webhooks';
import { Harness, ended } from './helpers/harness';
import {
  SeedReceiver,
  bearerSeedReceiver,
  outrivalSeedReceiver,
  recoverSeedReceiver,
  rsaSeedReceiver,
  slackReceiver,
  standardWebhooksReceiver,
  teamsReceiver,
} from './helpers/seed-receivers';
import { SmtpSink } from './helpers/smtp';

// The package's `main` is ES modules node cannot load; its UMD bundle is the same library (see teams-card.test.ts).
const AC: typeof AdaptiveCards = require('adaptivecards/dist/adaptivecards.js');

const BRAND = 'Acme Voice';
const TIME_ZONE = 'Asia/Tokyo';
const EMAIL_FROM = 'Acme Alerts <alerts@acme.test>';
/** Short, so a test can watch a rotated-out hmac secret stop signing. */
const HMAC_OVERLAP_MS = 6_000;
const RULE = '━━━━━━━━━━━━━━';
/** 01:24 UTC is 10:24 in Tokyo: the seeds' sample time. */
const OCCURRED_AT = '2026-05-12T01:24:00Z';
const SHOWN_TIME = '2026-05-12 10:24:00';
/** Non-ASCII in the payload: a signature over anything but the exact UTF-8 bytes sent fails. */
const NOTE = 'Grüße, 日本 ✓';

let h: Harness;
let smtp: SmtpSink;
const tmpDirs: string[] = [];
let n = 0;
/** Each test has its own client, so endpoints of one test never see another's events. */
const ids = () => {
  n++;
  return { clientId: `client-x${n}`, callId: `call-x${n}-${Date.now()}` };
};

before(async () => {
  smtp = await SmtpSink.start();
  h = await Harness.start({ brand: BRAND, timeZone: TIME_ZONE, smtpUrl: smtp.url, emailFrom: EMAIL_FROM, hmacSecretOverlapMs: HMAC_OVERLAP_MS });
});
after(async () => {
  await SeedReceiver.stopAll();
  await h?.stop();
  await smtp?.stop();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-dest-'));
  tmpDirs.push(dir);
  return dir;
}

interface EmitOptions {
  data?: Record<string, unknown>;
  errors?: { code: string; message: string; phase?: string }[];
}

/** Submits an event at the fixed OCCURRED_AT through the API; returns its id. */
async function emit(h: Harness, clientId: string, callId: string, eventType: string, extra: EmitOptions = {}): Promise<string> {
  const response = await h.api('POST', '/v1/events', {
    eventType,
    occurredAt: OCCURRED_AT,
    body: { data: { callId, clientId, ...extra.data }, ...(extra.errors && { errors: extra.errors }) },
  });
  assert.equal(response.status, 202, JSON.stringify(response.body));
  return response.body.id as string;
}

async function create(fields: Record<string, unknown>, harness = h): Promise<{ id: string; body: any }> {
  const response = await harness.api('POST', '/v1/endpoints', { events: ['*'], ...fields });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { id: response.body.id as string, body: response.body };
}

const byEndpoint = (log: DeliveryLogEntry[], id: string) => log.filter((d) => d.endpointId === id);
const summary = (log: DeliveryLogEntry[]) => log.map((d) => [d.eventType, d.status, d.attemptCount, d.lastStatusCode]);

const ERROR_EVENT: EmitOptions = {
  data: { callStatus: 'CALLING', callSid: 'CA94b51...', note: NOTE },
  errors: [{ code: 'NETWORK_ERROR', message: 'Connection timed out', phase: 'CONNECTING' }],
};

/** The seeds' Slack text for ERROR_EVENT, written out: brand and time zone from the harness configuration. */
function seedText(callId: string, clientId: string): string {
  return [
    `[${BRAND}] Outbound call error`,
    RULE,
    `callId: ${callId}`,
    'callStatus: CALLING',
    'callSid: CA94b51...',
    `clientId: ${clientId}`,
    RULE,
    'Errors:',
    '- [NETWORK_ERROR] Connection timed out (phase: CONNECTING)',
    RULE,
    `Time: ${SHOWN_TIME}`,
  ].join('\n');
}

async function fetchPublicKeyPem(): Promise<{ pem: string; keyId: string | null; contentType: string | null }> {
  const response = await fetch(`${h.baseUrl}/v1/signing-key`);
  assert.equal(response.status, 200);
  return { pem: await response.text(), keyId: response.headers.get('x-recho-key-id'), contentType: response.headers.get('content-type') };
}

/** What a receiver does with the seed's instructions: GET /v1/signing-key, saved as recho_public_key.pem. */
async function savePublicKey(dir: string): Promise<string> {
  const { pem } = await fetchPublicKeyPem();
  const file = path.join(dir, 'recho_public_key.pem');
  fs.writeFileSync(file, pem);
  return file;
}

/** POSTs straight to a receiver, bypassing callhook: proves what the receiver rejects. */
async function postDirect(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, text: await response.text() };
}

/** The checks every RSA receiver (the Node one and the seed's Python one) must pass and fail. */
async function assertRsaReceiverRejects(url: string): Promise<void> {
  const key = h.signingKeys.current();
  const body = JSON.stringify({ id: 'evt-direct', eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: 'c', clientId: 'x', note: NOTE }, errors: [] } });
  const now = Math.floor(Date.now() / 1000);
  const signed = (ts: number, b = body, pem = key.privateKeyPem) => ({ 'x-recho-timestamp': String(ts), 'x-recho-signature': signRsa(pem, ts, b) });
  assert.equal((await postDirect(url, body, signed(now))).status, 200, 'a correctly signed, fresh request is accepted');
  const tampered = await postDirect(url, body.replace('"c"', '"d"'), signed(now));
  assert.deepEqual([tampered.status, JSON.parse(tampered.text)], [401, { detail: 'invalid signature' }], 'a changed body');
  // The receiver's clock moves on while the test runs: each timestamp is taken just before its request,
  // and one ahead is 302 s ahead, so a second ticking over in between cannot bring it within 300 s.
  const stale = await postDirect(url, body, signed(Math.floor(Date.now() / 1000) - 301));
  assert.deepEqual([stale.status, JSON.parse(stale.text)], [401, { detail: 'stale timestamp' }], 'a timestamp 301 s old, validly signed');
  const future = await postDirect(url, body, signed(Math.floor(Date.now() / 1000) + 302));
  assert.equal(future.status, 401, 'a timestamp 302 s ahead');
  const unsigned = await postDirect(url, body, {});
  assert.deepEqual([unsigned.status, JSON.parse(unsigned.text)], [401, { detail: 'stale timestamp' }], 'no headers');
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forged = await postDirect(url, body, signed(now, body, otherKey));
  assert.deepEqual([forged.status, JSON.parse(forged.text)], [401, { detail: 'invalid signature' }], 'signed by another key');
  const shifted = await postDirect(url, body, { 'x-recho-timestamp': String(now - 1), 'x-recho-signature': signed(now)['x-recho-signature'] });
  assert.equal(shifted.status, 401, 'the signature of another timestamp');
}

describe('Slack', () => {
  test('posts {"text"} in the seed format, brand and time zone from configuration, control characters escaped', async () => {
    const { clientId, callId } = ids();
    const slack = await slackReceiver();
    await create({ clientId, kind: 'slack', url: slack.url });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    await emit(h, clientId, callId, 'OUTBOUND_CALL_COMPLETED', {
      errors: [{ code: 'X', message: 'ping <!channel> & see <https://evil.example|here>' }],
    });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(summary(log), [
      ['OUTBOUND_CALL_ERROR', 'succeeded', 1, 200],
      ['OUTBOUND_CALL_COMPLETED', 'succeeded', 1, 200],
    ]);
    const [first, second] = slack.accepted;
    assert.equal(first!.rawBody, JSON.stringify({ text: seedText(callId, clientId) }));
    assert.equal(first!.headers['content-type'], 'application/json');
    assert.equal(
      (second!.json as { text: string }).text,
      [
        `[${BRAND}] Outbound call completed`,
        RULE,
        `callId: ${callId}`,
        `clientId: ${clientId}`,
        RULE,
        'Errors:',
        '- [X] ping &lt;!channel&gt; &amp; see &lt;https://evil.example|here&gt;',
        RULE,
        `Time: ${SHOWN_TIME}`,
      ].join('\n'),
    );
  });

  test('429 waits as long as Retry-After says; a 4xx (404 no_service) is final after one attempt', async () => {
    const { clientId, callId } = ids();
    const slack = await slackReceiver();
    const gone = await slackReceiver();
    const ok = await create({ clientId, kind: 'slack', url: slack.url });
    const dead = await create({ clientId, kind: 'slack', url: gone.url });
    slack.failNext({ status: 429, headers: { 'retry-after': '3' } });
    gone.failNext(404, 404);
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CALLING');
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(byEndpoint(log, dead.id).map((d) => [d.status, d.attemptCount, d.lastStatusCode]), [['failed', 1, 404]]);
    assert.equal(gone.verified.length, 1);
    const [delivery] = byEndpoint(log, ok.id);
    assert.deepEqual(delivery!.attempts.map((a) => [a.statusCode, a.outcome]), [
      [429, 'retryable'],
      [200, 'succeeded'],
    ]);
    // The backoff alone would retry after 1 s.
    const gap = slack.verified[1]!.at - slack.verified[0]!.at;
    assert.ok(gap >= 2_900, `retried after ${gap} ms`);
  });
});

describe('Microsoft Teams', () => {
  test('a message with one Adaptive Card (1.4) carrying the same facts as the Slack text', async () => {
    const { clientId, callId } = ids();
    const teams = await teamsReceiver();
    await create({ clientId, kind: 'teams', url: teams.url });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual([delivery!.status, delivery!.lastStatusCode], ['succeeded', 202]);
    const message = teams.accepted[0]!.json as { type: string; attachments: { contentType: string; contentUrl: null; content: any }[] };
    assert.equal(message.type, 'message');
    assert.equal(message.attachments.length, 1);
    const card = message.attachments[0]!.content;
    assert.equal(message.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.ok(Number(card.version) >= 1.4, `card version ${card.version}`);
    assert.deepEqual(card, {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: card.version,
      body: [
        { type: 'TextBlock', text: `[${BRAND}] Outbound call error`, weight: 'Bolder', size: 'Medium', wrap: true },
        {
          type: 'FactSet',
          facts: [
            { title: 'callId', value: callId },
            { title: 'callStatus', value: 'CALLING' },
            { title: 'callSid', value: 'CA94b51...' },
            { title: 'clientId', value: clientId },
          ],
        },
        { type: 'TextBlock', text: 'Errors', weight: 'Bolder', color: 'Attention', wrap: true },
        { type: 'TextBlock', text: '[NETWORK_ERROR] Connection timed out (phase: CONNECTING)', color: 'Attention', wrap: true, spacing: 'None' },
        { type: 'TextBlock', text: `Time: ${SHOWN_TIME}`, isSubtle: true, size: 'Small', wrap: true },
      ],
    });
    // The Adaptive Cards SDK parses it at 1.4 without a complaint.
    const parsed = new AC.AdaptiveCard();
    const context = new AC.SerializationContext(AC.Versions.v1_4);
    parsed.parse(card, context);
    const problems = [...Array(context.eventCount).keys()].map((i) => context.getEventAt(i).message);
    problems.push(...parsed.validateProperties().validationEvents.map((e) => e.message));
    assert.deepEqual(problems, []);
  });
});

describe('email', () => {
  const addressText = (address: AddressObject | AddressObject[] | undefined) =>
    (Array.isArray(address) ? address : address ? [address] : []).map((a) => a.text).join(', ');

  test('through SMTP: From from configuration, To the endpoint address, subject and text as the Slack text', async () => {
    const { clientId, callId } = ids();
    const to = `ops-${clientId}@example.com`;
    const created = await create({ clientId, kind: 'email', email: to });
    assert.deepEqual(created.body.auth, { type: 'none' });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual([delivery!.status, delivery!.attemptCount, delivery!.lastStatusCode], ['succeeded', 1, null]);
    assert.match(delivery!.attempts[0]!.responseExcerpt ?? '', /^250 /);
    const [mail] = await smtp.mailTo(to);
    assert.ok(mail, 'a message reached the SMTP server');
    assert.equal(mail.envelope.mailFrom, 'alerts@acme.test');
    assert.deepEqual(mail.envelope.rcptTo, [to]);
    assert.equal(addressText(mail.from), '"Acme Alerts" <alerts@acme.test>');
    assert.equal(addressText(mail.to), to);
    assert.equal(mail.subject, `[${BRAND}] Outbound call error`);
    assert.equal(mail.text, `${seedText(callId, clientId)}\n`); // the parser keeps the line break ending the MIME body
    assert.equal(mail.headers.get('x-recho-event-id'), delivery!.eventId);
  });

  test('SMTP 550: final after one attempt, with the reply code', async () => {
    const { clientId, callId } = ids();
    const to = `nobody-${clientId}@example.com`;
    smtp.reject(to, 550);
    await create({ clientId, kind: 'email', email: to });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CALLING');
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual([delivery!.status, delivery!.attemptCount, delivery!.lastStatusCode], ['failed', 1, 550]);
    assert.equal(delivery!.attempts[0]!.outcome, 'final');
    assert.match(delivery!.lastError ?? '', /No such user/);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(smtp.recipients.filter((r) => r.address === to).length, 1, 'not retried');
  });
});

describe('custom: Bearer (the seed Express receiver)', () => {
  test('the right token is accepted; a wrong one gets 401, final', async () => {
    const { clientId, callId } = ids();
    const receiver = await bearerSeedReceiver('seed-receiver-token');
    const good = await create({ clientId, kind: 'custom', url: receiver.url, auth: { type: 'bearer', token: 'seed-receiver-token' } });
    const wrong = await create({ clientId, kind: 'custom', url: receiver.url, auth: { type: 'bearer', token: 'not-the-token' } });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(byEndpoint(log, good.id).map((d) => [d.status, d.lastStatusCode]), [['succeeded', 200]]);
    assert.deepEqual(byEndpoint(log, wrong.id).map((d) => [d.status, d.attemptCount, d.lastStatusCode]), [['failed', 1, 401]]);
    assert.deepEqual(receiver.printed, ['[NETWORK_ERROR] Connection timed out']);
  });
});

describe('custom: RSA signature (the seed FastAPI receiver)', () => {
  test('GET /v1/signing-key gives the PEM and key id; GET /v1/signing-keys lists it', async () => {
    const { pem, keyId, contentType } = await fetchPublicKeyPem();
    assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    assert.match(contentType ?? '', /^application\/x-pem-file/);
    assert.equal(keyId, h.signingKeys.current().id);
    assert.equal(createPublicKey(pem).asymmetricKeyType, 'rsa');
    const list = await h.api('GET', '/v1/signing-keys');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { data: [{ id: keyId, publicKeyPem: pem, status: 'current', expiresAt: null }] });
  });

  test('a Node receiver performing the seed steps with the fetched key accepts the deliveries and rejects forgeries', async () => {
    const { clientId, callId } = ids();
    const publicKey = createPublicKey(fs.readFileSync(await savePublicKey(tempDir())));
    const receiver = await rsaSeedReceiver(() => publicKey);
    await assertRsaReceiverRejects(receiver.url);
    const before = receiver.accepted.length;
    const endpoint = await create({ clientId, kind: 'custom', url: receiver.url, auth: { type: 'rsa' } });
    assert.deepEqual(endpoint.body.auth, { type: 'rsa' });
    const eventId = await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    const [delivery] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual([delivery!.status, delivery!.attemptCount, delivery!.lastStatusCode], ['succeeded', 1, 200]);
    assert.equal(delivery!.attempts[0]!.responseExcerpt, '{"ok":true}');
    const request = receiver.accepted[before]!;
    assert.equal(request.headers['x-recho-key-id'], h.signingKeys.current().id);
    assert.match(String(request.headers['x-recho-timestamp']), /^\d{10}$/);
    assert.equal((request.json as { id: string }).id, eventId);
    assert.equal((request.json as { body: { data: { note: string } } }).body.data.note, NOTE);
    assert.ok(receiver.printed.includes('[NETWORK_ERROR] Connection timed out'));
  });

  test("the seed's own FastAPI sample (python3 with fastapi, uvicorn, cryptography) accepts the deliveries", async (t) => {
    const python = findPython();
    if (!python) {
      t.skip('no python3 with fastapi, uvicorn and cryptography (Debian: apt-get install python3-fastapi python3-uvicorn python3-cryptography)');
      return;
    }
    const dir = tempDir();
    await savePublicKey(dir);
    fs.writeFileSync(path.join(dir, 'app.py'), FASTAPI_SAMPLE);
    const sample = await startFastApi(python, dir);
    t.after(() => sample.stop());
    await assertRsaReceiverRejects(sample.url);
    const { clientId, callId } = ids();
    await create({ clientId, kind: 'custom', url: sample.url, auth: { type: 'rsa' } });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CALLING', { data: { note: NOTE } });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(summary(log), [
      ['OUTBOUND_CALL_CALLING', 'succeeded', 1, 200],
      ['OUTBOUND_CALL_ERROR', 'succeeded', 1, 200],
    ]);
    assert.ok(log.every((d) => d.attempts[0]!.responseExcerpt === '{"ok":true}'));
    // Step 3 of the sample printed the error it detected in body.errors.
    await waitUntil(() => sample.output().includes('[NETWORK_ERROR] Connection timed out'), () => sample.output());
  });

  test('key rotation: the new key signs with its id in x-recho-key-id; the old public key stays listed as retiring', async () => {
    const { clientId, callId } = ids();
    const old = await fetchPublicKeyPem();
    const pinnedToOld = await rsaSeedReceiver(() => createPublicKey(old.pem));
    // A receiver that picks the key by id from GET /v1/signing-keys.
    const byKeyId = await rsaSeedReceiver(async (keyId) => {
      const list = (await (await fetch(`${h.baseUrl}/v1/signing-keys`)).json()) as { data: { id: string; publicKeyPem: string }[] };
      const pem = list.data.find((k) => k.id === keyId)?.publicKeyPem;
      return pem === undefined ? undefined : createPublicKey(pem);
    });
    const rotated = await h.api('POST', '/v1/signing-keys/rotate');
    assert.equal(rotated.status, 201);
    assert.notEqual(rotated.body.id, old.keyId);
    const now = await fetchPublicKeyPem();
    assert.deepEqual([now.keyId, now.pem], [rotated.body.id, rotated.body.publicKeyPem]);
    const list = await h.api('GET', '/v1/signing-keys');
    assert.deepEqual(list.body.data.map((k: { id: string; status: string }) => [k.id, k.status]), [
      [rotated.body.id, 'current'],
      [old.keyId, 'retiring'],
    ]);
    const expiresAt = Date.parse(list.body.data[1].expiresAt);
    assert.ok(Math.abs(expiresAt - (Date.now() + 24 * 3_600_000)) < 60_000, list.body.data[1].expiresAt);

    const pinned = await create({ clientId, kind: 'custom', url: pinnedToOld.url, auth: { type: 'rsa' } });
    const fresh = await create({ clientId, kind: 'custom', url: byKeyId.url, auth: { type: 'rsa' } });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CALLING');
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(byEndpoint(log, fresh.id).map((d) => [d.status, d.lastStatusCode]), [['succeeded', 200]]);
    assert.equal(byKeyId.accepted[0]!.headers['x-recho-key-id'], rotated.body.id);
    // Signed by the new key, the delivery fails at a receiver that still holds only the old public key.
    assert.deepEqual(byEndpoint(log, pinned.id).map((d) => [d.status, d.attemptCount, d.lastStatusCode]), [['failed', 1, 401]]);
    assert.deepEqual(pinnedToOld.answers.map((a) => [a.status, a.body]), [[401, '{"detail":"invalid signature"}']]);
  });
});

describe('custom: Standard Webhooks (hmac)', () => {
  test('a generated whsec_ secret is shown once; deliveries verify with the standardwebhooks package; a wrong secret is rejected', async () => {
    const { clientId, callId } = ids();
    let secrets: string[] = [];
    const receiver = await standardWebhooksReceiver(() => secrets);
    const created = await create({ clientId, kind: 'custom', url: receiver.url, auth: { type: 'hmac' } });
    const secret = created.body.auth.secret as string;
    assert.deepEqual(Object.keys(created.body.auth).sort(), ['secret', 'type']);
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    secrets = [secret];
    const fetched = await h.api('GET', `/v1/endpoints/${created.id}`);
    assert.deepEqual(fetched.body.auth, { type: 'hmac', secretHint: `…${secret.slice(-4)}`, previousSecrets: [] });
    const list = await h.api('GET', `/v1/endpoints?clientId=${clientId}`);
    for (const text of [JSON.stringify(fetched.body), JSON.stringify(list.body)]) assert.ok(!text.includes(secret.slice(6, 30)));

    const wrong = await create({ clientId, kind: 'custom', url: receiver.url, auth: { type: 'hmac', secret: generateWebhookSecret() } });
    const eventId = await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(byEndpoint(log, created.id).map((d) => [d.status, d.lastStatusCode]), [['succeeded', 204]]);
    assert.deepEqual(byEndpoint(log, wrong.id).map((d) => [d.status, d.attemptCount, d.lastStatusCode]), [['failed', 1, 401]]);
    const request = receiver.accepted[0]!;
    assert.equal(request.headers['webhook-id'], eventId);
    assert.match(String(request.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual((request.json as { verifiedBy: string[] }).verifiedBy, [secret]);
  });

  test('rotate-secret: both secrets sign during the overlap (space-separated), then only the new one', async () => {
    const { clientId, callId } = ids();
    let secrets: string[] = [];
    const receiver = await standardWebhooksReceiver(() => secrets);
    const created = await create({ clientId, kind: 'custom', url: receiver.url, auth: { type: 'hmac' } });
    const oldSecret = created.body.auth.secret as string;
    const rotated = await h.api('POST', `/v1/endpoints/${created.id}/rotate-secret`);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const newSecret = rotated.body.secret as string;
    assert.match(newSecret, /^whsec_/);
    assert.notEqual(newSecret, oldSecret);
    const overlapEnds = Date.parse(rotated.body.previousSecretExpiresAt);
    assert.ok(Math.abs(overlapEnds - (Date.now() + HMAC_OVERLAP_MS)) < 2_000, rotated.body.previousSecretExpiresAt);
    assert.deepEqual(rotated.body.auth, {
      type: 'hmac',
      secretHint: `…${newSecret.slice(-4)}`,
      previousSecrets: [{ secretHint: `…${oldSecret.slice(-4)}`, expiresAt: rotated.body.previousSecretExpiresAt }],
    });
    assert.ok(!JSON.stringify((await h.api('GET', `/v1/endpoints/${created.id}`)).body).includes(newSecret));

    secrets = [oldSecret, newSecret];
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CALLING');
    await receiver.waitForAccepted(1);
    const during = receiver.accepted[0]!;
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    assert.deepEqual((during.json as { verifiedBy: string[] }).verifiedBy, [oldSecret, newSecret], 'either secret verifies');

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, overlapEnds - Date.now()) + 300));
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CONNECTED');
    await receiver.waitForAccepted(2);
    const afterwards = receiver.accepted[1]!;
    assert.equal(String(afterwards.headers['webhook-signature']).split(' ').length, 1);
    assert.deepEqual((afterwards.json as { verifiedBy: string[] }).verifiedBy, [newSecret], 'only the new secret verifies');
    assert.deepEqual((await h.api('GET', `/v1/endpoints/${created.id}`)).body.auth.previousSecrets, []);
  });

  test('rotate-secret with a given secret; bad input is a 400 that changes nothing; no secret to rotate is a 409', async () => {
    const { clientId } = ids();
    const created = await create({ clientId, kind: 'custom', url: 'http://127.0.0.1:1/hook', auth: { type: 'hmac' } });
    const hintBefore = (await h.api('GET', `/v1/endpoints/${created.id}`)).body.auth;
    for (const body of [{ secret: 'whsec_tooshort' }, { secret: 'not-whsec' }, { secret: created.body.auth.secret }, { colour: 'blue' }]) {
      const response = await h.api('POST', `/v1/endpoints/${created.id}/rotate-secret`, body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.code, 'invalid_request');
    }
    assert.deepEqual((await h.api('GET', `/v1/endpoints/${created.id}`)).body.auth, hintBefore);

    const chosen = generateWebhookSecret();
    const rotated = await h.api('POST', `/v1/endpoints/${created.id}/rotate-secret`, { secret: chosen });
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.secret, chosen);

    const bearer = await create({ clientId, kind: 'custom', url: 'http://127.0.0.1:1/hook', auth: { type: 'bearer', token: 'a-long-token' } });
    const conflict = await h.api('POST', `/v1/endpoints/${bearer.id}/rotate-secret`);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'no_secret_to_rotate');
    assert.match(conflict.body.error.message, /bearer/);
    const missing = await h.api('POST', `/v1/endpoints/ep_${'0'.repeat(32)}/rotate-secret`);
    assert.equal(missing.status, 404);

    // Switching a bearer endpoint to hmac needs a secret: a generated one could not be shown.
    const switched = await h.api('PATCH', `/v1/endpoints/${bearer.id}`, { auth: { type: 'hmac' } });
    assert.equal(switched.status, 400);
    assert.deepEqual(switched.body.error.details.map((d: { path: string }) => d.path), ['body.auth.secret']);
    assert.deepEqual((await h.api('GET', `/v1/endpoints/${bearer.id}`)).body.auth, { type: 'bearer', tokenHint: '…ken' }, 'a quarter of 12 characters');
    // {type: hmac} on an hmac endpoint keeps its secrets.
    const kept = await h.api('PATCH', `/v1/endpoints/${created.id}`, { auth: { type: 'hmac' } });
    assert.equal(kept.status, 200);
    assert.equal(kept.body.auth.secretHint, `…${chosen.slice(-4)}`);
  });
});

describe('custom: hex HMAC of the raw body (OutRival, Recover)', () => {
  test('x-signature by default (seed 004 receiver); a header of the endpoint\'s choosing (seed 003 receiver); a wrong secret is rejected', async () => {
    const { clientId, callId } = ids();
    const secret = 'outrival-shared-secret';
    const outrival = await outrivalSeedReceiver(() => secret);
    const recover = await recoverSeedReceiver(() => secret, 'x-recover-signature');
    const plain = await create({ clientId, kind: 'custom', url: outrival.url, auth: { type: 'hmac-hex', secret } });
    assert.deepEqual(plain.body.auth, { type: 'hmac-hex', header: 'x-signature', secret });
    const named = await create({
      clientId,
      kind: 'custom',
      url: recover.url,
      auth: { type: 'hmac-hex', secret, header: 'x-recover-signature' },
    });
    const wrong = await create({ clientId, kind: 'custom', url: outrival.url, auth: { type: 'hmac-hex', secret: 'some-other-secret-value' } });
    const fetched = await h.api('GET', `/v1/endpoints/${named.id}`);
    assert.deepEqual(fetched.body.auth, { type: 'hmac-hex', header: 'x-recover-signature', secretHint: '…cret' });
    await emit(h, clientId, callId, 'OUTBOUND_CALL_ERROR', ERROR_EVENT);
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 3));
    assert.deepEqual(byEndpoint(log, plain.id).map((d) => [d.status, d.lastStatusCode]), [['succeeded', 200]]);
    assert.deepEqual(byEndpoint(log, named.id).map((d) => [d.status, d.lastStatusCode]), [['succeeded', 200]]);
    assert.deepEqual(byEndpoint(log, wrong.id).map((d) => [d.status, d.attemptCount, d.lastStatusCode]), [['failed', 1, 403]]);
    assert.equal(recover.accepted[0]!.headers['x-signature'], undefined);
    assert.equal(outrival.accepted[0]!.headers['x-recover-signature'], undefined);
  });

  test('rotate-secret replaces an hmac-hex secret at once (one digest per header)', async () => {
    const { clientId, callId } = ids();
    let secret = 'first-secret-0123456789';
    const receiver = await outrivalSeedReceiver(() => secret);
    const created = await create({ clientId, kind: 'custom', url: receiver.url, auth: { type: 'hmac-hex', secret } });
    const rotated = await h.api('POST', `/v1/endpoints/${created.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.match(rotated.body.secret, /^[0-9a-f]{64}$/);
    assert.equal(rotated.body.previousSecretExpiresAt, null);
    // The receiver still holding the old secret rejects; once it holds the new one, it accepts.
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CALLING');
    const [rejected] = await h.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.deepEqual([rejected!.status, rejected!.lastStatusCode], ['failed', 403]);
    secret = rotated.body.secret as string;
    await emit(h, clientId, callId, 'OUTBOUND_CALL_CONNECTED');
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual([log[1]!.status, log[1]!.lastStatusCode], ['succeeded', 200]);
  });

  test('bad auth input is a 400 naming the field, and creates nothing', async () => {
    const { clientId } = ids();
    const url = 'http://127.0.0.1:1/hook';
    const cases: [unknown, string, string][] = [
      [{ type: 'hmac-hex', secret: 'short' }, 'custom', 'body.auth.secret'],
      [{ type: 'hmac-hex', secret: 'long-enough-secret', header: 'X-Signature' }, 'custom', 'body.auth.header'],
      [{ type: 'hmac-hex', secret: 'long-enough-secret', header: 'content-type' }, 'custom', 'body.auth.header'],
      [{ type: 'hmac-hex', secret: 'long-enough-secret', header: 'x signature' }, 'custom', 'body.auth.header'],
      [{ type: 'hmac', secret: 'whsec_c2hvcnQ=' }, 'custom', 'body.auth.secret'],
      [{ type: 'hmac', secret: 'secret-without-prefix-0123456789' }, 'custom', 'body.auth.secret'],
      [{ type: 'rsa', key: 'x' }, 'custom', 'body.auth'],
      [{ type: 'rsa' }, 'slack', 'body.auth'],
      [{ type: 'hmac' }, 'teams', 'body.auth'],
    ];
    for (const [auth, kind, expected] of cases) {
      const response = await h.api('POST', '/v1/endpoints', { clientId, kind, url, events: ['*'], auth });
      assert.equal(response.status, 400, `${JSON.stringify(auth)} → ${JSON.stringify(response.body)}`);
      const paths = response.body.error.details.map((d: { path: string }) => d.path);
      assert.ok(paths.includes(expected), `${JSON.stringify(auth)}: ${JSON.stringify(paths)}`);
      assert.ok(!JSON.stringify(response.body).includes('long-enough-secret'), 'the secret is not echoed');
    }
    assert.deepEqual((await h.api('GET', `/v1/endpoints?clientId=${clientId}`)).body.data, []);
  });
});

interface RetryCase {
  name: string;
  /** Creates the endpoint and its receiver; `failFirst` makes the receiver refuse the next attempt once. */
  setup(clientId: string): Promise<{ endpointId: string; failFirst(): void; received(): { what: string; status: number }[] | null }>;
  label(eventType: string): string;
  retryableStatus: number;
}

const title = (eventType: string) => `[${BRAND}] ${eventType === 'OUTBOUND_CALL_CALLING' ? 'Outbound call calling' : 'Outbound call completed'}`;
const http = (receiver: SeedReceiver, endpointId: string) => ({
  endpointId,
  failFirst: () => receiver.failNext(500),
  received: () => receiver.verified.map((v) => ({ what: v.what, status: v.status })),
});

const RETRY_CASES: RetryCase[] = [
  {
    name: 'custom, Bearer',
    async setup(clientId) {
      const r = await bearerSeedReceiver('retry-token-123');
      return http(r, (await create({ clientId, kind: 'custom', url: r.url, auth: { type: 'bearer', token: 'retry-token-123' } })).id);
    },
    label: (t) => t,
    retryableStatus: 500,
  },
  {
    name: 'custom, RSA',
    async setup(clientId) {
      const key = createPublicKey((await fetchPublicKeyPem()).pem);
      const r = await rsaSeedReceiver(() => key);
      return http(r, (await create({ clientId, kind: 'custom', url: r.url, auth: { type: 'rsa' } })).id);
    },
    label: (t) => t,
    retryableStatus: 500,
  },
  {
    name: 'custom, Standard Webhooks',
    async setup(clientId) {
      let secret = '';
      const r = await standardWebhooksReceiver(() => [secret]);
      const created = await create({ clientId, kind: 'custom', url: r.url, auth: { type: 'hmac' } });
      secret = created.body.auth.secret as string;
      return http(r, created.id);
    },
    label: (t) => t,
    retryableStatus: 500,
  },
  {
    name: 'custom, hex HMAC',
    async setup(clientId) {
      const r = await outrivalSeedReceiver(() => 'retry-hex-secret-456');
      return http(r, (await create({ clientId, kind: 'custom', url: r.url, auth: { type: 'hmac-hex', secret: 'retry-hex-secret-456' } })).id);
    },
    label: (t) => t,
    retryableStatus: 500,
  },
  {
    name: 'Slack',
    async setup(clientId) {
      const r = await slackReceiver();
      return http(r, (await create({ clientId, kind: 'slack', url: r.url })).id);
    },
    label: title,
    retryableStatus: 500,
  },
  {
    name: 'Teams',
    async setup(clientId) {
      const r = await teamsReceiver();
      return http(r, (await create({ clientId, kind: 'teams', url: r.url })).id);
    },
    label: title,
    retryableStatus: 500,
  },
  {
    name: 'email (SMTP 451, then accepted)',
    async setup(clientId) {
      const to = `retry-${clientId}@example.com`;
      return {
        endpointId: (await create({ clientId, kind: 'email', email: to })).id,
        failFirst: () => smtp.plan(to, 451),
        received: () => null,
      };
    },
    label: title,
    retryableStatus: 451,
  },
];

describe('retries and per-call FIFO hold for every kind', () => {
  for (const c of RETRY_CASES) {
    test(`${c.name}: the first attempt refused → retried; the next event waits for it`, async () => {
      const { clientId, callId } = ids();
      const lane = await c.setup(clientId);
      lane.failFirst();
      const first = await emit(h, clientId, callId, 'OUTBOUND_CALL_CALLING', { data: { note: NOTE } });
      const second = await emit(h, clientId, callId, 'OUTBOUND_CALL_COMPLETED', { data: { note: NOTE } });
      const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
      assert.deepEqual(
        log.map((d) => [d.eventId, d.status, d.attempts.map((a) => [a.statusCode === null ? null : a.statusCode >= 200 && a.statusCode < 300 ? '2xx' : a.statusCode, a.outcome])]),
        [
          [first, 'succeeded', [[c.retryableStatus, 'retryable'], [c.name.startsWith('email') ? null : '2xx', 'succeeded']]],
          [second, 'succeeded', [[c.name.startsWith('email') ? null : '2xx', 'succeeded']]],
        ],
      );
      // FIFO: the second event's only attempt started after the first event's success ended.
      const done = log[0]!.attempts[1]!;
      assert.ok(Date.parse(log[1]!.attempts[0]!.startedAt) >= Date.parse(done.startedAt) + done.durationMs - 5, JSON.stringify(log));
      const received = lane.received();
      if (received) {
        // Every attempt, the refused one included, passed the receiver's verification.
        assert.deepEqual(received, [
          { what: c.label('OUTBOUND_CALL_CALLING'), status: 500 },
          { what: c.label('OUTBOUND_CALL_CALLING'), status: received[1]!.status },
          { what: c.label('OUTBOUND_CALL_COMPLETED'), status: received[2]!.status },
        ]);
      } else {
        const subjects = (await smtp.mailTo(`retry-${clientId}@example.com`)).map((m) => m.subject);
        assert.deepEqual(subjects, [title('OUTBOUND_CALL_CALLING'), title('OUTBOUND_CALL_COMPLETED')]);
      }
    });
  }
});

describe('without SMTP_URL', () => {
  let plain: Harness;
  before(async () => {
    plain = await Harness.start();
  });
  after(async () => {
    await plain?.stop();
  });

  test('an email endpoint is created normally; its deliveries end with "no destination configured for kind email"', async () => {
    const { clientId, callId } = ids();
    const created = await create({ clientId, kind: 'email', email: 'ops@example.com' }, plain);
    assert.equal(created.body.kind, 'email');
    await emit(plain, clientId, callId, 'OUTBOUND_CALL_CALLING');
    const [delivery] = await plain.waitForDeliveries(callId, (l) => ended(l, 1));
    assert.equal(delivery!.status, 'failed');
    assert.match(delivery!.lastError ?? '', /no destination configured for kind email/);
  });
});

// ——— the seed's FastAPI sample, run as written ———

/** Seed 000 "Custom: Python (FastAPI)", verbatim but for the indentation the seed's text lost. */
const FASTAPI_SAMPLE = `# Python (FastAPI) + RSA signature verification
import base64
import time
from fastapi import FastAPI, HTTPException, Request
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

app = FastAPI()

with open("recho_public_key.pem", "rb") as f:
    public_key = serialization.load_pem_public_key(f.read())

@app.post("/webhook")
async def receive(request: Request):
    raw_body = await request.body()
    signature_b64 = request.headers.get("x-recho-signature", "")
    timestamp = request.headers.get("x-recho-timestamp", "")

    # 1. Validate timestamp (within 5 minutes)
    if not timestamp or abs(time.time() - int(timestamp)) > 300:
        raise HTTPException(401, "stale timestamp")

    # 2. Verify signature
    signed_payload = f"{timestamp}.{raw_body.decode()}".encode()
    try:
        public_key.verify(
            base64.b64decode(signature_b64),
            signed_payload,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except Exception:
        raise HTTPException(401, "invalid signature")

    payload = await request.json()
    body = payload["body"]

    # 3. Error detection
    if body.get("errors"):
        for err in body["errors"]:
            print(f"[{err['code']}] {err['message']}")

    return {"ok": True}
`;
import { freePort } from './helpers/local-services';

/** A python3 that imports the sample's modules: $PYTHON, python3 on PATH, or Debian's /usr/bin/python3. */
function findPython(): string | undefined {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((python) => spawnSync(python, ['-c', 'import fastapi, uvicorn, cryptography'], { stdio: 'ignore' }).status === 0);
}


async function waitUntil(done: () => boolean, explain: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting; ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `uvicorn app:app` in `dir` on a free loopback port; resolves once it answers. */
async function startFastApi(python: string, dir: string): Promise<{ url: string; output(): string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(python, ['-m', 'uvicorn', 'app:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], {
    cwd: dir,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  };
  const url = `http://127.0.0.1:${port}/webhook`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`the FastAPI sample exited: ${output}`);
    try {
      // The route takes POST only: a 405 to GET says the app is up.
      if ((await fetch(url)).status === 405) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the FastAPI sample did not start within 20 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, output: () => output, stop };
}
