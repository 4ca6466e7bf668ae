/**
 * callhook/verify (src/verify): deliveries signed by callhook's own signing code (authHeaders over
 * renderCustomBody, with real key rings and rotated secrets) verify; tampered, stale, incomplete
 * ones do not, with plain reasons. Cross-checked with the standardwebhooks package both ways, and
 * against the seeds' receivers (test/helpers/seed-receivers.ts) request by request.
 */
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { authHeaders, renderCustomBody } from '../src/destinations/custom';
import { HMAC_HEX_HEADER } from '../src/destinations/signing/hmac-hex';
import { RSA_HEADERS, signRsa } from '../src/destinations/signing/rsa';
import { loadOrCreateSigningKeys, type SigningKey } from '../src/destinations/signing/signing-keys';
import { generateWebhookSecret, STANDARD_WEBHOOK_HEADERS } from '../src/destinations/signing/standard-webhooks';
import { resolveAuth, rotateSecret } from '../src/domain/endpoint-auth';
import type { CallEvent } from '../src/schemas/call-event';
import type { EndpointAuth, EndpointAuthInput } from '../src/schemas/endpoint';
import {
  assertVerified,
  DEFAULT_HEX_HMAC_HEADER,
  RSA_HEADER_NAMES,
  STANDARD_WEBHOOK_HEADER_NAMES,
  verifyHexHmac,
  verifyRsa,
  verifyStandardWebhook,
  WebhookVerificationError,
  type WebhookHeaders,
} from '../src/verify';
import { outrivalSeedReceiver, recoverSeedReceiver, rsaSeedReceiver, SeedReceiver, standardWebhooksReceiver } from './helpers/seed-receivers';

const EVENT: CallEvent = {
  id: 'evt_verify_1',
  eventType: 'OUTBOUND_CALL_ERROR',
  occurredAt: '2026-05-12T10:24:00.000Z',
  body: {
    data: { callId: 'abc-123', clientId: 'client-1', callStatus: 'CALLING', note: 'ü 日本 — "quoted" 🎧' },
    errors: [{ code: 'NETWORK_ERROR', message: 'Connection timed out', phase: 'CONNECTING' }],
  },
};
const BODY = renderCustomBody(EVENT);
/** 1778581440 in Unix seconds, and 0.4 s. */
const NOW = new Date('2026-05-12T10:24:00.400Z');
const TS = 1778581440;
const at = (seconds: number) => new Date(TS * 1000 + seconds * 1000);

