import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config';
import { createDestinations } from '../src/destinations';
import { authHeaders } from '../src/destinations/custom';
import { signingKeysFrom } from '../src/destinations/signing/from-config';
import { SIGNING_KEY_FILE } from '../src/destinations/signing/signing-keys';
import { generateWebhookSecret } from '../src/destinations/signing/standard-webhooks';
import { activeWebhookSecrets, resolveAuth, rotateSecret } from '../src/domain/endpoint-auth';
import type { EndpointAuth } from '../src/schemas/endpoint';

const tmpDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-config-'));
  tmpDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const DAY = 24 * 3_600_000;

describe('configuration of destinations and signing', () => {
  test('defaults', () => {
    const config = loadConfig({});
    assert.equal(config.BRAND_NAME, 'Recho');
    assert.equal(config.TIME_ZONE, 'UTC');
    assert.equal(config.SMTP_URL, undefined);
    assert.equal(config.EMAIL_FROM, 'Recho <no-reply@localhost>');
    assert.equal(config.SIGNING_KEY_PEM, undefined);
    assert.equal(config.SIGNING_KEY_FILE, undefined);
    assert.equal(config.SIGNING_KEY_OVERLAP, DAY);
    assert.equal(config.HMAC_SECRET_OVERLAP, DAY);
  });

  test('values given are read; the default From follows the brand', () => {
    const config = loadConfig({
      BRAND_NAME: 'Acme',
      TIME_ZONE: 'Europe/Berlin',
      SMTP_URL: 'smtps://user:pass@mail.example.com:465',
      HMAC_SECRET_OVERLAP: '2h',
      SIGNING_KEY_OVERLAP: '7d',
    });
    assert.deepEqual(
      [config.BRAND_NAME, config.TIME_ZONE, config.SMTP_URL, config.EMAIL_FROM, config.HMAC_SECRET_OVERLAP, config.SIGNING_KEY_OVERLAP],
      ['Acme', 'Europe/Berlin', 'smtps://user:pass@mail.example.com:465', 'Acme <no-reply@localhost>', 2 * 3_600_000, 7 * DAY],
    );
    assert.equal(loadConfig({ BRAND_NAME: 'Acme, Inc.' }).EMAIL_FROM, '"Acme, Inc." <no-reply@localhost>');
    assert.equal(loadConfig({ EMAIL_FROM: 'ops@example.com' }).EMAIL_FROM, 'ops@example.com');
  });

  test('bad values fail naming the variable', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ TIME_ZONE: 'Mars/Olympus_Mons' }, /TIME_ZONE: is not an IANA time zone/],
      [{ SMTP_URL: 'http://mail.example.com' }, /SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/],
      [{ SMTP_URL: 'not a url' }, /SMTP_URL/],
      [{ EMAIL_FROM: 'nobody' }, /EMAIL_FROM: must be an address/],
      [{ BRAND_NAME: ' ' }, /BRAND_NAME/],
      [{ HMAC_SECRET_OVERLAP: 'soon' }, /HMAC_SECRET_OVERLAP: "soon" is not a duration/],
      [{ SIGNING_KEY_OVERLAP: '-1h' }, /SIGNING_KEY_OVERLAP/],
      [{ SIGNING_KEY_PEM: 'x', SIGNING_KEY_FILE: 'y' }, /SIGNING_KEY_PEM, SIGNING_KEY_FILE: give the signing key one way, not both/],
    ];
    for (const [env, message] of cases) assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
  });
});

