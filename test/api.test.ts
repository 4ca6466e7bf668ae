import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { closeServer, listen } from '../src/process/http-server';
import { getEndpoint } from '../src/db/endpoints-repo';
import { Harness, type ApiResponse } from './helpers/harness';
import { Receiver } from './helpers/receiver';

let h: Harness;
let n = 0;
/** Each test has its own client and call, so nothing one test writes is seen by another. */
const ids = () => {
  n++;
  return { clientId: `client-a${n}`, callId: `call-a${n}-${Date.now()}` };
};
const UNKNOWN_EP = `ep_${'0'.repeat(32)}`;

before(async () => {
  h = await Harness.start();
});
after(async () => {
  await h?.stop();
});

interface Counts {
  endpoints: number;
  events: number;
  deliveries: number;
}

async function counts(): Promise<Counts> {
  const { rows } = await h.db.pool.query<Counts>(
    `SELECT (SELECT count(*)::int FROM endpoints) AS endpoints,
            (SELECT count(*)::int FROM events) AS events,
            (SELECT count(*)::int FROM deliveries) AS deliveries`,
  );
  return rows[0]!;
}

/** Asserts the JSON error shape, the exact status and code; returns the error's details. */
function assertError(response: ApiResponse, status: number, code: string): { path: string; message: string }[] | null {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(response.body), ['error']);
  assert.deepEqual(Object.keys(response.body.error).sort(), ['code', 'details', 'message']);
  assert.equal(response.body.error.code, code);
  assert.equal(typeof response.body.error.message, 'string');
  assert.ok(response.body.error.message.length > 0);
  return response.body.error.details;
}

/** Sends a request that must fail with `status`/`code` and write nothing. Returns the error's details. */
async function rejected(
  method: string,
  path: string,
  body: unknown,
  status: number,
  code: string,
  headers: Record<string, string> = {},
): Promise<{ path: string; message: string }[] | null> {
  const before = await counts();
  const response = await h.api(method, path, body, headers);
  const details = assertError(response, status, code);
  assert.deepEqual(await counts(), before, `${method} ${path} wrote rows`);
  return details;
}

/** The paths named by a 400's details. */
const paths = (details: { path: string }[] | null) => (details ?? []).map((d) => d.path);