const tmpDirs: string[] = [];
after(async () => {
  await SeedReceiver.stopAll();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

// A generated key ring, rotated once: `oldKey` is retiring, `newKey` current, both published.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-verify-'));
tmpDirs.push(dataDir);
const ring = loadOrCreateSigningKeys({ dataDir, overlapMs: 24 * 3600_000 });
const oldKey = ring.current();
const newKey = ring.rotate(NOW);
/** What a receiver builds from GET /v1/signing-keys. */
const published = Object.fromEntries(ring.publicKeys(NOW).map((k) => [k.id, k.publicKeyPem]));

function resolved(input: EndpointAuthInput): EndpointAuth {
  const r = resolveAuth(input, NOW);
  assert.ok(r.ok);
  return r.auth;
}

/** The headers callhook sends for `auth`, over `body`, at `now`. */
function signed(auth: EndpointAuth, opts: { body?: string; now?: Date; key?: SigningKey } = {}): Record<string, string> {
  const key = opts.key ?? newKey;
  return authHeaders(auth, EVENT, opts.body ?? BODY, opts.now ?? NOW, { current: () => key });
}

const without = (headers: Record<string, string>, name: string) => Object.fromEntries(Object.entries(headers).filter(([k]) => k !== name));
/** The base64 signature with one character changed (still base64). */
const flip = (b64: string, index = 10) => b64.slice(0, index) + (b64[index] === 'A' ? 'B' : 'A') + b64.slice(index + 1);
const TAMPERED = BODY.replace('abc-123', 'abc-124');

test('the header names are those callhook signs with (src/verify keeps its own copy, to stand alone)', () => {
  assert.deepEqual(RSA_HEADER_NAMES, RSA_HEADERS);
  assert.deepEqual(STANDARD_WEBHOOK_HEADER_NAMES, STANDARD_WEBHOOK_HEADERS);
  assert.equal(DEFAULT_HEX_HMAC_HEADER, HMAC_HEX_HEADER);
});

describe('verifyRsa', () => {
  const rsa = resolved({ type: 'rsa' });
  const headers = signed(rsa);

  test("a delivery verifies with the current public key (GET /v1/signing-key's PEM)", () => {
    assert.deepEqual(verifyRsa({ body: BODY, headers, publicKeys: newKey.publicKeyPem, now: NOW }), { ok: true, timestamp: TS, keyId: newKey.id });
    assert.equal(headers['x-recho-key-id'], newKey.id);
  });

  test('with a key map, x-recho-key-id picks the key: deliveries by the retiring key still verify; an unknown id is refused', () => {
    assert.deepEqual(Object.keys(published).sort(), [oldKey.id, newKey.id].sort());
    const byOld = signed(rsa, { key: oldKey });
    assert.deepEqual(verifyRsa({ body: BODY, headers: byOld, publicKeys: published, now: NOW }), { ok: true, timestamp: TS, keyId: oldKey.id });
    assert.deepEqual(verifyRsa({ body: BODY, headers, publicKeys: published, now: NOW }), { ok: true, timestamp: TS, keyId: newKey.id });
    // A receiver that only fetched the old key, then the key rotated:
    assert.deepEqual(verifyRsa({ body: BODY, headers, publicKeys: { [oldKey.id]: oldKey.publicKeyPem }, now: NOW }), {
      ok: false,
      reason: `unknown key id ${newKey.id}`,
    });
    assert.deepEqual(verifyRsa({ body: BODY, headers: { ...headers, 'x-recho-key-id': 'k2' }, publicKeys: published, now: NOW }), {
      ok: false,
      reason: 'unknown key id k2',
    });
    // The key id names the wrong (but known) key: the signature does not match it.
    assert.deepEqual(verifyRsa({ body: BODY, headers: { ...headers, 'x-recho-key-id': oldKey.id }, publicKeys: published, now: NOW }), {
      ok: false,
      reason: 'signature does not match',
    });
    // Without a key id every key is tried (the id is a hint, not signed).
    assert.deepEqual(verifyRsa({ body: BODY, headers: without(byOld, 'x-recho-key-id'), publicKeys: published, now: NOW }), {
      ok: true,
      timestamp: TS,
      keyId: oldKey.id,
    });
  });

  test('with a single PEM the key id is not needed, as in the FastAPI sample; another key does not verify', () => {
    assert.deepEqual(verifyRsa({ body: BODY, headers: without(headers, 'x-recho-key-id'), publicKeys: newKey.publicKeyPem, now: NOW }), { ok: true, timestamp: TS });
    assert.deepEqual(verifyRsa({ body: BODY, headers, publicKeys: oldKey.publicKeyPem, now: NOW }), { ok: false, reason: 'signature does not match' });
    // KeyObjects, a private key's PEM (its public half) and a PEM with literal \n are taken too.
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const h = { 'x-recho-timestamp': String(TS), 'x-recho-signature': signRsa(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), TS, BODY) };
    assert.equal(verifyRsa({ body: BODY, headers: h, publicKeys: pair.publicKey, now: NOW }).ok, true);
    assert.equal(verifyRsa({ body: BODY, headers: h, publicKeys: pair.privateKey, now: NOW }).ok, true);
    const escaped = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString().replace(/\n/g, '\\n');
    assert.equal(verifyRsa({ body: BODY, headers: h, publicKeys: escaped, now: NOW }).ok, true);
  });

  test('a tampered body, signature or timestamp does not verify', () => {
    const check = (body: string, h: Record<string, string>) => verifyRsa({ body, headers: h, publicKeys: published, now: NOW });
    assert.deepEqual(check(TAMPERED, headers), { ok: false, reason: 'signature does not match' });
    assert.deepEqual(check(`${BODY} `, headers), { ok: false, reason: 'signature does not match' });
    assert.deepEqual(check(BODY, { ...headers, 'x-recho-signature': flip(headers['x-recho-signature']!) }), { ok: false, reason: 'signature does not match' });
    assert.deepEqual(check(BODY, { ...headers, 'x-recho-timestamp': String(TS + 1) }), { ok: false, reason: 'signature does not match' });
    assert.deepEqual(check(BODY, { ...headers, 'x-recho-signature': 'bm90IGEgc2lnbmF0dXJl' }), { ok: false, reason: 'signature does not match' });
    assert.deepEqual(check(BODY, { ...headers, 'x-recho-signature': 'not base64!' }), { ok: false, reason: 'header x-recho-signature is not base64' });
  });

  test('the timestamp must be within 300 s either way (fractional now, as time.time()); toleranceSeconds changes it', () => {
    const check = (now: Date, toleranceSeconds?: number) =>
      verifyRsa({ body: BODY, headers, publicKeys: published, now, ...(toleranceSeconds !== undefined && { toleranceSeconds }) });
    assert.equal(check(at(300)).ok, true);
    assert.equal(check(at(-300)).ok, true);
    assert.deepEqual(check(at(300.001)), { ok: false, reason: `timestamp ${TS} is 301 s from now; at most 300 s allowed` });
    assert.deepEqual(check(at(612)), { ok: false, reason: `timestamp ${TS} is 612 s from now; at most 300 s allowed` });
    assert.deepEqual(check(at(-612)), { ok: false, reason: `timestamp ${TS} is 612 s from now; at most 300 s allowed` });
    assert.equal(check(at(612), 700).ok, true);
    assert.deepEqual(check(at(1), 0), { ok: false, reason: `timestamp ${TS} is 1 s from now; at most 0 s allowed` });
    // Without `now`, the clock: a delivery signed now verifies, one signed 10 minutes ago does not.
    assert.equal(verifyRsa({ body: BODY, headers: signed(rsa, { now: new Date() }), publicKeys: published }).ok, true);
    assert.equal(verifyRsa({ body: BODY, headers: signed(rsa, { now: new Date(Date.now() - 600_000) }), publicKeys: published }).ok, false);
  });

  test('missing headers are named', () => {
    const check = (h: Record<string, string>) => verifyRsa({ body: BODY, headers: h, publicKeys: published, now: NOW });
    assert.deepEqual(check(without(headers, 'x-recho-signature')), { ok: false, reason: 'missing header x-recho-signature' });
    assert.deepEqual(check(without(headers, 'x-recho-timestamp')), { ok: false, reason: 'missing header x-recho-timestamp' });
    assert.deepEqual(check({ ...headers, 'x-recho-timestamp': '' }), { ok: false, reason: 'missing header x-recho-timestamp' });
    assert.deepEqual(check({}), { ok: false, reason: 'missing header x-recho-timestamp' });
    assert.deepEqual(check({ ...headers, 'x-recho-timestamp': 'yesterday' }), { ok: false, reason: 'header x-recho-timestamp is not an integer: "yesterday"' });
  });

  test('headers: a Headers object, a record with other casing, array values; bodies: Buffer, Uint8Array, ArrayBuffer', () => {
    const ok = { ok: true, timestamp: TS, keyId: newKey.id };
    const check = (h: WebhookHeaders, body: string | Uint8Array | ArrayBuffer = BODY) => verifyRsa({ body, headers: h, publicKeys: published, now: NOW });
    assert.deepEqual(check(new Headers(headers)), ok);
    assert.deepEqual(check(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]))), ok);
    assert.deepEqual(check(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]))), ok);
    // A repeated header is its values joined with ", " (as Node and Headers.get give it): not one signature.
    assert.equal(check({ ...headers, 'x-recho-signature': [headers['x-recho-signature']!, headers['x-recho-signature']!] }).ok, false);
    const repeated = new Headers(headers);
    repeated.append('x-recho-timestamp', String(TS));
    assert.deepEqual(check(repeated), { ok: false, reason: `header x-recho-timestamp is not an integer: "${TS}, ${TS}"` });
    const bytes = Buffer.from(BODY, 'utf8');
    assert.deepEqual(check(headers, bytes), ok);
    assert.deepEqual(check(headers, new Uint8Array(bytes)), ok);
    const arrayBuffer = new ArrayBuffer(bytes.length);
    new Uint8Array(arrayBuffer).set(bytes);
    assert.deepEqual(check(headers, arrayBuffer), ok);
    // A view into a larger buffer (a pooled Buffer) is read at its offset.
    const pooled = Buffer.concat([Buffer.from('xxxx'), bytes, Buffer.from('yyyy')]).subarray(4, 4 + bytes.length);
    assert.deepEqual(check(headers, new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.byteLength)), ok);
  });

  test("what the FastAPI sample accepts: the timestamp as Python's int() reads it, signed as the header's text; UTF-8 bodies; padded base64", () => {
    const privateKeyPem = newKey.privateKeyPem;
    // The sample: signed_payload = f"{timestamp}.{raw_body.decode()}".encode()
    const sampleSigned = (timestamp: string, rawBody: Buffer) => sign('sha256', Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]), privateKeyPem).toString('base64');
    const raw = Buffer.from(BODY, 'utf8');
    const check = (timestamp: string, signature: string, body: Buffer = raw) =>
      verifyRsa({ body, headers: { 'x-recho-timestamp': timestamp, 'x-recho-signature': signature }, publicKeys: newKey.publicKeyPem, now: NOW });
    // callhook's own signature is the sample's message, byte for byte.
    assert.equal(signRsa(privateKeyPem, TS, BODY), sampleSigned(String(TS), raw));
    for (const timestamp of [`+${TS}`, `0${TS}`, '1_778_581_440', ` ${TS} `]) {
      assert.deepEqual(check(timestamp, sampleSigned(timestamp, raw)), { ok: true, timestamp: TS }, timestamp);
      // Signed as the header's text: the same number written otherwise does not verify.
      assert.equal(check(String(TS), sampleSigned(timestamp, raw)).ok, false);
    }
    for (const timestamp of [`${TS}.0`, '1__778581440', `${TS}s`, '0x6a02dc40', '-']) {
      assert.deepEqual(check(timestamp, sampleSigned(timestamp, raw)), { ok: false, reason: `header x-recho-timestamp is not an integer: ${JSON.stringify(timestamp)}` });
    }
    // raw_body.decode() raises on bytes that are not UTF-8: never accepted.
    const latin1 = Buffer.concat([raw, Buffer.from([0xe9])]);
    assert.deepEqual(check(String(TS), sampleSigned(String(TS), latin1), latin1), { ok: false, reason: 'body is not valid UTF-8' });
    // b64decode needs the padding ("Incorrect padding"); URL-safe characters are not its alphabet.
    const signature = sampleSigned(String(TS), raw);
    assert.match(signature, /==$/);
    assert.deepEqual(check(String(TS), signature.replace(/=+$/, '')), { ok: false, reason: 'header x-recho-signature is not base64' });
    if (/[+/]/.test(signature)) assert.equal(check(String(TS), signature.replace(/\+/g, '-').replace(/\//g, '_')).ok, false);
  });
});