describe('signing keys from configuration', () => {
  const base = { SIGNING_KEY_OVERLAP: DAY };

  test('none configured: generated once in DATA_DIR and kept', () => {
    const dataDir = tempDir();
    const ring = signingKeysFrom({ ...base, DATA_DIR: dataDir });
    assert.equal(ring.source, 'generated');
    assert.ok(fs.existsSync(path.join(dataDir, SIGNING_KEY_FILE)));
    assert.equal(signingKeysFrom({ ...base, DATA_DIR: dataDir }).current().id, ring.current().id);
  });

  test('SIGNING_KEY_PEM (with \\n escapes) or SIGNING_KEY_FILE; previous public keys published as retiring', () => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const previous = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const fromEnv = signingKeysFrom({ ...base, DATA_DIR: tempDir(), SIGNING_KEY_PEM: pem.replace(/\n/g, '\\n'), SIGNING_KEY_PREVIOUS_PUBLIC_PEM: previous });
    assert.equal(fromEnv.source, 'configured');
    assert.deepEqual(fromEnv.publicKeys().map((k) => k.status), ['current', 'retiring']);
    const file = path.join(tempDir(), 'key.pem');
    fs.writeFileSync(file, pem);
    assert.equal(signingKeysFrom({ ...base, DATA_DIR: tempDir(), SIGNING_KEY_FILE: file }).current().id, fromEnv.current().id);
  });

  test('a bad key fails naming the variable', () => {
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const cases: [Parameters<typeof signingKeysFrom>[0], RegExp][] = [
      [{ ...base, DATA_DIR: tempDir(), SIGNING_KEY_PEM: 'not a key' }, /SIGNING_KEY_PEM: not a usable RSA private key/],
      [{ ...base, DATA_DIR: tempDir(), SIGNING_KEY_PEM: short }, /SIGNING_KEY_PEM: .*2048/],
      [{ ...base, DATA_DIR: tempDir(), SIGNING_KEY_FILE: '/nonexistent/key.pem' }, /SIGNING_KEY_FILE: .*ENOENT/],
      [{ ...base, DATA_DIR: tempDir(), SIGNING_KEY_PREVIOUS_PUBLIC_PEM: 'x' }, /SIGNING_KEY_PREVIOUS_PUBLIC_PEM: applies only with/],
      [{ ...base, DATA_DIR: tempDir(), SIGNING_KEY_PEM: short, SIGNING_KEY_PREVIOUS_PUBLIC_PEM: 'x' }, /SIGNING_KEY_PREVIOUS_PUBLIC_PEM: holds no/],
    ];
    for (const [config, message] of cases) assert.throws(() => signingKeysFrom(config), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
});

describe('createDestinations', () => {
  const config = {
    RETRY_AFTER_MAX: 1000,
    RESPONSE_EXCERPT_BYTES: 100,
    BRAND_NAME: 'Recho',
    TIME_ZONE: 'UTC',
    EMAIL_FROM: 'Recho <no-reply@localhost>',
    DELIVERY_ATTEMPT_TIMEOUT: 1000,
    ALLOW_PRIVATE_NETWORKS: false,
  };
  const keys = { current: () => ({ id: 'k', privateKeyPem: '', publicKeyPem: '' }) };

  test('custom, slack and teams always; email only with SMTP_URL', () => {
    const without = createDestinations(config, keys);
    assert.deepEqual(Object.keys(without.registry).sort(), ['custom', 'slack', 'teams']);
    without.close();
    const withSmtp = createDestinations({ ...config, SMTP_URL: 'smtp://127.0.0.1:1' }, keys);
    assert.deepEqual(Object.keys(withSmtp.registry).sort(), ['custom', 'email', 'slack', 'teams']);
    withSmtp.close();
  });
});

describe('endpoint auth: stored form, rotation, headers', () => {
  const now = new Date('2026-05-12T10:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  test('resolveAuth: a generated hmac secret on creation; kept on an update; a switch to hmac needs a secret', () => {
    const created = resolveAuth({ type: 'hmac' }, now);
    assert.ok(created.ok && created.auth.type === 'hmac');
    assert.match(created.auth.secrets[0].secret, /^whsec_/);
    assert.deepEqual(resolveAuth({ type: 'hmac' }, now, created.auth), created);
    const switched = resolveAuth({ type: 'hmac' }, now, { type: 'bearer', token: 'long-enough' });
    assert.deepEqual(switched.ok ? null : switched.path, 'auth.secret');
    assert.deepEqual(resolveAuth({ type: 'hmac-hex', secret: 'long-enough-secret' }, now), {
      ok: true,
      auth: { type: 'hmac-hex', secret: 'long-enough-secret', header: 'x-signature' },
    });
  });

  test('rotateSecret (hmac): the old secret signs until the overlap ends; at most three are kept; expired ones are dropped', () => {
    const [s1, s2, s3, s4] = [1, 2, 3, 4].map(() => generateWebhookSecret()) as [string, string, string, string];
    let auth: Extract<EndpointAuth, { type: 'hmac' }> = { type: 'hmac', secrets: [{ secret: s1, createdAt: now.toISOString() }] };
    const first = rotateSecret(auth, s2, now, 60_000);
    assert.equal(first.previousSecretExpiresAt, at(60_000).toISOString());
    auth = first.auth as typeof auth;
    assert.deepEqual(activeWebhookSecrets(auth, at(59_999)), [s2, s1]);
    assert.deepEqual(activeWebhookSecrets(auth, at(60_000)), [s2]);
    auth = rotateSecret(auth, s3, at(1_000), 60_000).auth as typeof auth;
    auth = rotateSecret(auth, s4, at(2_000), 60_000).auth as typeof auth;
    assert.deepEqual(auth.secrets.map((s) => s.secret), [s4, s3, s2]);
    // Rotated again after the others expired: only the one just replaced is kept beside the new one.
    const late = rotateSecret(auth, s1, at(10 * 60_000), 60_000).auth as typeof auth;
    assert.deepEqual(late.secrets.map((s) => s.secret), [s1, s4]);
  });

  test('rotateSecret (hmac-hex) replaces at once', () => {
    const rotation = rotateSecret({ type: 'hmac-hex', secret: 'old-secret-0123456789', header: 'x-signature' }, 'new-secret-0123456789', now, 60_000);
    assert.deepEqual(rotation, { auth: { type: 'hmac-hex', secret: 'new-secret-0123456789', header: 'x-signature' }, previousSecretExpiresAt: null });
  });

  test('authHeaders per type', () => {
    const keys = { current: () => ({ id: 'k_1', privateKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem: '' }) };
    const event = { id: 'evt-1' };
    assert.deepEqual(authHeaders({ type: 'none' }, event, '{}', now, keys), {});
    assert.deepEqual(authHeaders({ type: 'bearer', token: 'tok-12345' }, event, '{}', now, keys), { authorization: 'Bearer tok-12345' });
    assert.deepEqual(Object.keys(authHeaders({ type: 'rsa' }, event, '{}', now, keys)).sort(), ['x-recho-key-id', 'x-recho-signature', 'x-recho-timestamp']);
    const hmac = authHeaders({ type: 'hmac', secrets: [{ secret: generateWebhookSecret(), createdAt: now.toISOString() }] }, event, '{}', now, keys);
    assert.deepEqual([hmac['webhook-id'], hmac['webhook-timestamp']], ['evt-1', String(now.getTime() / 1000)]);
    assert.deepEqual(Object.keys(authHeaders({ type: 'hmac-hex', secret: 'long-enough-secret', header: 'x-hub-signature' }, event, '{}', now, keys)), ['x-hub-signature']);
  });
});