async function assertNoWorkflow(callId: string): Promise<void> {
  await assert.rejects(h.env.client.workflow.getHandle(callId).describe(), WorkflowNotFoundError);
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const endpointBody = (clientId: string, extra: Record<string, unknown> = {}) => ({
  clientId,
  kind: 'custom',
  url: 'https://example.com/hook',
  events: ['*'],
  ...extra,
});

describe('POST /v1/endpoints rejects bad input and writes nothing', () => {
  const cases: [string, (clientId: string) => unknown, string[]][] = [
    ['missing fields', () => ({}), ['body.clientId', 'body.kind', 'body.events']],
    ['unknown kind', (c) => endpointBody(c, { kind: 'sms' }), ['body.kind']],
    ['unknown event type', (c) => endpointBody(c, { events: ['CALL_EXPLODED'] }), ['body.events.0']],
    ['"*" mixed with others', (c) => endpointBody(c, { events: ['*', 'OUTBOUND_CALL_CALLING'] }), ['body.events']],
    [
      'duplicate events',
      (c) => endpointBody(c, { events: ['OUTBOUND_CALL_CALLING', 'OUTBOUND_CALL_CALLING'] }),
      ['body.events'],
    ],
    ['empty events', (c) => endpointBody(c, { events: [] }), ['body.events']],
    ['url not a URL', (c) => endpointBody(c, { url: 'not a url' }), ['body.url']],
    ['url with ftp scheme', (c) => endpointBody(c, { url: 'ftp://example.com/hook' }), ['body.url']],
    ['email kind without email', (c) => ({ clientId: c, kind: 'email', events: ['*'] }), ['body.email']],
    ['email kind with a url', (c) => ({ clientId: c, kind: 'email', email: 'ops@example.com', url: 'https://example.com', events: ['*'] }), ['body.url']],
    ['custom kind without url', (c) => ({ clientId: c, kind: 'custom', events: ['*'] }), ['body.url']],
    ['custom kind with email', (c) => endpointBody(c, { email: 'ops@example.com' }), ['body.email']],
    [
      'slack with bearer auth',
      (c) => endpointBody(c, { kind: 'slack', auth: { type: 'bearer', token: 'long-enough-token' } }),
      ['body.auth'],
    ],
    ['unknown extra field', (c) => endpointBody(c, { colour: 'blue' }), ['body']],
    ['bearer token too short', (c) => endpointBody(c, { auth: { type: 'bearer', token: 'short' } }), ['body.auth.token']],
    ['unknown auth type', (c) => endpointBody(c, { auth: { type: 'magic' } }), ['body.auth.type']],
    ['clientId empty', (c) => endpointBody(c, { clientId: '' }), ['body.clientId']],
    ['active not a boolean', (c) => endpointBody(c, { active: 'yes' }), ['body.active']],
    ['body is an array', () => [], ['body']],
  ];
  for (const [name, body, expectedPaths] of cases) {
    test(name, async () => {
      const { clientId } = ids();
      const details = await rejected('POST', '/v1/endpoints', body(clientId), 400, 'invalid_request');
      for (const p of expectedPaths) assert.ok(paths(details).includes(p), `details ${JSON.stringify(details)} lack ${p}`);
    });
  }

  test('the unknown field is named in the message', async () => {
    const { clientId } = ids();
    await rejected('POST', '/v1/endpoints', endpointBody(clientId, { colour: 'blue' }), 400, 'invalid_request');
    const response = await h.api('POST', '/v1/endpoints', endpointBody(clientId, { colour: 'blue' }));
    assert.match(response.body.error.message, /colour/);
  });

  test('no body at all → 400', async () => {
    await rejected('POST', '/v1/endpoints', undefined, 400, 'invalid_request');
  });

  test('non-JSON content-type → 415', async () => {
    const { clientId } = ids();
    const json = JSON.stringify(endpointBody(clientId));
    await rejected('POST', '/v1/endpoints', json, 415, 'unsupported_media_type', { 'content-type': 'text/plain' });
    await rejected('POST', '/v1/endpoints', 'clientId=x&kind=custom', 415, 'unsupported_media_type', {
      'content-type': 'application/x-www-form-urlencoded',
    });
  });

  test('malformed JSON → 400 invalid_json', async () => {
    await rejected('POST', '/v1/endpoints', '{"clientId": "x", ', 400, 'invalid_json');
    // strict: a bare JSON string is not a request body
    await rejected('POST', '/v1/endpoints', '"just a string"', 400, 'invalid_json');
  });

  test('body over the limit → 413', async () => {
    const { clientId } = ids();
    const big = endpointBody(clientId, { description: 'x'.repeat(70_000) });
    await rejected('POST', '/v1/endpoints', big, 413, 'payload_too_large');
  });

  test('a secret in a rejected body is not echoed back', async () => {
    const { clientId } = ids();
    const token = 'secret-token-never-echoed';
    const response = await h.api('POST', '/v1/endpoints', endpointBody(clientId, { kind: 'slack', auth: { type: 'bearer', token } }));
    assertError(response, 400, 'invalid_request');
    assert.ok(!JSON.stringify(response.body).includes(token));
  });
});

describe('/v1/endpoints/:id with bad ids', () => {
  test('malformed id → 400 for GET, PATCH and DELETE', async () => {
    for (const id of ['nope', 'ep_123', `ep_${'A'.repeat(32)}`, `ep_${'0'.repeat(33)}`]) {
      assert.ok(paths(await rejected('GET', `/v1/endpoints/${id}`, undefined, 400, 'invalid_request')).includes('path.id'));
      await rejected('PATCH', `/v1/endpoints/${id}`, { description: 'x' }, 400, 'invalid_request');
      await rejected('DELETE', `/v1/endpoints/${id}`, undefined, 400, 'invalid_request');
    }
  });

  test('unknown well-formed id → 404 for GET, PATCH and DELETE', async () => {
    await rejected('GET', `/v1/endpoints/${UNKNOWN_EP}`, undefined, 404, 'not_found');
    await rejected('PATCH', `/v1/endpoints/${UNKNOWN_EP}`, { description: 'x' }, 404, 'not_found');
    await rejected('DELETE', `/v1/endpoints/${UNKNOWN_EP}`, undefined, 404, 'not_found');
  });

  test('a malformed percent-encoding in the path → 400, not 500', async () => {
    await rejected('GET', '/v1/endpoints/%E0%A4%A', undefined, 400, 'bad_request');
    await rejected('GET', '/v1/calls/%ZZ/deliveries', undefined, 400, 'bad_request');
  });
});

describe('PATCH /v1/endpoints/:id rejects bad input and leaves the endpoint unchanged', () => {
  let id: string;
  let original: unknown;
  before(async () => {
    const { clientId } = ids();
    id = await h.createEndpoint({ clientId, url: 'https://example.com/a', description: 'original' });
    original = (await h.api('GET', `/v1/endpoints/${id}`)).body;
  });

  const cases: [string, unknown, number, string][] = [
    ['no body', undefined, 400, 'invalid_request'],
    ['empty object', {}, 400, 'invalid_request'],
    ['unknown field', { colour: 'blue' }, 400, 'invalid_request'],
    ['a field that cannot change (clientId)', { clientId: 'someone-else' }, 400, 'invalid_request'],
    ['a field that cannot change (kind)', { kind: 'slack' }, 400, 'invalid_request'],
    ['url not a URL', { url: 'not a url' }, 400, 'invalid_request'],
    ['url null', { url: null }, 400, 'invalid_request'],
    ['email on a custom endpoint', { email: 'ops@example.com' }, 400, 'invalid_request'],
    ['empty events', { events: [] }, 400, 'invalid_request'],
    ['token too short', { auth: { type: 'bearer', token: 'short' } }, 400, 'invalid_request'],
    ['valid field with an unknown one', { description: 'changed', colour: 'blue' }, 400, 'invalid_request'],
    ['malformed JSON', '{"description": ', 400, 'invalid_json'],
    ['non-JSON content-type', 'description=changed', 415, 'unsupported_media_type'],
  ];
  for (const [name, body, status, code] of cases) {
    test(name, async () => {
      const headers: Record<string, string> = status === 415 ? { 'content-type': 'text/plain' } : {};
      await rejected('PATCH', `/v1/endpoints/${id}`, body, status, code, headers);
      assert.deepEqual((await h.api('GET', `/v1/endpoints/${id}`)).body, original);
    });
  }

  test('cross-field rules apply to the merged endpoint (slack + bearer)', async () => {
    const { clientId } = ids();
    const slack = await h.createEndpoint({ clientId, kind: 'slack', url: 'https://hooks.slack.example/x' });
    const before = (await h.api('GET', `/v1/endpoints/${slack}`)).body;
    const details = await rejected(
      'PATCH',
      `/v1/endpoints/${slack}`,
      { auth: { type: 'bearer', token: 'long-enough-token' } },
      400,
      'invalid_request',
    );
    assert.deepEqual(paths(details), ['body.auth']);
    assert.deepEqual((await h.api('GET', `/v1/endpoints/${slack}`)).body, before);
  });
});

describe('GET /v1/endpoints with a bad query', () => {
  for (const query of ['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'limit=-1', 'limit=1&limit=2', 'colour=blue', 'clientId=']) {
    test(query, async () => {
      const details = await rejected('GET', `/v1/endpoints?${query}`, undefined, 400, 'invalid_request');
      assert.ok(paths(details).every((p) => p.startsWith('query')), JSON.stringify(details));
    });
  }
});

describe('POST /v1/events rejects bad input: no events row, no workflow', () => {
  const cases: [string, (c: { clientId: string; callId: string }) => unknown, string][] = [
    ['malformed eventType', (c) => ({ eventType: 'call exploded', body: { data: c } }), 'body.eventType'],
    ['missing eventType', (c) => ({ body: { data: c } }), 'body.eventType'],
    ['missing body.data.callId', (c) => ({ eventType: 'OUTBOUND_CALL_CALLING', body: { data: { clientId: c.clientId } } }), 'body.body.data.callId'],
    ['missing clientId', (c) => ({ eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId: c.callId } } }), 'body.body.data.clientId'],
    [
      'bad callId characters',
      (c) => ({ eventType: 'OUTBOUND_CALL_CALLING', body: { data: { ...c, callId: `${c.callId} bad/chars` } } }),
      'body.body.data.callId',
    ],
    ['bad occurredAt', (c) => ({ eventType: 'OUTBOUND_CALL_CALLING', occurredAt: 'yesterday', body: { data: c } }), 'body.occurredAt'],
    [
      'errors not an array',
      (c) => ({ eventType: 'OUTBOUND_CALL_ERROR', body: { data: c, errors: { code: 'X', message: 'y' } } }),
      'body.body.errors',
    ],
    [
      'an error without a code',
      (c) => ({ eventType: 'OUTBOUND_CALL_ERROR', body: { data: c, errors: [{ message: 'y' }] } }),
      'body.body.errors.0.code',
    ],
    ['unknown top-level field', (c) => ({ eventType: 'OUTBOUND_CALL_CALLING', colour: 'blue', body: { data: c } }), 'body'],
    ['unknown field in body', (c) => ({ eventType: 'OUTBOUND_CALL_CALLING', body: { data: c, extra: 1 } }), 'body.body'],
    ['id with spaces', (c) => ({ id: 'evt with spaces', eventType: 'OUTBOUND_CALL_CALLING', body: { data: c } }), 'body.id'],
    ['missing body', () => ({ eventType: 'OUTBOUND_CALL_CALLING' }), 'body.body'],
  ];
  for (const [name, body, expectedPath] of cases) {
    test(name, async () => {
      const c = ids();
      const details = await rejected('POST', '/v1/events', body(c), 400, 'invalid_request');
      assert.ok(paths(details).includes(expectedPath), `details ${JSON.stringify(details)} lack ${expectedPath}`);
      await assertNoWorkflow(c.callId);
    });
  }

  test('a type the catalog does not have, or a system type → 422, and nothing stored', async () => {
    for (const eventType of ['CALL_EXPLODED', 'WEBHOOK_DELIVERY_FAILED', 'WEBHOOK_TEST']) {
      const c = ids();
      const details = await rejected('POST', '/v1/events', { eventType, body: { data: c } }, 422, eventType === 'CALL_EXPLODED' ? 'unknown_event_type' : 'system_event_type');
      assert.deepEqual(paths(details), ['body.eventType']);
      await assertNoWorkflow(c.callId);
    }
  });

  test('non-JSON, malformed JSON and oversized bodies', async () => {
    const c = ids();
    const good = { eventType: 'OUTBOUND_CALL_CALLING', body: { data: c } };
    await rejected('POST', '/v1/events', JSON.stringify(good), 415, 'unsupported_media_type', { 'content-type': 'text/plain' });
    await rejected('POST', '/v1/events', JSON.stringify(good).slice(0, -3), 400, 'invalid_json');
    const big = { ...good, body: { data: { ...c, blob: 'x'.repeat(70_000) } } };
    await rejected('POST', '/v1/events', big, 413, 'payload_too_large');
    await assertNoWorkflow(c.callId);
  });
});

