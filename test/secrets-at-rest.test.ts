/**
 * Endpoint secrets at rest: bearer tokens, hmac secrets (current and previous), hmac-hex secrets and
 * Slack/Teams webhook URLs are sealed in Postgres (AES-256-GCM, SECRETS_ENCRYPTION_KEYS). The tests
 * read every table directly and look for each secret in several encodings; they also check the
 * hints the API shows, deliveries signed with the opened secrets, loud failures under a wrong key,
 * re-encryption after a rotation (also through `npm run secrets`) and plaintext rows from before.
 */
import { makeCertificateAuthority, makeClientCertificate } from './helpers/certificates';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { KeyRing, sealedKeyId } from '../src/crypto/key-ring';
import { SecretsKeyRingNotConfiguredError, configureSecretsKeyRing, secretsKeyRing } from '../src/crypto/secrets-key-ring';
import { GENERATED_SECRETS_KEYS_FILE, secretsKeyRingFrom } from '../src/crypto/secrets-key-ring-from-config';
import { ConfigError } from '../src/config/config';
import { getEndpoint, insertEndpoint, listEndpoints, softDeleteEndpoint, type NewEndpoint } from '../src/db/endpoints-repo';
import { ReencryptionError, reencryptEndpointSecrets } from '../src/db/reencrypt-endpoint-secrets';
import { newEndpoint } from './helpers/endpoints';
import { generateWebhookSecret } from '../src/destinations/signing/standard-webhooks';
import { newId } from '../src/domain/ids';
import { redactedUrl, secretHint } from '../src/observability/redaction';
import type { Endpoint } from '../src/schemas/endpoint';
import { Harness, TEST_SECRETS_KEY_RING, ended } from './helpers/harness';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { dumpDatabase } from './helpers/dump-database';
import { Receiver } from './helpers/receiver';

const ROOT = path.resolve(__dirname, '..');
const ringA = KeyRing.parse(KeyRing.generateText('a'));
const ringB = KeyRing.parse(KeyRing.generateText('b'));
const ringText = (...rings: KeyRing[]) => rings.map((r) => r.keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',')).join(',');

/** The secret in each form it could be stored as. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), JSON.stringify(secret).slice(1, -1)];
  if (secret.startsWith('whsec_')) forms.push(secret.slice('whsec_'.length), Buffer.from(secret.slice('whsec_'.length), 'base64').toString('hex'));
  return forms.map((form) => form.replace(/=+$/, ''));
}

function assertNoSecretIn(dump: string, secrets: string[]): void {
  for (const secret of secrets) {
    for (const form of encodings(secret)) assert.ok(!dump.includes(form), `a secret (${secret.slice(0, 6)}…) is readable in the database as ${form.slice(0, 10)}…`);
  }
}

/** The rule: a hint is `…` and the secret's end, at most 4 characters and at most a quarter of the secret. */
function assertHintObeysRule(hint: string, secret: string): void {
  assert.ok(hint.startsWith('…'), hint);
  const shown = hint.slice(1);
  assert.ok(secret.endsWith(shown), `${hint} is not the end of the secret`);
  assert.ok(shown.length <= 4, `${hint} shows more than 4 characters`);
  assert.ok(shown.length <= secret.length / 4, `${hint} shows more than a quarter of a ${secret.length}-character secret`);
}

function endpointFields(fields: Partial<NewEndpoint> & Pick<NewEndpoint, 'kind'>): NewEndpoint {
  return newEndpoint({ clientId: 'client-rest', ...fields });
}

/** The state fields of a new endpoint, which creation does not set. */
const NOT_PAUSED_OR_DISABLED = { pausedAt: null, pausedBy: null, disabledReason: null, disabledAt: null };

const clientCertificate = makeClientCertificate(makeCertificateAuthority('secrets-at-rest CA'), 'secrets-at-rest client');

