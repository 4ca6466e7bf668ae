/**
 * Tenancy: every route of the OpenAPI document, walked with no key, a wrong key, a revoked key,
 * client A's key against client B's objects, and an admin key. A route missing from the table
 * below fails the test, so a new route cannot be added without saying who may call it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually } from './helpers/eventually';
import { Harness, TEST_SECRETS_KEY_RING } from './helpers/harness';
import { Receiver } from './helpers/receiver';
import { PortalTokens } from '../src/auth/portal-tokens';
import { KeyRing } from '../src/crypto/key-ring';

const ADMIN = 'admin-key-0123456789abcdef';
let h: Harness;
let base: string;
let receiver: Receiver;

interface Fixtures {
  keyA: string;
  keyB: string;
  keyBId: string;
  revokedA: string;
  endpointA: string;
  endpointB: string;
  eventB: string;
  callB: string;
  deliveryB: string;
  /** Portal link tokens of client A: manage, read-only; and ones that must not work. */
  portalManageA: string;
  portalReadA: string;
  portalBroken: { what: string; token: string; code: string }[];
  portalLinkBId: string;
}
let f: Fixtures;

async function call(method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  // any: whatever the route answers; each check reads the fields it expects.
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (the PEM of /v1/signing-key, the metrics text): kept as text.
  }
  return { status: response.status, body: parsed };
}

async function createdKey(clientId: string): Promise<{ id: string; key: string }> {
  const response = await call('POST', '/v1/api-keys', ADMIN, { kind: 'client', clientId, name: `${clientId} key` });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as { id: string; key: string };
}