describe('other routes with bad input', () => {
  test('GET /v1/events/:id unknown → 404, malformed → 400', async () => {
    await rejected('GET', '/v1/events/evt_does_not_exist', undefined, 404, 'not_found');
    await rejected('GET', '/v1/events/evt%20with%20spaces', undefined, 400, 'invalid_request');
  });

  test('GET /v1/calls/:callId/deliveries with bad characters → 400', async () => {
    const details = await rejected('GET', '/v1/calls/bad%20call/deliveries', undefined, 400, 'invalid_request');
    assert.deepEqual(paths(details), ['path.callId']);
    await rejected('GET', '/v1/calls/a%2Fb/deliveries', undefined, 400, 'invalid_request');
  });

  test('an unknown route → 404 JSON', async () => {
    await rejected('GET', '/v1/nope', undefined, 404, 'not_found');
    await rejected('POST', '/v1/nope', { a: 1 }, 404, 'not_found');
    await rejected('PUT', `/v1/endpoints/${UNKNOWN_EP}`, { description: 'x' }, 404, 'not_found');
    await rejected('DELETE', '/v1/endpoints', undefined, 404, 'not_found');
    // `/` is the Webhooks page (test/webhooks-page.test.ts); any other path outside /v1 is unknown.
    await rejected('GET', '/not-a-page', undefined, 404, 'not_found');
  });
});

