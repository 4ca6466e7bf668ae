import assert from 'node:assert/strict';
import { createHmac, createVerify, generateKeyPairSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  generateWebhookSecret,
  signStandardWebhook,
  standardWebhookHeaders,
  webhookSecretKey,
} from '../src/destinations/signing/standard-webhooks';
import { rsaHeaders, signRsa } from '../src/destinations/signing/rsa';
import { HMAC_HEX_HEADER, hmacHexHeaders, signHmacHex } from '../src/destinations/signing/hmac-hex';
import { loadOrCreateSigningKeys, signingKeyId, SIGNING_KEY_FILE } from '../src/destinations/signing/signing-keys';

const BODY = JSON.stringify({ eventType: 'OUTBOUND_CALL_ERROR', body: { data: { callId: 'abc-123', note: 'ü 日本' }, errors: [] } });

const tmpDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-keys-'));
  tmpDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Standard Webhooks', () => {
  test('the spec vector', () => {
    assert.equal(
      signStandardWebhook(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  test('the standardwebhooks package verifies our headers', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(webhookSecretKey(secret).length, 24);
    const headers = standardWebhookHeaders([secret], 'msg_1', BODY, new Date());
    assert.deepEqual(Object.keys(headers).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    assert.deepEqual(new Webhook(secret).verify(BODY, headers), JSON.parse(BODY));
    assert.throws(() => new Webhook(secret).verify(`${BODY} `, headers));
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(BODY, headers));
  });

  test('during a rotation both signatures are sent and either secret verifies', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = standardWebhookHeaders([newSecret, oldSecret], 'msg_2', BODY, new Date());
    assert.equal(headers['webhook-signature']?.split(' ').length, 2);
    assert.ok(headers['webhook-signature']?.split(' ').every((s) => s.startsWith('v1,')));
    for (const secret of [oldSecret, newSecret]) assert.deepEqual(new Webhook(secret).verify(BODY, headers), JSON.parse(BODY));
  });
});

describe('RSA (the FastAPI receiver)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

  /** What the seed's receiver does: PKCS#1 v1.5 + SHA-256 over `${timestamp}.${raw body}`. */
  const verify = (timestamp: string, body: string, signatureB64: string) =>
    createVerify('RSA-SHA256').update(Buffer.from(`${timestamp}.${body}`, 'utf8')).verify(publicKeyPem, Buffer.from(signatureB64, 'base64'));

  test('the signature verifies with the public key; a tampered body or timestamp does not', () => {
    const signature = signRsa(privateKeyPem, 1778581440, BODY);
    assert.equal(verify('1778581440', BODY, signature), true);
    assert.equal(verify('1778581440', BODY.replace('abc-123', 'abc-124'), signature), false);
    assert.equal(verify('1778581441', BODY, signature), false);
  });

  test('headers: Unix-seconds timestamp, signature and key id', () => {
    const now = new Date('2026-05-12T10:24:00.900Z');
    const headers = rsaHeaders({ id: 'k_test', privateKeyPem }, BODY, now);
    assert.equal(headers['x-recho-timestamp'], '1778581440');
    assert.equal(headers['x-recho-key-id'], 'k_test');
    assert.equal(verify(headers['x-recho-timestamp'] ?? '', BODY, headers['x-recho-signature'] ?? ''), true);
  });
});

describe('HMAC hex (OutRival x-signature, Recover)', () => {
  const secret = 'your_shared_secret';

  test('equals an independently computed hex HMAC-SHA256 of the raw body', () => {
    assert.equal(signHmacHex(secret, BODY), createHmac('sha256', secret).update(BODY).digest('hex'));
    assert.equal(HMAC_HEX_HEADER, 'x-signature');
    assert.deepEqual(hmacHexHeaders(secret, BODY), { 'x-signature': signHmacHex(secret, BODY) });
    assert.deepEqual(Object.keys(hmacHexHeaders(secret, BODY, 'X-Recover-Signature')), ['x-recover-signature']);
  });

  test("the seed receivers' comparisons accept it (004 string equality, 003 timingSafeEqual)", () => {
    const rawBody = Buffer.from(BODY, 'utf8');
    const xSignature = hmacHexHeaders(secret, BODY)['x-signature'];
    // 004: payload = req.body.toString("utf-8"); generatedSignature === xSignature
    const generatedSignature = createHmac('sha256', secret).update(rawBody.toString('utf-8')).digest('hex');
    assert.equal(generatedSignature === xSignature, true);
    // 003: timingSafeEqual(Buffer.from(signature), Buffer.from(expected)) over the raw body
    const expected = createHmac('sha256', secret).update(rawBody).digest('hex');
    assert.equal(timingSafeEqual(Buffer.from(xSignature ?? ''), Buffer.from(expected)), true);
  });
});

