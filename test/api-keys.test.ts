import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createApp } from '../src/api/app';
import { closeServer, listen } from '../src/api/server';
import { ConfigError, loadConfig } from '../src/config';
import { Harness } from './helpers/harness';

const KEYS = ['key-one-0123456789abcdef', 'key-two-0123456789abcdef'];
let h: Harness;
let server: Server;
let base: string;

before(async () => {
  h = await Harness.start();
  const app = createApp({
    pool: h.db.pool,
    temporal: h.env.client,
    taskQueue: h.taskQueue,
    allowHttpUrls: true,
    maxBodyBytes: 65_536,
    signingKeys: h.signingKeys,
    hmacSecretOverlapMs: 86_400_000,
    apiKeys: KEYS,
  });
  server = await listen(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await closeServer(server);
  await h?.stop();
});

const endpoint = { clientId: 'client-keys', kind: 'custom', url: 'http://127.0.0.1:9/hook', events: ['*'] };
const post = (headers: Record<string, string>) =>
  fetch(`${base}/v1/endpoints`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(endpoint) });
const countEndpoints = async () =>
  (await h.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM endpoints WHERE client_id = 'client-keys'")).rows[0]!.n;

test('with API_KEYS set, /v1 needs one of the keys; nothing is written without it', async () => {
  const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-key-0123456789abcdef' }, { authorization: KEYS[0]! }, { authorization: 'Basic eDp5' }];
  for (const headers of attempts) {
    const response = await post(headers);
    assert.equal(response.status, 401, JSON.stringify(headers));
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="callhook"');
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unauthorized');
  }
  assert.equal(await countEndpoints(), 0);
  assert.equal((await fetch(`${base}/v1/event-types`)).status, 401);
  for (const key of KEYS) assert.equal((await post({ authorization: `Bearer ${key}` })).status, 201);
  assert.equal(await countEndpoints(), 2);
  assert.equal((await fetch(`${base}/v1/event-types`, { headers: { authorization: `Bearer ${KEYS[1]}` } })).status, 200);
});

test('health, metrics and the OpenAPI document stay open; the document declares the scheme', async () => {
  for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) assert.equal((await fetch(`${base}${path}`)).status, 200, path);
  const document = (await (await fetch(`${base}/openapi.json`)).json()) as {
    components: { securitySchemes: Record<string, { scheme: string }> };
    paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
  };
  assert.equal(document.components.securitySchemes.apiKey?.scheme, 'bearer');
  assert.deepEqual(document.paths['/v1/endpoints']?.post?.security, [{ apiKey: [] }]);
  assert.ok(document.paths['/v1/endpoints']?.post?.responses['401']);
  assert.equal(document.paths['/healthz']?.get?.security, undefined);
});

test('API_KEYS: comma-separated, each at least 16 characters', () => {
  assert.deepEqual(loadConfig({ API_KEYS: ` ${KEYS[0]}, ${KEYS[1]} ` }).API_KEYS, KEYS);
  assert.deepEqual(loadConfig({}).API_KEYS, []);
  assert.throws(() => loadConfig({ API_KEYS: 'short' }), (err: unknown) => err instanceof ConfigError && /API_KEYS/.test(err.message));
});