describe('endpoints: the happy path', () => {
  test('create → 201 with id, timestamps, Location and the token in full only here', async () => {
    const { clientId } = ids();
    const token = 'tok_this-is-the-secret-42';
    const before = await counts();
    const created = await h.api(
      'POST',
      '/v1/endpoints',
      endpointBody(clientId, { auth: { type: 'bearer', token }, description: 'ops', events: ['OUTBOUND_CALL_COMPLETED'] }),
    );
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    assert.match(id, /^ep_[0-9a-f]{32}$/);
    assert.equal(created.headers.get('location'), `/v1/endpoints/${id}`);
    assert.deepEqual(created.body, {
      id,
      clientId,
      kind: 'custom',
      url: 'https://example.com/hook',
      email: null,
      events: ['OUTBOUND_CALL_COMPLETED'],
      auth: { type: 'bearer', token },
      description: 'ops',
      active: true,
      rateLimit: null,
      headers: [],
      filter: null,
      retry: null,
      tls: null,
      sendTraceparent: false,
      pausedAt: null,
      pausedBy: null,
      disabledReason: null,
      disabledAt: null,
      createdAt: created.body.createdAt,
      updatedAt: created.body.updatedAt,
    });
    assert.ok(!Number.isNaN(Date.parse(created.body.createdAt)));
    assert.equal(created.body.updatedAt, created.body.createdAt);
    assert.deepEqual(await counts(), { ...before, endpoints: before.endpoints + 1 });

    const fetched = await h.api('GET', `/v1/endpoints/${id}`);
    assert.equal(fetched.status, 200);
    const { auth: _auth, ...rest } = created.body;
    assert.deepEqual(fetched.body, { ...rest, auth: { type: 'bearer', tokenHint: '…t-42' } });
    const list = await h.api('GET', `/v1/endpoints?clientId=${clientId}`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { data: [fetched.body], nextCursor: null });
    for (const text of [JSON.stringify(fetched.body), JSON.stringify(list.body)]) assert.ok(!text.includes(token), text);
  });

  test('email, slack and teams endpoints; defaults', async () => {
    const { clientId } = ids();
    const email = await h.api('POST', '/v1/endpoints', { clientId, kind: 'email', email: 'ops@example.com', events: ['*'], active: false });
    assert.equal(email.status, 201);
    assert.equal(email.body.url, null);
    assert.equal(email.body.active, false);
    assert.deepEqual(email.body.auth, { type: 'none' });
    assert.equal(email.body.description, null);
    for (const kind of ['slack', 'teams']) {
      const r = await h.api('POST', '/v1/endpoints', endpointBody(clientId, { kind }));
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
  });

  test('list filters by clientId and pages with limit/after/nextCursor', async () => {
    const a = ids().clientId;
    const b = ids().clientId;
    const mine = [
      await h.createEndpoint({ clientId: a, url: 'https://example.com/1' }),
      await h.createEndpoint({ clientId: a, url: 'https://example.com/2' }),
      await h.createEndpoint({ clientId: a, url: 'https://example.com/3' }),
    ].sort();
    const theirs = await h.createEndpoint({ clientId: b, url: 'https://example.com/4' });

    const all = await h.api('GET', `/v1/endpoints?clientId=${a}`);
    assert.deepEqual(all.body.data.map((e: { id: string }) => e.id), mine);
    assert.ok(all.body.data.every((e: { clientId: string }) => e.clientId === a));
    assert.equal(all.body.nextCursor, null);
    assert.deepEqual((await h.api('GET', `/v1/endpoints?clientId=${b}`)).body.data.map((e: { id: string }) => e.id), [theirs]);
    assert.deepEqual((await h.api('GET', '/v1/endpoints?clientId=nobody-has-this')).body, { data: [], nextCursor: null });

    const page1 = await h.api('GET', `/v1/endpoints?clientId=${a}&limit=2`);
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.data.map((e: { id: string }) => e.id), mine.slice(0, 2));
    assert.equal(page1.body.nextCursor, mine[1]);
    const page2 = await h.api('GET', `/v1/endpoints?clientId=${a}&limit=2&after=${page1.body.nextCursor}`);
    assert.deepEqual(page2.body.data.map((e: { id: string }) => e.id), mine.slice(2));
    assert.equal(page2.body.nextCursor, null);

    // Without a filter, every endpoint appears exactly once across the pages.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse = await h.api('GET', `/v1/endpoints?limit=3${cursor ? `&after=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 3);
      seen.push(...page.body.data.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    const { rows } = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM endpoints WHERE deleted_at IS NULL');
    assert.equal(seen.length, rows[0]!.n);
    for (const id of [...mine, theirs]) assert.ok(seen.includes(id));
  });

  test('PATCH updates the fields given and bumps updatedAt', async () => {
    const { clientId } = ids();
    const created = (await h.api('POST', '/v1/endpoints', endpointBody(clientId, { description: 'before', auth: { type: 'bearer', token: 'first-token-1111' } }))).body;
    await new Promise((resolve) => setTimeout(resolve, 10));
    const newToken = 'second-token-2222';
    const patched = await h.api('PATCH', `/v1/endpoints/${created.id}`, {
      url: 'https://example.com/new',
      events: ['INBOUND_CALL_COMPLETED', 'INBOUND_CALL_ERROR'],
      description: null,
      active: false,
      auth: { type: 'bearer', token: newToken },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body, {
      id: created.id,
      clientId,
      kind: 'custom',
      url: 'https://example.com/new',
      email: null,
      events: ['INBOUND_CALL_COMPLETED', 'INBOUND_CALL_ERROR'],
      auth: { type: 'bearer', tokenHint: '…2222' },
      description: null,
      active: false,
      rateLimit: null,
      headers: [],
      filter: null,
      retry: null,
      tls: null,
      sendTraceparent: false,
      pausedAt: null,
      pausedBy: null,
      disabledReason: 'disabled through the API',
      disabledAt: patched.body.updatedAt,
      createdAt: created.createdAt,
      updatedAt: patched.body.updatedAt,
    });
    assert.ok(Date.parse(patched.body.updatedAt) > Date.parse(created.updatedAt), `${patched.body.updatedAt} vs ${created.updatedAt}`);
    assert.ok(!JSON.stringify(patched.body).includes(newToken));
    assert.deepEqual((await h.api('GET', `/v1/endpoints/${created.id}`)).body, patched.body);
    // The new token is what is stored: sealed (the auth column keeps only its type), read back by the repository.
    const { rows } = await h.db.pool.query<{ auth: unknown }>('SELECT auth FROM endpoints WHERE id = $1', [created.id]);
    assert.deepEqual(rows[0]!.auth, { type: 'bearer' });
    assert.deepEqual((await getEndpoint(h.db.pool, created.id))?.auth, { type: 'bearer', token: newToken });

    const partial = await h.api('PATCH', `/v1/endpoints/${created.id}`, { description: 'only this' });
    assert.equal(partial.status, 200);
    assert.deepEqual(partial.body, { ...patched.body, description: 'only this', updatedAt: partial.body.updatedAt });
  });

  test('DELETE → 200, then GET 404, not listed, PATCH/DELETE 404', async () => {
    const { clientId } = ids();
    const keep = await h.createEndpoint({ clientId, url: 'https://example.com/keep' });
    const gone = await h.createEndpoint({ clientId, url: 'https://example.com/gone' });
    const before = await counts();
    const deleted = await h.api('DELETE', `/v1/endpoints/${gone}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { id: gone, deleted: true });
    assertError(await h.api('GET', `/v1/endpoints/${gone}`), 404, 'not_found');
    assert.deepEqual((await h.api('GET', `/v1/endpoints?clientId=${clientId}`)).body.data.map((e: { id: string }) => e.id), [keep]);
    await rejected('PATCH', `/v1/endpoints/${gone}`, { description: 'x' }, 404, 'not_found');
    await rejected('DELETE', `/v1/endpoints/${gone}`, undefined, 404, 'not_found');
    // Soft delete: the row stays for the delivery log.
    assert.deepEqual(await counts(), before);
  });

  test('GET /v1/event-types lists the catalog', async () => {
    const response = await h.api('GET', '/v1/event-types');
    assert.equal(response.status, 200);
    const names = response.body.data.map((t: { name: string }) => t.name);
    for (const name of [
      'OUTBOUND_CALL_CALLING',
      'OUTBOUND_CALL_CONNECTED',
      'OUTBOUND_CALL_COMPLETED',
      'OUTBOUND_CALL_ERROR',
      'INBOUND_CALL_ESTABLISHED',
      'INBOUND_CALL_COMPLETED',
      'INBOUND_CALL_ERROR',
    ]) {
      assert.ok(names.includes(name), name);
    }
    const completed = response.body.data.find((t: { name: string }) => t.name === 'OUTBOUND_CALL_COMPLETED');
    assert.deepEqual(
      { name: completed.name, title: completed.title, terminal: completed.terminal, system: completed.system, group: completed.group, builtin: completed.builtin },
      { name: 'OUTBOUND_CALL_COMPLETED', title: 'Outbound call completed', terminal: true, system: false, group: 'outbound_call', builtin: true },
    );
    const system = response.body.data.filter((t: { system: boolean }) => t.system).map((t: { name: string }) => t.name);
    assert.deepEqual(system, ['WEBHOOK_DELIVERY_FAILED', 'WEBHOOK_ENDPOINT_DISABLED', 'WEBHOOK_TEST']);
    // Every listed type but the test event (sent to one endpoint on request) is accepted as a subscription.
    const subscribable = names.filter((name: string) => name !== 'WEBHOOK_TEST');
    const r = await h.api('POST', '/v1/endpoints', endpointBody(ids().clientId, { events: subscribable }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const refused = await h.api('POST', '/v1/endpoints', endpointBody(ids().clientId, { events: ['WEBHOOK_TEST'] }));
    assert.equal(refused.status, 400);
    // System types cannot be submitted as call events.
    const submitted = await h.api('POST', '/v1/events', {
      eventType: 'WEBHOOK_DELIVERY_FAILED',
      body: { data: { callId: 'call-sys', clientId: 'client-sys' } },
    });
    assert.equal(submitted.status, 422);
    assert.equal(submitted.body.error.code, 'system_event_type');
  });
});

describe('events: the happy path', () => {
  test('POST → 202 { id, callId, workflowId }; GET /v1/events/:id shows it with its deliveries', async () => {
    const { clientId, callId } = ids();
    const receiver = await Receiver.start();
    const endpointId = await h.createEndpoint({ clientId, url: receiver.url });
    const eventId = `evt-${callId}`;
    const submitted = {
      id: eventId,
      eventType: 'OUTBOUND_CALL_CONNECTED',
      occurredAt: '2025-01-02T03:04:05.678Z',
      body: { data: { callId, clientId, callStatus: 'IN_PROGRESS' } },
    };
    const before = await counts();
    const response = await h.api('POST', '/v1/events', submitted);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.deepEqual(response.body, { id: eventId, callId, workflowId: callId });
    assert.equal(response.headers.get('idempotent-replayed'), null);
    assert.equal((await counts()).events, before.events + 1);
    // Accepted = stored and planned; the outbox relay signals the call's workflow right after.
    await waitFor(async () => {
      const { rows } = await h.db.pool.query<{ signaled: boolean }>('SELECT signaled_at IS NOT NULL AS signaled FROM events WHERE id = $1', [eventId]);
      return rows[0]?.signaled || undefined;
    }, 'the relay to signal the event');
    assert.equal((await h.env.client.workflow.getHandle(callId).describe()).workflowId, callId);

    await receiver.waitFor(1);
    const event = await waitFor(async () => {
      const r = await h.api('GET', `/v1/events/${eventId}`);
      assert.equal(r.status, 200);
      return r.body.deliveries.length === 1 && r.body.deliveries[0].status === 'succeeded' ? r.body : undefined;
    }, 'the delivery to succeed');
    assert.equal(event.id, eventId);
    assert.equal(event.callId, callId);
    assert.equal(event.clientId, clientId);
    assert.equal(event.eventType, 'OUTBOUND_CALL_CONNECTED');
    assert.ok(!Number.isNaN(Date.parse(event.receivedAt)));
    assert.deepEqual(event.payload, { ...submitted, body: { ...submitted.body, errors: [] } });
    const [delivery] = event.deliveries;
    assert.match(delivery.id, /^dlv_[0-9a-f]{32}$/);
    assert.equal(delivery.eventId, eventId);
    assert.equal(delivery.endpointId, endpointId);
    assert.equal(delivery.attemptCount, 1);
    assert.equal(delivery.attempts.length, 1);
    assert.equal(delivery.attempts[0].statusCode, 200);
    assert.deepEqual((await h.api('GET', `/v1/calls/${callId}/deliveries`)).body, { callId, data: event.deliveries, nextCursor: null });
    await receiver.stop();
  });

  test('an id is generated when absent; the same id again is a replay; a reused id for another event is 409', async () => {
    const { clientId, callId } = ids();
    const first = await h.api('POST', '/v1/events', { eventType: 'INBOUND_CALL_ESTABLISHED', body: { data: { callId, clientId } } });
    assert.equal(first.status, 202);
    assert.match(first.body.id, /^evt_[0-9a-f]{32}$/);

    const id = `evt-${callId}-dup`;
    const event = { id, eventType: 'INBOUND_CALL_COMPLETED', body: { data: { callId, clientId } } };
    assert.equal((await h.api('POST', '/v1/events', event)).status, 202);
    const before = await counts();
    const replay = await h.api('POST', '/v1/events', event);
    assert.equal(replay.status, 202);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(replay.body, { id, callId, workflowId: callId });
    await rejected('POST', '/v1/events', { ...event, eventType: 'INBOUND_CALL_ERROR' }, 409, 'idempotency_conflict');
    assert.equal((await counts()).events, before.events);
  });

  test('GET /v1/calls/:callId/deliveries for a call with none → 200 empty', async () => {
    const { callId } = ids();
    const response = await h.api('GET', `/v1/calls/${callId}/deliveries`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { callId, data: [], nextCursor: null });
  });
});

describe('health', () => {
  test('/healthz 200', async () => {
    const response = await h.api('GET', '/healthz');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ok' });
  });

  test('/readyz 200 with checks', async () => {
    const response = await h.api('GET', '/readyz');
    assert.equal(response.status, 200);
    const { checks, ...rest } = response.body;
    assert.deepEqual(rest, { status: 'ready', accepting: true });
    assert.deepEqual({ postgres: checks.postgres, temporal: checks.temporal, outboxOk: checks.outbox.ok }, { postgres: { ok: true }, temporal: { ok: true }, outboxOk: true });
    assert.equal(typeof checks.outbox.backlog, 'number');
  });
});

describe('Temporal unreachable', () => {
  let server: Server;
  let connection: Connection;
  let baseUrl: string;
  before(async () => {
    connection = Connection.lazy({ address: '127.0.0.1:1' });
    const app = createApp({
      pool: h.db.pool,
      signingKeys: h.signingKeys,
      hmacSecretOverlapMs: 86_400_000,
      temporal: new Client({ connection }),
      taskQueue: h.taskQueue,
      allowHttpUrls: false,
      maxBodyBytes: 65_536,
      temporalTimeoutMs: 1_000,
    });
    server = await listen(app, 0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (server) await closeServer(server);
    // The lazy connection is left open: closing it while the client's retry timers are pending makes
    // grpc-js throw "Channel has been shut down" from a timer (an uncaught exception).
  });

  async function broken(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  }

  test('POST /v1/events → 202 all the same: stored and planned; a relay that reaches Temporal signals it; the same id later is a replay', async () => {
    const { clientId, callId } = ids();
    const event = { id: `evt-${callId}`, eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId, clientId } } };
    const before = await counts();
    const started = Date.now();
    const response = await broken('POST', '/v1/events', event);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms: accepting does not wait for Temporal`);
    assert.deepEqual(response.body, { id: event.id, callId, workflowId: callId });
    assert.equal((await counts()).events, before.events + 1);
    assert.equal((await h.api('GET', `/v1/events/${event.id}`)).status, 200);

    // The broken app still validates and reads from Postgres.
    assertError(await broken('POST', '/v1/events', { ...event, id: 'has spaces' }), 400, 'invalid_request');
    assert.equal((await broken('GET', `/v1/calls/${callId}/deliveries`)).status, 200);

    // This app has no relay of its own: the harness's (another process's, as it were) signals the event.
    await waitFor(async () => {
      const { rows } = await h.db.pool.query<{ signaled: boolean }>('SELECT signaled_at IS NOT NULL AS signaled FROM events WHERE id = $1', [event.id]);
      return rows[0]?.signaled || undefined;
    }, 'another relay to signal the event');
    assert.equal((await h.env.client.workflow.getHandle(callId).describe()).workflowId, callId);
    const again = await h.api('POST', '/v1/events', event);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await counts()).events, before.events + 1);
  });

  test('with allowHttpUrls false, a plain http url → 400 and nothing written; https → 201', async () => {
    const { clientId } = ids();
    const before = await counts();
    const details = assertError(await broken('POST', '/v1/endpoints', endpointBody(clientId, { url: 'http://example.com/hook' })), 400, 'invalid_request');
    assert.deepEqual(paths(details), ['body.url']);
    assert.deepEqual(await counts(), before);
    assert.equal((await broken('POST', '/v1/endpoints', endpointBody(clientId))).status, 201);
  });

  test('/readyz of an API without a relay of its own → 503 with temporal.ok false, postgres ok; /healthz still 200', async () => {
    const response = await broken('GET', '/readyz');
    assert.equal(response.status, 503);
    assert.equal(response.body.status, 'unavailable');
    assert.deepEqual(response.body.checks.postgres, { ok: true });
    assert.equal(response.body.checks.temporal.ok, false);
    assert.equal(typeof response.body.checks.temporal.error, 'string');
    assert.equal((await broken('GET', '/healthz')).status, 200);
  });
});