before(async () => {
  h = await Harness.start();
  receiver = await Receiver.start();
  ({ base } = await h.startApi({ auth: { mode: 'on', adminKeys: [ADMIN] } }));

  const [a, b, revoked] = [await createdKey('client-a'), await createdKey('client-b'), await createdKey('client-a')];
  assert.equal((await call('DELETE', `/v1/api-keys/${revoked.id}`, ADMIN)).status, 200);
  const endpoint = async (key: string, clientId: string, auth: object) => {
    const response = await call('POST', '/v1/endpoints', key, { clientId, kind: 'custom', url: receiver.url, events: ['*'], auth });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as string;
  };
  const endpointA = await endpoint(a.key, 'client-a', { type: 'none' });
  const endpointB = await endpoint(b.key, 'client-b', { type: 'hmac' });
  const callB = `call-b-${Date.now()}`;
  const accepted = await call('POST', '/v1/events', b.key, { eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: callB, clientId: 'client-b' } } });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const deliveryB = await eventually(async () => {
    const log = await call('GET', `/v1/calls/${callB}/deliveries`, b.key);
    return log.body.data?.[0]?.status === 'succeeded' ? (log.body.data[0].id as string) : undefined;
  }, "client B's delivery");
  const link = async (clientId: string, capabilities: 'read' | 'manage') => {
    const response = await call('POST', '/v1/portal-links', ADMIN, { clientId, capabilities });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body as { id: string; token: string; expiresAt: string };
  };
  const [manageA, readA, revokedLinkA, linkB] = [await link('client-a', 'manage'), await link('client-a', 'read'), await link('client-a', 'manage'), await link('client-b', 'manage')];
  assert.equal((await call('DELETE', `/v1/portal-links/${revokedLinkA.id}`, ADMIN)).status, 200);
  // Tokens that must not work: signed by this callhook but expired; signed with another key of the same id; one
  // whose claims were changed (client B) and re-signed with a guessed key; alg none; and a revoked link's.
  const ours = new PortalTokens(TEST_SECRETS_KEY_RING);
  const claims = { linkId: manageA.id, clientId: 'client-a', capabilities: 'manage' as const, theme: null };
  const expired = await ours.sign({ ...claims, expiresAt: new Date(Date.now() - 60_000) });
  const otherRing = KeyRing.parse(KeyRing.generateText(TEST_SECRETS_KEY_RING.keys[0]!.id));
  const forged = await new PortalTokens(otherRing).sign({ ...claims, expiresAt: new Date(Date.now() + 3_600_000) });
  const [header, payload] = manageA.token.split('.') as [string, string, string];
  const changed = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'client-b' })).toString('base64url');
  const resigned = `${header}.${changed}.${forged.split('.')[2]}`;
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: TEST_SECRETS_KEY_RING.keys[0]!.id })).toString('base64url')}.${payload}.sig`;
  const portalBroken = [
    { what: 'an expired portal token', token: expired, code: 'portal_link_expired' },
    { what: 'a forged portal token', token: forged, code: 'unauthorized' },
    { what: 'a re-signed portal token', token: resigned, code: 'unauthorized' },
    { what: 'an alg-none portal token', token: none, code: 'unauthorized' },
    { what: 'a revoked portal link', token: revokedLinkA.token, code: 'unauthorized' },
  ];
  f = {
    keyA: a.key,
    keyB: b.key,
    keyBId: b.id,
    revokedA: revoked.key,
    endpointA,
    endpointB,
    eventB: accepted.body.id,
    callB,
    deliveryB,
    portalManageA: manageA.token,
    portalReadA: readA.token,
    portalBroken,
    portalLinkBId: linkB.id,
  };
});

after(async () => {
  await h?.stop();
});

/**
 * Who may call what. `clientA`: the status client A's key gets against client B's objects (404:
 * B's object looks like none; 403: a body or query naming B, or an admin-only route; a 2xx: a
 * route with nothing client-specific, `check` says what A must not see). `admin`: the status an
 * admin key gets for the same request. `last`: changes what other rows use, so runs at the end.
 */
interface Row {
  path: () => string;
  body?: () => unknown;
  clientA: number;
  admin: number;
  check?: (body: any) => void;
  last?: boolean;
}

const eventOfB = () => ({ eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId: f.callB, clientId: 'client-b' } } });
const since = () => new Date(Date.now() - 3_600_000).toISOString();

const table: Record<string, Row> = {
  'POST /v1/events': { path: () => '/v1/events', body: eventOfB, clientA: 403, admin: 202 },
  // Each event of a batch is answered on its own: one naming another client is refused (forbidden), and nothing is stored.
  'POST /v1/events/batch': {
    path: () => '/v1/events/batch',
    body: () => ({ events: [eventOfB()] }),
    clientA: 200,
    admin: 200,
    check: (body: { accepted: number; results: { status: string; error?: { code: string } }[] }) => {
      assert.equal(body.accepted, 0);
      assert.equal(body.results[0]?.status, 'refused');
      assert.equal(body.results[0]?.error?.code, 'forbidden');
    },
  },
  'GET /v1/events/{id}': { path: () => `/v1/events/${f.eventB}`, clientA: 404, admin: 200 },
  'GET /v1/calls/{callId}/deliveries': { path: () => `/v1/calls/${f.callB}/deliveries`, clientA: 404, admin: 200 },
  'POST /v1/calls/{callId}/redeliver': { path: () => `/v1/calls/${f.callB}/redeliver`, body: () => ({}), clientA: 404, admin: 202 },
  // Erases B's call (its events, its workflow stopped): the other rows read it first.
  'DELETE /v1/calls/{callId}/content': { path: () => `/v1/calls/${f.callB}/content`, clientA: 404, admin: 200, last: true },
  'POST /v1/endpoints': {
    path: () => '/v1/endpoints',
    body: () => ({ clientId: 'client-b', kind: 'custom', url: receiver.url, events: ['*'] }),
    clientA: 403,
    admin: 201,
  },
  'GET /v1/endpoints': {
    path: () => '/v1/endpoints',
    clientA: 200,
    admin: 200,
    check: (body: { data: { id: string; clientId: string }[] }) => {
      assert.ok(body.data.every((e) => e.clientId === 'client-a'), "client A lists only its own endpoints");
      assert.ok(body.data.some((e) => e.id === f.endpointA));
    },
  },
  'GET /v1/endpoints/{id}': { path: () => `/v1/endpoints/${f.endpointB}`, clientA: 404, admin: 200 },
  'PATCH /v1/endpoints/{id}': { path: () => `/v1/endpoints/${f.endpointB}`, body: () => ({ description: 'changed' }), clientA: 404, admin: 200 },
  'DELETE /v1/endpoints/{id}': { path: () => `/v1/endpoints/${f.endpointB}`, clientA: 404, admin: 200, last: true },
  'POST /v1/endpoints/{id}/rotate-secret': { path: () => `/v1/endpoints/${f.endpointB}/rotate-secret`, clientA: 404, admin: 200 },
  // Listed one after the other in the document: B's endpoint is paused, then resumed before any later row delivers to it.
  'POST /v1/endpoints/{id}/pause': { path: () => `/v1/endpoints/${f.endpointB}/pause`, clientA: 404, admin: 200 },
  'POST /v1/endpoints/{id}/resume': { path: () => `/v1/endpoints/${f.endpointB}/resume`, body: () => ({}), clientA: 404, admin: 200 },
  'POST /v1/endpoints/{id}/recover': { path: () => `/v1/endpoints/${f.endpointB}/recover`, body: () => ({ since: since() }), clientA: 404, admin: 202 },
  'POST /v1/endpoints/{id}/test': { path: () => `/v1/endpoints/${f.endpointB}/test`, clientA: 404, admin: 200 },
  'POST /v1/endpoints/{id}/test-filter': {
    path: () => `/v1/endpoints/${f.endpointB}/test-filter`,
    body: () => ({ eventType: 'OUTBOUND_CALL_ERROR', filter: { eventType: 'OUTBOUND_CALL_ERROR' } }),
    clientA: 404,
    admin: 200,
  },
  'GET /v1/endpoints/{id}/deliveries': { path: () => `/v1/endpoints/${f.endpointB}/deliveries`, clientA: 404, admin: 200 },
  'POST /v1/deliveries/{id}/retry': { path: () => `/v1/deliveries/${f.deliveryB}/retry`, clientA: 404, admin: 409 /* it succeeded: nothing to retry */ },
  'GET /v1/event-types': { path: () => '/v1/event-types', clientA: 200, admin: 200 },
  'GET /v1/event-types/{name}': { path: () => '/v1/event-types/OUTBOUND_CALL_ERROR', clientA: 200, admin: 200 },
  // The catalog is shared by every client: only admins change it.
  'POST /v1/event-types': {
    path: () => '/v1/event-types',
    body: () => ({ name: 'TENANCY_TYPE', description: 'x', schema: {}, example: { data: { callId: 'c', clientId: 'k' } } }),
    clientA: 403,
    admin: 201,
  },
  'PATCH /v1/event-types/{name}': { path: () => '/v1/event-types/TENANCY_TYPE', body: () => ({ description: 'changed' }), clientA: 403, admin: 200 },
  'DELETE /v1/event-types/{name}': { path: () => '/v1/event-types/TENANCY_TYPE', clientA: 403, admin: 200 },
  'GET /v1/signing-key': { path: () => '/v1/signing-key', clientA: 200, admin: 200 },
  'GET /v1/signing-keys': { path: () => '/v1/signing-keys', clientA: 200, admin: 200 },
  'POST /v1/signing-keys/rotate': { path: () => '/v1/signing-keys/rotate', clientA: 403, admin: 201 },
  'POST /v1/api-keys': { path: () => '/v1/api-keys', body: () => ({ kind: 'client', clientId: 'client-a', name: 'more' }), clientA: 403, admin: 201 },
  'GET /v1/api-keys': { path: () => '/v1/api-keys', clientA: 403, admin: 200 },
  'DELETE /v1/api-keys/{id}': { path: () => `/v1/api-keys/${f.keyBId}`, clientA: 403, admin: 200, last: true },
  'POST /v1/portal-links': { path: () => '/v1/portal-links', body: () => ({ clientId: 'client-b', capabilities: 'read' }), clientA: 403, admin: 201 },
  'GET /v1/portal-links': { path: () => '/v1/portal-links', clientA: 403, admin: 200 },
  'DELETE /v1/portal-links/{id}': { path: () => `/v1/portal-links/${f.portalLinkBId}`, clientA: 403, admin: 200, last: true },
  'GET /v1/me': {
    path: () => '/v1/me',
    clientA: 200,
    admin: 200,
    check: (body: { role: string; clientId: string; authRequired: boolean }) =>
      assert.deepEqual({ role: body.role, clientId: body.clientId, authRequired: body.authRequired }, { role: 'client', clientId: 'client-a', authRequired: true }),
  },
  'GET /v1/calls/{callId}': { path: () => `/v1/calls/${f.callB}`, clientA: 404, admin: 200 },
  'GET /v1/endpoints/{id}/health': { path: () => `/v1/endpoints/${f.endpointB}/health`, clientA: 404, admin: 200 },
  'GET /v1/endpoint-health': { path: () => '/v1/endpoint-health?clientId=client-b', clientA: 403, admin: 200 },
};
/** Routes outside /v1, open to all: liveness, readiness, metrics, this document. */
const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /openapi.json']);

async function documentedRoutes(): Promise<string[]> {
  const document = (await call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
}

/** Every row of every table, as text (api_keys without last_used_at, which a key's use updates). */
async function databaseDigest(): Promise<string> {
  const { rows } = await h.db.pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const parts: string[] = [];
  for (const { table_name: table } of rows) {
    const projection = table === 'api_keys' ? 'id, kind, client_id, name, key_hash, revoked_at' : '*';
    const dump = await h.db.pool.query<{ digest: string | null; n: number }>(
      `SELECT md5(string_agg(row_to_json(t)::text, ',' ORDER BY row_to_json(t)::text)) AS digest, count(*)::int AS n FROM (SELECT ${projection} FROM ${table}) t`,
    );
    parts.push(`${table}:${dump.rows[0]!.n}:${dump.rows[0]!.digest}`);
  }
  return parts.join('\n');
}

test('every documented route is in the access table, and every row of the table is documented', async () => {
  const documented = await documentedRoutes();
  const missing = documented.filter((route) => !(route in table) && !PUBLIC.has(route));
  assert.deepEqual(missing, [], 'routes without a row in the access table: say who may call them');
  const stale = [...Object.keys(table), ...PUBLIC].filter((route) => !documented.includes(route));
  assert.deepEqual(stale, [], 'rows for routes the API no longer documents');
});

test('no key, a wrong key or a revoked key: every /v1 route answers 401 and changes nothing', async () => {
  const digest = await databaseDigest();
  for (const route of await documentedRoutes()) {
    if (PUBLIC.has(route)) continue;
    const row = table[route]!;
    const method = route.split(' ')[0]!;
    for (const key of [undefined, 'chk_not-a-key-0123456789abcdef0123456789abcdef', f.revokedA]) {
      const response = await call(method, row.path(), key, row.body?.());
      assert.equal(response.status, 401, `${route} with ${key === undefined ? 'no key' : key === f.revokedA ? 'a revoked key' : 'a wrong key'}`);
      assert.equal(response.body.error.code, 'unauthorized');
    }
  }
  assert.equal(await databaseDigest(), digest, 'refused requests changed the database');
});

test('portal tokens that must not work (expired, forged, re-signed, alg none, revoked): every /v1 route answers 401 and changes nothing', async () => {
  const digest = await databaseDigest();
  for (const route of await documentedRoutes()) {
    if (PUBLIC.has(route)) continue;
    const row = table[route]!;
    for (const { what, token, code } of f.portalBroken) {
      const response = await call(route.split(' ')[0]!, row.path(), token, row.body?.());
      assert.equal(response.status, 401, `${route} with ${what}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, code, `${route} with ${what}`);
    }
  }
  assert.equal(await databaseDigest(), digest, 'refused requests changed the database');
});