describe('verifyStandardWebhook', () => {
  const secret = generateWebhookSecret();
  const hmac = resolved({ type: 'hmac', secret });
  const headers = signed(hmac);

  test('a delivery verifies; the result carries webhook-id (the event id) and the timestamp', () => {
    assert.deepEqual(verifyStandardWebhook({ body: BODY, headers, secret, now: NOW }), { ok: true, eventId: EVENT.id, timestamp: TS });
    assert.deepEqual(verifyStandardWebhook({ body: BODY, headers, secrets: [generateWebhookSecret(), secret], now: NOW }), {
      ok: true,
      eventId: EVENT.id,
      timestamp: TS,
    });
    assert.deepEqual(verifyStandardWebhook({ body: BODY, headers, secret: generateWebhookSecret(), now: NOW }), { ok: false, reason: 'signature does not match' });
  });

  test('during a secret rotation a delivery carries two signatures and either secret verifies', () => {
    const newSecret = generateWebhookSecret();
    const rotated = rotateSecret(hmac as Extract<EndpointAuth, { type: 'hmac' }>, newSecret, NOW, 24 * 3600_000).auth;
    const both = signed(rotated, { now: at(60) });
    assert.equal(both['webhook-signature']!.split(' ').length, 2);
    for (const s of [secret, newSecret]) {
      assert.deepEqual(verifyStandardWebhook({ body: BODY, headers: both, secret: s, now: at(60) }), { ok: true, eventId: EVENT.id, timestamp: TS + 60 });
    }
    assert.equal(verifyStandardWebhook({ body: BODY, headers: both, secrets: [newSecret, secret], now: at(60) }).ok, true);
    assert.equal(verifyStandardWebhook({ body: BODY, headers: both, secret: generateWebhookSecret(), now: at(60) }).ok, false);
    // The two signatures on two header lines (a proxy splitting them): an array, or Headers.append.
    const [first, second] = both['webhook-signature']!.split(' ');
    const split = { ...both, 'webhook-signature': [first!, second!] };
    const appended = new Headers(without(both, 'webhook-signature'));
    appended.append('webhook-signature', first!);
    appended.append('webhook-signature', second!);
    for (const h of [split, appended]) {
      for (const s of [secret, newSecret]) assert.equal(verifyStandardWebhook({ body: BODY, headers: h, secret: s, now: at(60) }).ok, true);
    }
    // After the overlap only the new secret signs.
    const later = signed(rotated, { now: at(24 * 3600 + 1) });
    assert.equal(later['webhook-signature']!.split(' ').length, 1);
    assert.equal(verifyStandardWebhook({ body: BODY, headers: later, secret: newSecret, now: at(24 * 3600 + 1) }).ok, true);
    assert.equal(verifyStandardWebhook({ body: BODY, headers: later, secret, now: at(24 * 3600 + 1) }).ok, false);
  });

  test('a tampered body, signature, id or timestamp does not verify', () => {
    const check = (body: string, h: Record<string, string>) => verifyStandardWebhook({ body, headers: h, secret, now: NOW });
    const mismatch = { ok: false, reason: 'signature does not match' };
    assert.deepEqual(check(TAMPERED, headers), mismatch);
    const sig = headers['webhook-signature']!;
    assert.deepEqual(check(BODY, { ...headers, 'webhook-signature': `v1,${flip(sig.slice(3))}` }), mismatch);
    assert.deepEqual(check(BODY, { ...headers, 'webhook-id': 'evt_other' }), mismatch);
    assert.deepEqual(check(BODY, { ...headers, 'webhook-timestamp': String(TS + 1) }), mismatch);
    assert.deepEqual(check(BODY, { ...headers, 'webhook-signature': sig.replace('v1,', 'v2,') }), { ok: false, reason: 'header webhook-signature has no v1 signature' });
    assert.deepEqual(check(BODY, { ...headers, 'webhook-signature': sig.replace('v1,', 'v1a,') }), { ok: false, reason: 'header webhook-signature has no v1 signature' });
  });

  test('the timestamp must be within 300 s either way (whole seconds, as the package)', () => {
    const check = (now: Date, toleranceSeconds?: number) =>
      verifyStandardWebhook({ body: BODY, headers, secret, now, ...(toleranceSeconds !== undefined && { toleranceSeconds }) });
    assert.equal(check(at(300.999)).ok, true);
    assert.equal(check(at(-300)).ok, true);
    assert.deepEqual(check(at(301)), { ok: false, reason: `timestamp ${TS} is 301 s from now; at most 300 s allowed` });
    assert.deepEqual(check(at(612)), { ok: false, reason: `timestamp ${TS} is 612 s from now; at most 300 s allowed` });
    assert.deepEqual(check(at(-612)), { ok: false, reason: `timestamp ${TS} is 612 s from now; at most 300 s allowed` });
    assert.equal(check(at(612), 612).ok, true);
    assert.deepEqual(verifyStandardWebhook({ body: BODY, headers: { ...headers, 'webhook-timestamp': `${TS}.5` }, secret, now: NOW }), {
      ok: false,
      reason: `header webhook-timestamp is not a Unix time in seconds: "${TS}.5"`,
    });
  });

  test('missing headers are named; Headers object, array values, Buffer body', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      assert.deepEqual(verifyStandardWebhook({ body: BODY, headers: without(headers, name), secret, now: NOW }), { ok: false, reason: `missing header ${name}` });
    }
    const ok = { ok: true, eventId: EVENT.id, timestamp: TS };
    assert.deepEqual(verifyStandardWebhook({ body: Buffer.from(BODY), headers: new Headers(headers), secret, now: NOW }), ok);
    assert.deepEqual(verifyStandardWebhook({ body: BODY, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])), secret, now: NOW }), ok);
    // Names in any case, as the package reads them; Node's IncomingHttpHeaders type is taken as is.
    const capitalized = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.replace(/(^|-)w/g, (m) => m.toUpperCase()), v]));
    assert.deepEqual(verifyStandardWebhook({ body: new Uint8Array(Buffer.from(BODY)), headers: capitalized, secret, now: NOW }), ok);
    const incoming: IncomingHttpHeaders = { ...headers, 'set-cookie': ['a=b'] };
    assert.deepEqual(verifyStandardWebhook({ body: BODY, headers: incoming, secret, now: NOW }), ok);
  });

  test('the standardwebhooks package verifies what callhook signs, and we verify what the package signs', () => {
    const now = new Date();
    const ours = signed(hmac, { now });
    assert.deepEqual(new Webhook(secret).verify(BODY, ours), JSON.parse(BODY));
    assert.equal(verifyStandardWebhook({ body: BODY, headers: ours, secret }).ok, true);

    const wh = new Webhook(secret);
    const theirs = { 'webhook-id': 'msg_2Lh9KRb0pzN4LePd3XiA4dZ6P3k', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign('msg_2Lh9KRb0pzN4LePd3XiA4dZ6P3k', now, BODY) };
    assert.deepEqual(verifyStandardWebhook({ body: BODY, headers: theirs, secret }), { ok: true, eventId: 'msg_2Lh9KRb0pzN4LePd3XiA4dZ6P3k', timestamp: Number(theirs['webhook-timestamp']) });
    assert.deepEqual(verifyStandardWebhook({ body: Buffer.from(BODY), headers: theirs, secret }).ok, true);
    // The spec's test vector (as the package and callhook's signing test use it).
    const vector = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' };
    assert.deepEqual(verifyStandardWebhook({ body: '{"test": 2432232314}', headers: vector, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', now: new Date(1614265330_000) }), {
      ok: true,
      eventId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
    });

    // Request by request, the package and verifyStandardWebhook agree.
    const nowS = Math.floor(Date.now() / 1000);
    const other = generateWebhookSecret();
    const bothSigned = signed(resolved({ type: 'hmac', secret: other }), { now });
    const cases: [string, string, Record<string, string>][] = [
      ['ours', BODY, ours],
      ['theirs', BODY, theirs],
      ['tampered body', TAMPERED, ours],
      ['other secret', BODY, bothSigned],
      ['two entries, one ours', BODY, { ...ours, 'webhook-signature': `${bothSigned['webhook-signature']} ${ours['webhook-signature']}` }],
      ['leading zero timestamp', BODY, { ...theirs, 'webhook-timestamp': `0${theirs['webhook-timestamp']}` }],
      ['stale', BODY, { ...theirs, 'webhook-timestamp': String(nowS - 400), 'webhook-signature': wh.sign(theirs['webhook-id'], new Date((nowS - 400) * 1000), BODY) }],
      ['future', BODY, { ...theirs, 'webhook-timestamp': String(nowS + 400), 'webhook-signature': wh.sign(theirs['webhook-id'], new Date((nowS + 400) * 1000), BODY) }],
      ['no id', BODY, without(ours, 'webhook-id')],
      ['no signature', BODY, without(ours, 'webhook-signature')],
      ['v2 only', BODY, { ...ours, 'webhook-signature': ours['webhook-signature']!.replace('v1,', 'v2,') }],
      ['empty', '', { ...theirs, 'webhook-signature': wh.sign(theirs['webhook-id'], now, '') }],
    ];
    for (const [name, body, h] of cases) {
      let packageOk: boolean;
      try {
        new Webhook(secret).verify(body, h, { jsonParse: false });
        packageOk = true;
      } catch {
        packageOk = false;
      }
      assert.equal(verifyStandardWebhook({ body, headers: h, secret }).ok, packageOk, name);
    }
  });
});