describe('endpoint secrets at rest: storage and keys', () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const now = new Date().toISOString();
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const secrets = {
    token: 'bearer-Zq7Rk2Lw9Vx4Nc8Ty3',
    current: generateWebhookSecret(),
    previous: generateWebhookSecret(),
    hex: 'hexsecret-Pd5Fh8Jk1Mn4Qr7St0',
    basicPassword: 'basic-pw-Lk3Jh6Gf9Ds2Aq5Wz8',
    oauthClientSecret: 'oauth-cs-Yh7Tg4Rf1Ed8Ws5Qa2',
    secretHeader: 'hdr-Km4Nj7Bh0Vg3Cf6Xd9',
    tlsKey: clientCertificate.privateKey,
    /** One line of the key's base64, alone: found even if the PEM were stored re-wrapped. */
    tlsKeyLine: clientCertificate.privateKey.split('\n')[1]!,
    slack: 'https://hooks.slack.com/services/T0AAAA1111/B0BBBB2222/slackpathQw3Er5Ty7Ui9',
    teams: 'https://example.webhook.office.com/webhookb2/teamspath-Zx8Cv6Bn4Mm2@tenant/IncomingWebhook/abc/def',
  };
  const allSecrets = Object.values(secrets);
  const sample = (): NewEndpoint[] => [
    endpointFields({ kind: 'custom', auth: { type: 'bearer', token: secrets.token } }),
    endpointFields({
      kind: 'custom',
      auth: { type: 'hmac', secrets: [{ secret: secrets.current, createdAt: now }, { secret: secrets.previous, createdAt: now, expiresAt: later }] },
    }),
    endpointFields({ kind: 'custom', auth: { type: 'hmac-hex', secret: secrets.hex, header: 'x-signature' } }),
    endpointFields({ kind: 'slack', url: secrets.slack }),
    endpointFields({ kind: 'teams', url: secrets.teams }),
    endpointFields({ kind: 'email', url: null, email: 'ops@example.com' }),
    endpointFields({ kind: 'custom', auth: { type: 'basic', username: 'crm-user', password: secrets.basicPassword } }),
    endpointFields({
      kind: 'custom',
      auth: { type: 'oauth2', tokenUrl: 'https://auth.example/oauth/token', clientId: 'callhook', clientSecret: secrets.oauthClientSecret, method: 'client_secret_post' },
      headers: [
        { name: 'X-Api-Key', value: secrets.secretHeader, secret: true },
        { name: 'X-Tenant', value: 'acme', secret: false },
      ],
      tls: { certificate: clientCertificate.certificate, privateKey: clientCertificate.privateKey },
    }),
  ];

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    configureSecretsKeyRing(TEST_SECRETS_KEY_RING);
    await db?.drop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('hints show at most 4 characters and at most a quarter of the secret; a credential url shows its origin and a hint', () => {
    for (let length = 0; length <= 40; length++) {
      const secret = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ'.slice(0, length);
      assertHintObeysRule(secretHint(secret), secret);
    }
    assert.equal(secretHint('a-long-token'), '…ken');
    assert.equal(secretHint('12345678'), '…78');
    assert.equal(secretHint('abc'), '…');
    assert.equal(secretHint('whsec_abcdefghijklmnopqrstuvwxyz12'), '…yz12');
    assert.equal(redactedUrl(secrets.slack), 'https://hooks.slack.com/…7Ui9');
    assert.equal(redactedUrl('https://hooks.slack.com/x'), 'https://hooks.slack.com/…');
    assert.equal(redactedUrl('https://user:pw@hooks.example/abcdefgh'), 'https://hooks.example/…gh');
  });

  test('before configuration the repository refuses to touch secrets; DATA_DIR keeps a generated key (0600) outside production', async () => {
    // The first test of the file: nothing has configured a ring yet.
    assert.throws(() => secretsKeyRing(), SecretsKeyRingNotConfiguredError);
    await assert.rejects(insertEndpoint(db.pool, sample()[0]!), /the secrets key ring is not configured/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-secrets-keys-'));
    dirs.push(dir);
    const first = secretsKeyRingFrom({ NODE_ENV: 'development', DATA_DIR: dir });
    const file = path.join(dir, GENERATED_SECRETS_KEYS_FILE);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const second = secretsKeyRingFrom({ NODE_ENV: 'development', DATA_DIR: dir });
    assert.equal(second.currentId, first.currentId);
    assert.equal(second.open(first.seal('x', 'aad'), 'aad'), 'x');
    assert.throws(() => secretsKeyRingFrom({ NODE_ENV: 'production', DATA_DIR: dir }), ConfigError);
    assert.equal(secretsKeyRingFrom({ NODE_ENV: 'production', DATA_DIR: dir, SECRETS_ENCRYPTION_KEYS: ringText(ringB, ringA) }).currentId, 'b');
  });

  test('the tables hold no secret; reads give every secret back; a ciphertext moved to another row does not open', async () => {
    configureSecretsKeyRing(ringA);
    const written = sample();
    for (const endpoint of written) await insertEndpoint(db.pool, endpoint);
    assertNoSecretIn(await dumpDatabase(db.pool), allSecrets);
    for (const endpoint of written) {
      const read = await getEndpoint(db.pool, endpoint.id);
      assert.deepEqual(read && { ...read, createdAt: undefined, updatedAt: undefined }, { ...endpoint, ...NOT_PAUSED_OR_DISABLED, createdAt: undefined, updatedAt: undefined });
    }
    // Custom urls and emails are not secrets: they stay queryable. Slack/Teams urls are only redacted.
    const { rows } = await db.pool.query<{ id: string; url: string | null; email: string | null; auth: unknown }>(
      'SELECT id, url, email, auth FROM endpoints WHERE id = ANY ($1)',
      [written.map((e) => e.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal(byId.get(written[0]!.id)!.url, 'https://receiver.example/hook');
    assert.deepEqual(byId.get(written[0]!.id)!.auth, { type: 'bearer' });
    assert.deepEqual(byId.get(written[2]!.id)!.auth, { type: 'hmac-hex', header: 'x-signature' });
    assert.deepEqual(byId.get(written[6]!.id)!.auth, { type: 'basic', username: 'crm-user' }, 'the Basic password is sealed; the username stays readable');
    const options = await db.pool.query<{ auth: unknown; headers: unknown; tls: { certificate: string; privateKey?: string } }>('SELECT auth, headers, tls FROM endpoints WHERE id = $1', [written[7]!.id]);
    assert.deepEqual(options.rows[0]!.auth, { type: 'oauth2', tokenUrl: 'https://auth.example/oauth/token', clientId: 'callhook', method: 'client_secret_post' }, 'the OAuth client secret is sealed');
    assert.deepEqual(options.rows[0]!.headers, [{ name: 'X-Api-Key', secret: true }, { name: 'X-Tenant', value: 'acme', secret: false }], 'a secret header\'s value is sealed; a plain one stays readable');
    assert.deepEqual(options.rows[0]!.tls, { certificate: clientCertificate.certificate }, 'the private key is sealed; the certificate stays readable');
    assert.equal(byId.get(written[3]!.id)!.url, redactedUrl(secrets.slack));
    assert.equal(byId.get(written[5]!.id)!.email, 'ops@example.com');

    const [from, to] = [written[0]!.id, written[2]!.id];
    await db.pool.query('UPDATE endpoints SET secrets = (SELECT secrets FROM endpoints WHERE id = $1), auth = $3 WHERE id = $2', [from, to, { type: 'bearer' }]);
    await assert.rejects(getEndpoint(db.pool, to), (err: Error) => {
      assert.match(err.message, new RegExp(`endpoint ${to}: .*does not authenticate under key "a"`));
      return true;
    });
    await db.pool.query('DELETE FROM endpoints');
  });

  test('a wrong key ring fails loudly, naming the endpoint and the key id, never a secret', async () => {
    configureSecretsKeyRing(ringA);
    const [bearer] = sample();
    await insertEndpoint(db.pool, bearer!);

    configureSecretsKeyRing(ringB); // no key "a"
    await assert.rejects(getEndpoint(db.pool, bearer!.id), (err: Error) => {
      assert.match(err.message, new RegExp(`endpoint ${bearer!.id}: .*sealed under key "a".*no key "a" in the ring`));
      assert.ok(!err.message.includes(secrets.token));
      return true;
    });
    const impostor = new KeyRing([{ id: 'a', key: ringB.keys[0]!.key }]); // the right id, the wrong key
    configureSecretsKeyRing(impostor);
    await assert.rejects(listEndpoints(db.pool, { limit: 10 }), new RegExp(`endpoint ${bearer!.id}: .*does not authenticate under key "a"`));
    await assert.rejects(reencryptEndpointSecrets(db.pool, ringB), (err: unknown) => {
      assert.ok(err instanceof ReencryptionError);
      assert.deepEqual(err.failures.map((f) => [f.endpointId, f.keyId]), [[bearer!.id, 'a']]);
      return true;
    });
    configureSecretsKeyRing(ringA);
    assert.equal((await getEndpoint(db.pool, bearer!.id))?.auth.type, 'bearer', 'a failed re-encryption changed nothing');
    await db.pool.query('DELETE FROM endpoints');
  });

  test('re-encryption moves every row, deleted ones too, from key A to key B (ring B,A); then ring B alone reads everything', async () => {
    configureSecretsKeyRing(ringA);
    const written = sample();
    for (const endpoint of written) await insertEndpoint(db.pool, endpoint);
    assert.ok(await softDeleteEndpoint(db.pool, written[4]!.id));
    const bThenA = KeyRing.parse(ringText(ringB, ringA));
    assert.deepEqual(await reencryptEndpointSecrets(db.pool, bThenA), { keyId: 'b', encrypted: 0, resealed: written.length });
    assert.deepEqual(await reencryptEndpointSecrets(db.pool, bThenA), { keyId: 'b', encrypted: 0, resealed: 0 }, 'nothing left to do');
    const { rows } = await db.pool.query<{ secrets: string }>('SELECT secrets FROM endpoints');
    assert.deepEqual(new Set(rows.map((r) => sealedKeyId(r.secrets))), new Set(['b']));

    configureSecretsKeyRing(ringB);
    const listed = await listEndpoints(db.pool, { limit: 50 });
    assert.equal(listed.length, written.length - 1);
    assert.equal(listed.find((e) => e.kind === 'slack')?.url, secrets.slack);
    assertNoSecretIn(await dumpDatabase(db.pool), allSecrets);
    configureSecretsKeyRing(ringA);
    await assert.rejects(getEndpoint(db.pool, written[0]!.id), /sealed under key "b"/);
    await db.pool.query('DELETE FROM endpoints');
  });

  test('rows in plaintext from before encryption at rest are read as they are, then sealed by the start-up re-encryption', async () => {
    configureSecretsKeyRing(ringA);
    const legacy = sample();
    for (const endpoint of legacy) {
      // As the schema had it before migration 005: secrets in the auth column, a Slack/Teams url in full.
      await db.pool.query(
        'INSERT INTO endpoints (id, client_id, kind, url, email, events, auth, active, description) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [endpoint.id, endpoint.clientId, endpoint.kind, endpoint.url, endpoint.email, endpoint.events, JSON.stringify(endpoint.auth), true, null],
      );
    }
    await db.pool.query('UPDATE endpoints SET deleted_at = now() WHERE id = $1', [legacy[1]!.id]);
    const before = new Map<string, Endpoint | undefined>();
    for (const endpoint of legacy.filter((_, i) => i !== 1)) before.set(endpoint.id, await getEndpoint(db.pool, endpoint.id));
    assert.equal(before.get(legacy[3]!.id)?.url, secrets.slack, 'a plaintext row is read as it is');
    assert.ok((await dumpDatabase(db.pool)).includes(secrets.token), 'the rows start in plaintext');

    assert.deepEqual(await reencryptEndpointSecrets(db.pool, ringA), { keyId: 'a', encrypted: legacy.length, resealed: 0 });
    assertNoSecretIn(await dumpDatabase(db.pool), allSecrets);
    for (const [id, endpoint] of before) assert.deepEqual(await getEndpoint(db.pool, id), endpoint, 'the same endpoint, updatedAt included');
    const { rows } = await db.pool.query<{ auth: { secrets: object[] } }>('SELECT auth FROM endpoints WHERE id = $1', [legacy[1]!.id]);
    assert.deepEqual(rows[0]!.auth.secrets, [{ createdAt: now }, { createdAt: now, expiresAt: later }], 'the deleted hmac row: only dates left');
    await db.pool.query('DELETE FROM endpoints');
  });

  test('npm run secrets: generate-key prints a ring entry; reencrypt re-seals under the first key; usage errors exit 2', async () => {
    configureSecretsKeyRing(ringA);
    const written = sample();
    for (const endpoint of written) await insertEndpoint(db.pool, endpoint);
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/secrets.ts', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        // Empty is unset (config reads '' as absent): nothing of this process's environment leaks in.
        env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'development', DATABASE_URL: '', SECRETS_ENCRYPTION_KEYS: '', ...env },
      });

    const generated = run(['generate-key', '--id', 'k2']);
    assert.equal(generated.status, 0, generated.stderr);
    assert.equal(KeyRing.parse(generated.stdout.trim()).currentId, 'k2');
    const usage = run(['rotate']);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /unknown command "rotate"[\s\S]*usage: npm run secrets/);
    assert.equal(run(['generate-key', '--id', 'no spaces']).status, 2);
    assert.equal(run(['reencrypt'], { SECRETS_ENCRYPTION_KEYS: ringText(ringA) }).status, 2, 'no DATABASE_URL');

    const reencrypted = run(['reencrypt'], { DATABASE_URL: db.url, SECRETS_ENCRYPTION_KEYS: `${generated.stdout.trim()},${ringText(ringA)}` });
    assert.equal(reencrypted.status, 0, reencrypted.stderr);
    assert.match(reencrypted.stdout, new RegExp(`re-encrypted ${written.length} endpoint\\(s\\) under key "k2" \\(0 from plaintext, ${written.length} from older keys\\)`));
    configureSecretsKeyRing(KeyRing.parse(generated.stdout.trim()));
    assert.equal((await getEndpoint(db.pool, written[0]!.id))?.auth.type, 'bearer');

    const missingKey = run(['reencrypt'], { DATABASE_URL: db.url, SECRETS_ENCRYPTION_KEYS: ringText(ringB) });
    assert.equal(missingKey.status, 1);
    assert.match(missingKey.stderr, new RegExp(`${written.length} endpoint\\(s\\) could not be re-encrypted under key "b".*sealed under key "k2"`));
    assert.ok(!missingKey.stderr.includes(secrets.token));
    await db.pool.query('DELETE FROM endpoints');
  });
});

