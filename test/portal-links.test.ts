/**
 * Portal links: create, list, revoke (at once here, within 5 s in another API process), the
 * token as a client's key, bad input, and who may frame the page. The tenancy walk of every route
 * with portal tokens is in test/tenancy.test.ts; the page in a frame, in test/webhooks-page.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pageContentSecurityPolicy } from '../src/api/routes/webhooks-page';
import { eventually } from './helpers/eventually';
import { Harness } from './helpers/harness';

const ADMIN = 'portal-admin-key-0123456789abcdef';

let h: Harness;
/** Two API processes with keys required (their own caches), as two replicas would be. */
let one: string;
let two: string;

async function call(base: string, method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  // any: whatever the route answers; each check reads the fields it expects.
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

before(async () => {
  h = await Harness.start();
  const overrides = { auth: { mode: 'on' as const, adminKeys: [ADMIN] }, portal: { ...h.appDeps.portal!, frameAncestors: ['https://dashboard.example.com'] } };
  ({ base: one } = await h.startApi(overrides));
  ({ base: two } = await h.startApi(overrides));
});
after(async () => {
  await h?.stop();
});

describe('portal links', () => {
  test('an admin creates a link: its URL carries the token in the fragment; the token acts as the client', async () => {
    const created = await call(one, 'POST', '/v1/portal-links', ADMIN, { clientId: 'client-p', capabilities: 'manage', theme: { title: 'Acme', accentColor: '#0b7a75' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id, url, token, expiresAt } = created.body;
    assert.match(id, /^pl_/);
    assert.equal(url, `${one}/#portal=${token}`);
    const lifetime = Date.parse(expiresAt) - Date.now();
    assert.ok(lifetime > 3_500_000 && lifetime <= 3_600_000, `expires in about an hour: ${lifetime}`);
    const me = await call(one, 'GET', '/v1/me', token);
    assert.equal(me.status, 200);
    assert.deepEqual([me.body.role, me.body.clientId, me.body.portal.capabilities, me.body.portal.theme.title], ['client', 'client-p', 'manage', 'Acme']);
    // It writes as the client, and only for it.
    const endpoint = await call(one, 'POST', '/v1/endpoints', token, { clientId: 'client-p', kind: 'custom', url: 'https://example.com/hook', events: ['*'] });
    assert.equal(endpoint.status, 201);
    assert.equal((await call(one, 'POST', '/v1/endpoints', token, { clientId: 'client-q', kind: 'custom', url: 'https://example.com/hook', events: ['*'] })).status, 403);
    assert.equal((await call(one, 'GET', '/v1/portal-links', token)).status, 403, 'a portal link manages no links');
    // The other API process takes it too (same key ring).
    assert.equal((await call(two, 'GET', `/v1/endpoints/${endpoint.body.id}`, token)).status, 200);
  });

  test('lists the live links of a client; a revoked link stops at once here and within 5 s in the other process', async () => {
    const make = async (capabilities: string) => (await call(one, 'POST', '/v1/portal-links', ADMIN, { clientId: 'client-r', capabilities })).body;
    const [kept, revoked] = [await make('read'), await make('manage')];
    // Both work in both processes (the second process now has the link cached as not revoked).
    for (const base of [one, two]) for (const link of [kept, revoked]) assert.equal((await call(base, 'GET', '/v1/me', link.token)).status, 200);
    const listed = await call(one, 'GET', '/v1/portal-links?clientId=client-r', ADMIN);
    assert.deepEqual(listed.body.data.map((l: { id: string }) => l.id).sort(), [kept.id, revoked.id].sort());
    assert.ok(listed.body.data.every((l: object) => !('token' in l)), 'tokens are shown once, at creation');

    const revokedAt = Date.now();
    const response = await call(one, 'DELETE', `/v1/portal-links/${revoked.id}`, ADMIN);
    assert.equal(response.status, 200);
    assert.ok(response.body.revokedAt);
    assert.equal((await call(one, 'GET', '/v1/me', revoked.token)).status, 401, 'at once in the process that revoked it');
    await eventually(async () => ((await call(two, 'GET', '/v1/me', revoked.token)).status === 401 ? true : undefined), 'the other process refuses it', 7_000, 100);
    assert.ok(Date.now() - revokedAt <= 5_500, `refused after ${Date.now() - revokedAt} ms`);
    assert.equal((await call(two, 'GET', '/v1/me', kept.token)).status, 200, 'the other link still works');
    assert.deepEqual((await call(one, 'GET', '/v1/portal-links?clientId=client-r', ADMIN)).body.data.map((l: { id: string }) => l.id), [kept.id]);
    assert.equal((await call(one, 'DELETE', '/v1/portal-links/pl_nosuchlink', ADMIN)).status, 404);
  });

  test('bad input is a 400 and creates nothing', async () => {
    const before = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM portal_links');
    for (const body of [
      { clientId: 'client-s', capabilities: 'write' },
      { clientId: 'client-s', expiresIn: 8 * 24 * 3_600 },
      { clientId: 'client-s', expiresIn: 10 },
      { clientId: '' },
      { clientId: 'client-s', theme: { accentColor: 'red' } },
      { clientId: 'client-s', theme: { logoUrl: 'http://insecure.example/logo.png' } },
      { clientId: 'client-s', surplus: true },
    ]) {
      const response = await call(one, 'POST', '/v1/portal-links', ADMIN, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'invalid_request');
    }
    const after = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM portal_links');
    assert.equal(after.rows[0]!.n, before.rows[0]!.n);
  });

  test('the page may be framed by PORTAL_FRAME_ANCESTORS only, by no one without it', async () => {
    const framed = await fetch(`${one}/`);
    assert.equal(framed.headers.get('content-security-policy'), pageContentSecurityPolicy(['https://dashboard.example.com']));
    assert.match(framed.headers.get('content-security-policy')!, /frame-ancestors https:\/\/dashboard\.example\.com;/);
    assert.equal(framed.headers.get('referrer-policy'), 'no-referrer');
    const closed = await fetch(`${h.baseUrl}/`);
    assert.match(closed.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
  });
});