describe('verifyHexHmac', () => {
  const secret = randomBytes(32).toString('hex');
  const defaultAuth = resolved({ type: 'hmac-hex', secret });
  const recoverAuth = resolved({ type: 'hmac-hex', secret, header: 'x-recover-signature' });

  test('a delivery verifies, in the default x-signature or the endpoint-named header', () => {
    const headers = signed(defaultAuth);
    assert.deepEqual(Object.keys(headers), ['x-signature']);
    assert.deepEqual(verifyHexHmac({ body: BODY, headers, secret }), { ok: true });
    const recover = signed(recoverAuth);
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: recover, secret, header: 'x-recover-signature' }), { ok: true });
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: recover, secret, header: 'X-Recover-Signature' }), { ok: true });
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: recover, secret }), { ok: false, reason: 'missing header x-signature' });
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: { 'x-signature': 'ab' }, secret, header: 'X-Recover-Signature' }), {
      ok: false,
      reason: 'missing header x-recover-signature',
    });
  });

  test('tampered body or signature, another secret, an uppercase digest (the samples compare text) do not verify', () => {
    const headers = signed(defaultAuth);
    const mismatch = { ok: false, reason: 'signature does not match' };
    assert.deepEqual(verifyHexHmac({ body: TAMPERED, headers, secret }), mismatch);
    assert.deepEqual(verifyHexHmac({ body: BODY, headers, secret: `${secret}x` }), mismatch);
    const sig = headers['x-signature']!;
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: { 'x-signature': `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}` }, secret }), mismatch);
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: { 'x-signature': sig.slice(0, -2) }, secret }), mismatch);
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: { 'x-signature': sig.toUpperCase() }, secret }), mismatch);
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: { 'x-signature': `sha256=${sig}` }, secret }), mismatch);
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: { 'x-signature': [sig, sig] }, secret }), mismatch);
  });

  test('Headers object, array value, Buffer body; the key is the UTF-8 of the secret', () => {
    const headers = signed(defaultAuth);
    assert.deepEqual(verifyHexHmac({ body: Buffer.from(BODY), headers: new Headers(headers), secret }), { ok: true });
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: { 'x-signature': [headers['x-signature']!] }, secret }), { ok: true });
    const unicodeSecret = 'sécret-ü-日本-0123456789';
    const h = signed(resolved({ type: 'hmac-hex', secret: unicodeSecret }));
    assert.equal(h['x-signature'], createHmac('sha256', unicodeSecret).update(BODY).digest('hex'));
    assert.deepEqual(verifyHexHmac({ body: BODY, headers: h, secret: unicodeSecret }), { ok: true });
  });
});