test("a manage portal link of client A acts exactly as client A's key: B's objects 404 or 403, and nothing changes", async () => {
  const digest = await databaseDigest();
  for (const route of await documentedRoutes()) {
    if (PUBLIC.has(route)) continue;
    const row = table[route]!;
    const response = await call(route.split(' ')[0]!, row.path(), f.portalManageA, row.body?.());
    assert.equal(response.status, row.clientA, `${route}: ${JSON.stringify(response.body)}`);
    if (response.status === 403) assert.equal(response.body.error.code, 'forbidden');
    row.check?.(response.body);
  }
  assert.equal(await databaseDigest(), digest, "the portal link's requests changed the database");
  // A's own objects: readable and changeable.
  assert.equal((await call('GET', `/v1/endpoints/${f.endpointA}`, f.portalManageA)).status, 200);
  assert.equal((await call('PATCH', `/v1/endpoints/${f.endpointA}`, f.portalManageA, { description: 'from the portal' })).status, 200);
  const me = await call('GET', '/v1/me', f.portalManageA);
  assert.deepEqual([me.body.role, me.body.clientId, me.body.portal.capabilities], ['client', 'client-a', 'manage']);
});

test('a read-only portal link reads what client A may read, and every write answers 403 read_only_link', async () => {
  const digest = await databaseDigest();
  for (const route of await documentedRoutes()) {
    if (PUBLIC.has(route)) continue;
    const row = table[route]!;
    const method = route.split(' ')[0]!;
    const response = await call(method, row.path(), f.portalReadA, row.body?.());
    if (method === 'GET') {
      assert.equal(response.status, row.clientA, `${route}: ${JSON.stringify(response.body)}`);
      row.check?.(response.body);
    } else {
      assert.equal(response.status, 403, `${route}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, 'read_only_link', route);
    }
  }
  // Its own client's objects too: readable, not changeable.
  assert.equal((await call('GET', `/v1/endpoints/${f.endpointA}`, f.portalReadA)).status, 200);
  assert.equal((await call('PATCH', `/v1/endpoints/${f.endpointA}`, f.portalReadA, { description: 'no' })).status, 403);
  assert.equal(await databaseDigest(), digest, 'the read-only link changed the database');
});

test("client A's key against client B's objects: 404 (never their existence) or 403, and nothing changes", async () => {
  const digest = await databaseDigest();
  for (const route of await documentedRoutes()) {
    if (PUBLIC.has(route)) continue;
    const row = table[route]!;
    const response = await call(route.split(' ')[0]!, row.path(), f.keyA, row.body?.());
    assert.equal(response.status, row.clientA, `${route}: ${JSON.stringify(response.body)}`);
    if (response.status === 404) {
      assert.equal(response.body.error.code, 'not_found');
      // The message names what was asked for, nothing B's object would add (its client, its url).
      assert.ok(!JSON.stringify(response.body).includes('client-b'), `${route} reveals client B`);
      assert.ok(!JSON.stringify(response.body).includes(receiver.url), `${route} reveals B's url`);
    }
    if (response.status === 403) assert.equal(response.body.error.code, 'forbidden');
    row.check?.(response.body);
  }
  // A query naming another client is refused as well.
  assert.equal((await call('GET', '/v1/endpoints?clientId=client-b', f.keyA)).status, 403);
  assert.equal(await databaseDigest(), digest, "client A's requests changed the database");
  // A's own objects stay reachable with A's key.
  assert.equal((await call('GET', `/v1/endpoints/${f.endpointA}`, f.keyA)).status, 200);
});

test('an admin key reaches every route, for every client', async () => {
  const routes = (await documentedRoutes()).filter((route) => !PUBLIC.has(route));
  const ordered = [...routes.filter((r) => !table[r]!.last), ...routes.filter((r) => table[r]!.last)];
  for (const route of ordered) {
    const row = table[route]!;
    const response = await call(route.split(' ')[0]!, row.path(), ADMIN, row.body?.());
    assert.equal(response.status, row.admin, `${route}: ${JSON.stringify(response.body)}`);
  }
  const all = await call('GET', '/v1/endpoints', ADMIN);
  assert.ok(all.body.data.some((e: { clientId: string }) => e.clientId === 'client-a'));
});

test('public routes answer without a key', async () => {
  for (const route of PUBLIC) assert.equal((await call('GET', route.split(' ')[1]!)).status, 200, route);
});

test("an event naming another client than its call's is refused and stored nowhere", async () => {
  const response = await call('POST', '/v1/events', ADMIN, { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId: f.callB, clientId: 'client-a' } } });
  assert.equal(response.status, 409);
  assert.equal(response.body.error.code, 'call_of_another_client');
  const stored = await h.db.pool.query("SELECT 1 FROM events WHERE call_id = $1 AND client_id = 'client-a'", [f.callB]);
  assert.equal(stored.rowCount, 0);
});