describe('signing key ring', () => {
  test('a generated key is kept (mode 0600) and reused on the next load', () => {
    const dataDir = tempDir();
    const first = loadOrCreateSigningKeys({ dataDir, overlapMs: 60_000 });
    assert.equal(first.source, 'generated');
    const key = first.current();
    assert.match(key.id, /^k_[0-9a-f]{16}$/);
    assert.equal(key.id, signingKeyId(key.publicKeyPem));
    assert.equal(fs.statSync(path.join(dataDir, SIGNING_KEY_FILE)).mode & 0o777, 0o600);
    const again = loadOrCreateSigningKeys({ dataDir, overlapMs: 60_000 });
    assert.deepEqual(again.current(), key);
    assert.deepEqual(again.publicKeys(), [{ id: key.id, publicKeyPem: key.publicKeyPem, status: 'current' }]);
  });

  test('rotation: the old public key stays listed as retiring until the overlap ends, across a reload', () => {
    const dataDir = tempDir();
    const ring = loadOrCreateSigningKeys({ dataDir, overlapMs: 60_000 });
    const other = loadOrCreateSigningKeys({ dataDir, overlapMs: 60_000 });
    const old = ring.current();
    const now = new Date('2026-05-12T10:00:00Z');
    const next = ring.rotate(now);
    assert.notEqual(next.id, old.id);
    assert.deepEqual(ring.current(), next);
    const expected = [
      { id: next.id, publicKeyPem: next.publicKeyPem, status: 'current' },
      { id: old.id, publicKeyPem: old.publicKeyPem, status: 'retiring', expiresAt: '2026-05-12T10:01:00.000Z' },
    ];
    assert.deepEqual(ring.publicKeys(now), expected);
    // another process on the same dataDir follows, and so does a fresh load
    assert.deepEqual(other.current(), next);
    assert.deepEqual(loadOrCreateSigningKeys({ dataDir, overlapMs: 60_000 }).publicKeys(now), expected);
    // after the overlap the old key is no longer published
    assert.deepEqual(ring.publicKeys(new Date('2026-05-12T10:01:00.001Z')).map((k) => k.id), [next.id]);
    // signatures by the new key verify with its published public key
    const signature = signRsa(next.privateKeyPem, 1, BODY);
    assert.equal(createVerify('RSA-SHA256').update(`1.${BODY}`).verify(next.publicKeyPem, signature, 'base64'), true);
  });

  test('a configured key is used as given, with previous public keys listed as retiring, and cannot be rotated here', () => {
    const dataDir = tempDir();
    const configured = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const previous = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const pem = configured.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const ring = loadOrCreateSigningKeys({ privateKeyPem: pem.replace(/\n/g, '\\n'), previousPublicKeysPem: [previous], dataDir, overlapMs: 1 });
    assert.equal(ring.source, 'configured');
    assert.equal(ring.current().id, signingKeyId(configured.publicKey));
    assert.deepEqual(ring.publicKeys().map((k) => [k.id, k.status]), [
      [signingKeyId(configured.publicKey), 'current'],
      [signingKeyId(previous), 'retiring'],
    ]);
    assert.throws(() => ring.rotate(), /configured/);
    assert.deepEqual(fs.readdirSync(dataDir), []);
  });

  test('a key that is not RSA or is too short is refused', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => loadOrCreateSigningKeys({ privateKeyPem: ec, dataDir: tempDir(), overlapMs: 1 }), /RSA/);
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => loadOrCreateSigningKeys({ privateKeyPem: short, dataDir: tempDir(), overlapMs: 1 }), /2048/);
  });
});