describe('misuse throws a TypeError; request input never throws', () => {
  const rsaHeaders = signed(resolved({ type: 'rsa' }));
  const swSecret = generateWebhookSecret();

  test('misuse', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const cases: [string, () => unknown, RegExp][] = [
      ['bad PEM', () => verifyRsa({ body: BODY, headers: rsaHeaders, publicKeys: 'not a pem' }), /publicKeys is not a PEM public key/],
      ['EC key', () => verifyRsa({ body: BODY, headers: rsaHeaders, publicKeys: ec }), /not RSA/],
      ['bad key in a map', () => verifyRsa({ body: BODY, headers: rsaHeaders, publicKeys: { [newKey.id]: newKey.publicKeyPem, k2: 'nope' } }), /publicKeys\["k2"\]/],
      ['empty map', () => verifyRsa({ body: BODY, headers: rsaHeaders, publicKeys: {} }), /no key/],
      ['parsed body', () => verifyRsa({ body: JSON.parse(BODY) as string, headers: rsaHeaders, publicKeys: newKey.publicKeyPem }), /express\.raw/],
      ['negative tolerance', () => verifyRsa({ body: BODY, headers: rsaHeaders, publicKeys: newKey.publicKeyPem, toleranceSeconds: -1 }), /toleranceSeconds/],
      ['invalid now', () => verifyRsa({ body: BODY, headers: rsaHeaders, publicKeys: newKey.publicKeyPem, now: new Date(NaN) }), /now/],
      ['no headers', () => verifyRsa({ body: BODY, headers: undefined as unknown as WebhookHeaders, publicKeys: newKey.publicKeyPem }), /headers/],
      ['no secret', () => verifyStandardWebhook({ body: BODY, headers: {} } as never), /no secret/],
      ['both', () => verifyStandardWebhook({ body: BODY, headers: {}, secret: swSecret, secrets: [swSecret] } as never), /not both/],
      ['empty secrets', () => verifyStandardWebhook({ body: BODY, headers: {}, secrets: [] }), /empty/],
      ['not base64', () => verifyStandardWebhook({ body: BODY, headers: {}, secret: 'whsec_***' }), /base64/],
      ['hex: no secret', () => verifyHexHmac({ body: BODY, headers: {}, secret: '' }), /secret/],
      ['no options', () => verifyHexHmac(undefined as never), /options/],
    ];
    for (const [name, call, message] of cases) assert.throws(call, (err: unknown) => err instanceof TypeError && message.test(err.message), name);
  });

  test('a missing body (express.raw skipped the request) is a failure, not a throw', () => {
    for (const body of [undefined, null, {}]) {
      const r = verifyRsa({ body: body as never, headers: rsaHeaders, publicKeys: newKey.publicKeyPem, now: NOW });
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.reason : '', /^no body/);
    }
  });

  test('random header values never throw', () => {
    const junk = () => {
      const n = Math.floor(Math.random() * 5);
      return n === 0 ? '' : n === 1 ? randomBytes(8).toString('latin1') : n === 2 ? [randomBytes(4).toString('base64'), 'v1,'] : n === 3 ? ' v1,, ,v1 ' : randomBytes(40).toString('base64');
    };
    for (let i = 0; i < 300; i++) {
      const headers: Record<string, string | string[]> = {};
      for (const name of ['x-recho-timestamp', 'x-recho-signature', 'x-recho-key-id', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-signature']) {
        if (Math.random() < 0.8) headers[name] = junk();
      }
      if (Math.random() < 0.5) headers['x-recho-timestamp'] = String(Math.floor(NOW.getTime() / 1000));
      if (Math.random() < 0.5) headers['webhook-timestamp'] = String(Math.floor(NOW.getTime() / 1000));
      const body = Math.random() < 0.5 ? randomBytes(64) : BODY;
      for (const result of [
        verifyRsa({ body, headers, publicKeys: published, now: NOW }),
        verifyRsa({ body, headers, publicKeys: newKey.publicKeyPem, now: NOW }),
        verifyStandardWebhook({ body, headers, secret: swSecret, now: NOW }),
        verifyHexHmac({ body, headers, secret: 'secret-secret-secret' }),
      ]) {
        assert.equal(result.ok, false);
        assert.equal(typeof (result as { reason: string }).reason, 'string');
      }
    }
  });

  test('assertVerified throws WebhookVerificationError with the reason, and narrows otherwise', () => {
    const good = verifyRsa({ body: BODY, headers: rsaHeaders, publicKeys: published, now: NOW });
    assertVerified(good);
    assert.equal(good.timestamp, TS);
    assert.throws(
      () => assertVerified(verifyRsa({ body: TAMPERED, headers: rsaHeaders, publicKeys: published, now: NOW })),
      (err: unknown) => err instanceof WebhookVerificationError && err.reason === 'signature does not match' && /signature does not match/.test(err.message),
    );
  });
});

