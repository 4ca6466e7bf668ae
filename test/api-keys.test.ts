import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { AppDeps } from '../src/api/app';
import { resolveAuth } from '../src/api/auth/auth-mode';
import { ConfigError, loadConfig } from '../src/config/config';
import { eventually } from './helpers/eventually';
import { Harness } from './helpers/harness';
import { createTestDatabase } from './helpers/postgres';

const ADMIN_KEYS = ['key-one-0123456789abcdef', 'key-two-0123456789abcdef'];
let h: Harness;

before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
});

/** An API on the harness's database and Temporal, with keys required. */
async function keyedApi(auth: Partial<NonNullable<AppDeps['auth']>> = {}): Promise<(method: string, path: string, key?: string, body?: unknown) => Promise<Response>> {
  const { base } = await h.startApi({ auth: { mode: 'on', adminKeys: ADMIN_KEYS, ...auth } });
  return (method, path, key, body) =>
    fetch(`${base}${path}`, {
      method,
      headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
}

const endpoint = { clientId: 'client-keys', kind: 'custom', url: 'http://127.0.0.1:9/hook', events: ['*'] };
const countEndpoints = async () =>
  (await h.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM endpoints WHERE client_id = 'client-keys'")).rows[0]!.n;

test('with admin keys configured, /v1 needs a key; nothing is written or parsed without one', async () => {
  const call = await keyedApi();
  for (const authorization of [undefined, 'wrong-key-0123456789abcdef']) {
    const response = await call('POST', '/v1/endpoints', authorization, endpoint);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="callhook"');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthorized');
  }
  // The body is read only after the key: broken JSON without a key is a 401, not a 400.
  assert.equal((await call('POST', '/v1/endpoints', undefined, '{not json')).status, 401);
  assert.equal(await countEndpoints(), 0);
  for (const key of ADMIN_KEYS) assert.equal((await call('POST', '/v1/endpoints', key, endpoint)).status, 201);
  assert.equal(await countEndpoints(), 2);
  assert.equal((await call('GET', '/v1/event-types', ADMIN_KEYS[1])).status, 200);
});

test('health, metrics and the OpenAPI document stay open; the document declares the scheme', async () => {
  const call = await keyedApi();
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) assert.equal((await call('GET', path)).status, 200, path);
  const document = (await (await call('GET', '/openapi.json')).json()) as {
    components: { securitySchemes: Record<string, { scheme: string }> };
    paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
  };
  assert.equal(document.components.securitySchemes.apiKey?.scheme, 'bearer');
  assert.deepEqual(document.paths['/v1/endpoints']?.post?.security, [{ apiKey: [] }]);
  assert.ok(document.paths['/v1/endpoints']?.post?.responses['401']);
  assert.ok(document.paths['/v1/endpoints']?.post?.responses['429']);
  assert.equal(document.paths['/healthz']?.get?.security, undefined);
});

test('admin keys create, list and revoke keys; a key is shown once, stored hashed, and stops working when revoked', async () => {
  const call = await keyedApi();
  const created = await call('POST', '/v1/api-keys', ADMIN_KEYS[0], { kind: 'client', clientId: 'client-keys', name: 'crm' });
  assert.equal(created.status, 201);
  const key = (await created.json()) as { id: string; key: string; keyHint: string; clientId: string; kind: string; lastUsedAt: null };
  assert.match(key.key, /^chk_[A-Za-z0-9_-]{43}$/);
  assert.equal(key.keyHint, `chk_…${key.key.slice(-4)}`);
  assert.equal(created.headers.get('location'), `/v1/api-keys/${key.id}`);
  const stored = await h.db.pool.query('SELECT row_to_json(k)::text AS row FROM api_keys k');
  assert.ok(stored.rows.every((r: { row: string }) => !r.row.includes(key.key.slice(4))), 'the key itself is not stored');

  // The client key works for its own client, and its use is recorded.
  assert.equal((await call('GET', '/v1/endpoints', key.key)).status, 200);
  type Listed = { data: { id: string; lastUsedAt: string | null; key?: string }[] };
  const listed = await eventually(async () => {
    const page = (await (await call('GET', '/v1/api-keys?clientId=client-keys', ADMIN_KEYS[0])).json()) as Listed;
    return page.data[0]?.lastUsedAt ? page : undefined; // recorded after the request, off its path
  }, 'the key recorded as used', 5_000, 50);
  assert.equal(listed.data.length, 1);
  assert.equal(listed.data[0]!.key, undefined, 'a list never shows a key');

  // Client keys manage no keys.
  assert.equal((await call('GET', '/v1/api-keys', key.key)).status, 403);
  assert.equal((await call('POST', '/v1/api-keys', key.key, { kind: 'admin', name: 'escalate' })).status, 403);

  const revoked = await call('DELETE', `/v1/api-keys/${key.id}`, ADMIN_KEYS[0]);
  assert.equal(revoked.status, 200);
  assert.ok(((await revoked.json()) as { revokedAt: string }).revokedAt);
  assert.equal((await call('GET', '/v1/endpoints', key.key)).status, 401, 'revoked at once on this process');
  const active = (await (await call('GET', '/v1/api-keys?clientId=client-keys', ADMIN_KEYS[0])).json()) as { data: unknown[] };
  assert.equal(active.data.length, 0);
  const all = (await (await call('GET', '/v1/api-keys?clientId=client-keys&includeRevoked=true', ADMIN_KEYS[0])).json()) as { data: unknown[] };
  assert.equal(all.data.length, 1);
});

test('bad key requests are refused with the field named and nothing stored', async () => {
  const call = await keyedApi();
  const before = (await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')).rows[0]!.n;
  for (const [body, path] of [
    [{ kind: 'client', name: 'x' }, 'body.clientId'],
    [{ kind: 'admin', clientId: 'c', name: 'x' }, 'body.clientId'],
    [{ kind: 'client', clientId: 'c', name: '' }, 'body.name'],
    [{ kind: 'root', name: 'x' }, 'body.kind'],
  ] as const) {
    const response = await call('POST', '/v1/api-keys', ADMIN_KEYS[0], body);
    assert.equal(response.status, 400, JSON.stringify(body));
    const error = ((await response.json()) as { error: { details: { path: string }[] } }).error;
    assert.ok(error.details.some((d) => d.path === path), JSON.stringify(error));
  }
  assert.equal((await call('DELETE', '/v1/api-keys/key_000000000000000000000000', ADMIN_KEYS[0])).status, 404);
  assert.equal((await call('DELETE', '/v1/api-keys/nope', ADMIN_KEYS[0])).status, 400);
  assert.equal((await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys')).rows[0]!.n, before);
});

test('a key over its rate limit gets 429 with Retry-After; other keys are not affected', async () => {
  const call = await keyedApi({ rateLimits: { client: 2, admin: 0 } });
  const make = async (clientId: string) =>
    ((await (await call('POST', '/v1/api-keys', ADMIN_KEYS[0], { kind: 'client', clientId, name: 'limited' })).json()) as { key: string }).key;
  const [first, second] = [await make('client-rate-a'), await make('client-rate-b')];
  const statuses: number[] = [];
  for (let i = 0; i < 8; i += 1) statuses.push((await call('GET', '/v1/event-types', first)).status);
  assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200], 'a burst of twice the rate passes');
  const limited = await call('GET', '/v1/event-types', first);
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limited');
  assert.equal((await call('GET', '/v1/event-types', second)).status, 200, 'another key has its own bucket');
  assert.equal((await call('GET', '/v1/event-types', ADMIN_KEYS[0])).status, 200, 'admin keys are unlimited by default');
});

test('the configuration: ADMIN_API_KEYS and API_KEYS (the old name) are admin keys; production needs a key unless AUTH=off', async () => {
  const secrets = { SECRETS_ENCRYPTION_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
  assert.deepEqual(loadConfig({ ADMIN_API_KEYS: ` ${ADMIN_KEYS[0]}, ${ADMIN_KEYS[1]} ` }).ADMIN_API_KEYS, ADMIN_KEYS);
  assert.throws(() => loadConfig({ API_KEYS: 'short' }), (err: unknown) => err instanceof ConfigError && /API_KEYS/.test(err.message));
  assert.throws(() => loadConfig({ AUTH: 'maybe' }), (err: unknown) => err instanceof ConfigError && /AUTH/.test(err.message));

  const production = loadConfig({ NODE_ENV: 'production', ...secrets });
  // A database of its own, with no key in it.
  const fresh = await createTestDatabase();
  try {
    await assert.rejects(resolveAuth(production, fresh.pool), (err: unknown) => err instanceof ConfigError && /ADMIN_API_KEYS/.test(err.message));
    assert.equal((await resolveAuth(loadConfig({ NODE_ENV: 'production', AUTH: 'off', ...secrets }), fresh.pool)).mode, 'off');
    assert.equal((await resolveAuth(loadConfig({}), fresh.pool)).mode, 'off', 'development with no key stays open');
    await assert.rejects(resolveAuth(loadConfig({ AUTH: 'on' }), fresh.pool), ConfigError);
    const withOld = await resolveAuth(loadConfig({ API_KEYS: ADMIN_KEYS[0] }), fresh.pool);
    assert.equal(withOld.mode, 'on');
    assert.deepEqual(withOld.adminKeys, [ADMIN_KEYS[0]]);
    // A key stored with `npm run keys` turns authentication on in development too.
    const run = await promisify(execFile)('npx', ['tsx', 'scripts/keys.ts', 'create', '--client', 'client-cli', '--name', 'crm'], {
      env: { ...process.env, DATABASE_URL: fresh.url },
    });
    assert.match(run.stdout.trim(), /^chk_/);
    assert.match(run.stderr, /created client key key_[0-9a-f]{24} "crm" for client client-cli/);
    const auth = await resolveAuth(loadConfig({}), fresh.pool);
    assert.equal(auth.mode, 'on');
    const usage = await promisify(execFile)('npx', ['tsx', 'scripts/keys.ts', 'create', '--name', 'x'], { env: { ...process.env, DATABASE_URL: fresh.url } }).then(
      () => assert.fail('a client key without --client is refused'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /clientId: a client key needs clientId/);
  } finally {
    await fresh.drop();
  }
});