describe('endpoint secrets at rest: through the API and deliveries', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ hmacSecretOverlapMs: 3_600_000 });
  });
  after(async () => {
    await h?.stop();
  });

  test('every secret is sealed, the API shows only hints and redacted Slack/Teams urls, and deliveries sign with the opened secrets', async () => {
    const receiver = await Receiver.start();
    const base = receiver.url.replace(/\/webhook$/, '');
    const clientId = 'client-at-rest';
    const token = 'bearer-Hs6Gk9Lp2Wq5Xe8Rt1';
    const shortToken = 'tok-8Ab3';
    const hmacFirst = generateWebhookSecret();
    const hmacCurrent = generateWebhookSecret();
    const hexSecret = 'hex-secret-Vb4Nm7Qw1Ty5Ui9Op3';
    const slackUrl = `${base}/services/T0SLACK111/B0SLACK222/slackpathAa1Bb2Cc3Dd4`;
    const teamsUrl = `${base}/webhookb2/teamspathEe5Ff6Gg7Hh8/IncomingWebhook`;
    const secrets = [token, shortToken, hmacFirst, hmacCurrent, hexSecret, slackUrl, teamsUrl, new URL(slackUrl).pathname, new URL(teamsUrl).pathname];

    const create = async (fields: Record<string, unknown>) => {
      const response = await h.api('POST', '/v1/endpoints', { clientId, events: ['*'], ...fields });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body;
    };
    const bearer = await create({ kind: 'custom', url: `${base}/bearer`, auth: { type: 'bearer', token } });
    const short = await create({ kind: 'custom', url: `${base}/short`, auth: { type: 'bearer', token: shortToken }, active: false });
    const hmac = await create({ kind: 'custom', url: `${base}/hmac`, auth: { type: 'hmac', secret: hmacFirst } });
    const rotated = await h.api('POST', `/v1/endpoints/${hmac.id}/rotate-secret`, { secret: hmacCurrent });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const hex = await create({ kind: 'custom', url: `${base}/hex`, auth: { type: 'hmac-hex', secret: hexSecret } });
    const slack = await create({ kind: 'slack', url: slackUrl });
    const teams = await create({ kind: 'teams', url: teamsUrl });
    // Only the creation response echoes what the caller sent.
    assert.equal(slack.url, slackUrl);
    assert.equal(teams.url, teamsUrl);
    assert.equal(bearer.auth.token, token);

    // Views: hints obeying the rule, Slack/Teams urls redacted, custom urls as they are.
    const view = async (id: string) => (await h.api('GET', `/v1/endpoints/${id}`)).body;
    assertHintObeysRule((await view(bearer.id)).auth.tokenHint, token);
    assert.deepEqual((await view(short.id)).auth, { type: 'bearer', tokenHint: '…b3' });
    const hmacView = await view(hmac.id);
    assertHintObeysRule(hmacView.auth.secretHint, hmacCurrent);
    assertHintObeysRule(hmacView.auth.previousSecrets[0].secretHint, hmacFirst);
    assertHintObeysRule((await view(hex.id)).auth.secretHint, hexSecret);
    assert.equal((await view(bearer.id)).url, `${base}/bearer`);
    const origin = new URL(base).origin;
    assert.equal((await view(slack.id)).url, `${origin}/…3Dd4`);
    assert.equal((await view(teams.id)).url, `${origin}/…hook`);
    const list = await h.api('GET', `/v1/endpoints?clientId=${clientId}`);
    const patched = await h.api('PATCH', `/v1/endpoints/${slack.id}`, { description: 'moved', url: `${slackUrl}X` });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.url, `${origin}/…Dd4X`);
    await h.api('PATCH', `/v1/endpoints/${slack.id}`, { url: slackUrl });
    for (const shown of [JSON.stringify(list.body), JSON.stringify(patched.body), JSON.stringify(hmacView), JSON.stringify(rotated.body.auth)]) {
      for (const secret of secrets) assert.ok(!shown.includes(secret), `a view shows ${secret.slice(0, 12)}…`);
    }

    // Deliveries: each endpoint's receiver checks what was signed or sent with the opened secret.
    const callId = `call-at-rest-${Date.now()}`;
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 5));
    assert.deepEqual(log.map((d) => d.status), ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'], JSON.stringify(log));
    const byPath = new Map(receiver.requests.map((r) => [r.path, r]));
    assert.equal(byPath.get('/bearer')?.headers.authorization, `Bearer ${token}`);
    const signed = byPath.get('/hmac')!;
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, String(v)]));
    for (const secret of [hmacCurrent, hmacFirst]) new Webhook(secret).verify(signed.rawBody, headers); // both sign during the overlap
    const hexSigned = byPath.get('/hex')!;
    assert.equal(hexSigned.headers['x-signature'], createHmac('sha256', hexSecret).update(hexSigned.rawBody, 'utf8').digest('hex'));
    assert.ok(byPath.has(new URL(slackUrl).pathname), 'Slack was posted to its full url');
    assert.ok(byPath.has(new URL(teamsUrl).pathname), 'Teams was posted to its full url');

    await h.api('DELETE', `/v1/endpoints/${teams.id}`);
    assertNoSecretIn(await dumpDatabase(h.db.pool), secrets);
  });
});