describe("agreement with the seeds' receivers, request by request", () => {
  /** POSTs like callhook does; whether the receiver accepted (2xx). */
  async function accepted(url: string, body: string | Buffer, headers: Record<string, string>): Promise<boolean> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await res.arrayBuffer();
    return res.status >= 200 && res.status < 300;
  }

  type Case = [name: string, body: string | Buffer, headers: Record<string, string>];
  async function agree(url: string, cases: Case[], ours: (body: string | Buffer, headers: Record<string, string>) => boolean): Promise<void> {
    const seen = new Set<boolean>();
    for (const [name, body, headers] of cases) {
      const theirs = await accepted(url, body, headers);
      assert.equal(ours(body, headers), theirs, `${name}: the seed receiver ${theirs ? 'accepts' : 'refuses'} it`);
      seen.add(theirs);
    }
    assert.deepEqual([...seen].sort(), [false, true], 'both outcomes are exercised');
  }

  test('the FastAPI RSA sample (000)', async () => {
    // The sample loads recho_public_key.pem, whatever x-recho-key-id says.
    const pem = createPublicKey(newKey.publicKeyPem);
    const receiver = await rsaSeedReceiver(() => pem);
    const rsa = resolved({ type: 'rsa' });
    const now = new Date();
    const nowS = Math.floor(now.getTime() / 1000);
    const h = signed(rsa, { now });
    const sampleSigned = (timestamp: string, body: string) => sign('sha256', Buffer.from(`${timestamp}.${body}`, 'utf8'), newKey.privateKeyPem).toString('base64');
    const cases: Case[] = [
      ['signed by callhook', BODY, h],
      ['as a Buffer', Buffer.from(BODY), h],
      ['without key id', BODY, without(h, 'x-recho-key-id')],
      ['by the retiring key', BODY, signed(rsa, { now, key: oldKey })],
      ['tampered body', TAMPERED, h],
      ['tampered signature', BODY, { ...h, 'x-recho-signature': flip(h['x-recho-signature']!) }],
      ['other timestamp', BODY, { ...h, 'x-recho-timestamp': String(nowS + 1) }],
      ['stale', BODY, signed(rsa, { now: new Date(now.getTime() - 400_000) })],
      ['future', BODY, signed(rsa, { now: new Date(now.getTime() + 400_000) })],
      ['no signature', BODY, without(h, 'x-recho-signature')],
      ['no timestamp', BODY, without(h, 'x-recho-timestamp')],
      ['empty signature', BODY, { ...h, 'x-recho-signature': '' }],
      ['plus sign', BODY, { 'x-recho-timestamp': `+${nowS}`, 'x-recho-signature': sampleSigned(`+${nowS}`, BODY) }],
      ['leading zero', BODY, { 'x-recho-timestamp': `0${nowS}`, 'x-recho-signature': sampleSigned(`0${nowS}`, BODY) }],
      ['fractional timestamp', BODY, { 'x-recho-timestamp': `${nowS}.5`, 'x-recho-signature': sampleSigned(`${nowS}.5`, BODY) }],
    ];
    await agree(receiver.url, cases, (body, headers) => verifyRsa({ body, headers, publicKeys: newKey.publicKeyPem }).ok);
    // The sample loads one key; a receiver with the published map agrees on the current key's deliveries.
    assert.equal(verifyRsa({ body: BODY, headers: h, publicKeys: published }).ok, true);
  });

  test('the Standard Webhooks receiver (the standardwebhooks package)', async () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const receiver = await standardWebhooksReceiver(() => [oldSecret]);
    const now = new Date();
    const rotated = rotateSecret(resolved({ type: 'hmac', secret: oldSecret }) as Extract<EndpointAuth, { type: 'hmac' }>, newSecret, now, 3600_000).auth;
    const h = signed(rotated, { now });
    const cases: Case[] = [
      ['two signatures', BODY, h],
      ['only the new secret', BODY, signed(resolved({ type: 'hmac', secret: newSecret }), { now })],
      ['tampered body', TAMPERED, h],
      ['tampered signature', BODY, { ...h, 'webhook-signature': h['webhook-signature']!.split(' ').map((s) => `v1,${flip(s.slice(3))}`).join(' ') }],
      ['stale', BODY, signed(rotated, { now: new Date(now.getTime() - 400_000) })],
      ['future', BODY, signed(rotated, { now: new Date(now.getTime() + 400_000) })],
      ['no id', BODY, without(h, 'webhook-id')],
      ['other id', BODY, { ...h, 'webhook-id': 'evt_other' }],
    ];
    await agree(receiver.url, cases, (body, headers) => verifyStandardWebhook({ body, headers, secret: oldSecret }).ok);
  });

  test('the OutRival (004) and Recover (003) hex HMAC samples', async () => {
    const secret = randomBytes(24).toString('hex');
    const outrival = await outrivalSeedReceiver(() => secret);
    const recover = await recoverSeedReceiver(() => secret, 'x-recover-signature');
    for (const [receiver, header] of [
      [outrival, 'x-signature'],
      [recover, 'x-recover-signature'],
    ] as const) {
      const h = signed(resolved({ type: 'hmac-hex', secret, header }));
      const sig = h[header]!;
      const cases: Case[] = [
        ['signed by callhook', BODY, h],
        ['as a Buffer', Buffer.from(BODY), h],
        ['tampered body', TAMPERED, h],
        ['tampered signature', BODY, { [header]: sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }],
        ['uppercase', BODY, { [header]: sig.toUpperCase() }],
        ['truncated', BODY, { [header]: sig.slice(0, 40) }],
        ['missing', BODY, {}],
        ['other secret', BODY, signed(resolved({ type: 'hmac-hex', secret: `${secret}0`, header }))],
      ];
      await agree(receiver.url, cases, (body, headers) => verifyHexHmac({ body, headers, secret, header }).ok);
    }
  });
});

