/**
 * An endpoint's state through the API: pause and resume (idempotent, who paused it, the calls
 * waiting for it woken on resume), the rate limit (create, change, clear; bad values refused and
 * nothing changed), disable and enable with a reason, and the circuit in the health views.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from './helpers/eventually';
import { Harness } from './helpers/harness';

const ADMIN = 'state-admin-key-0123456789abcdef';
const UNKNOWN_ENDPOINT = `ep_${'0'.repeat(32)}`;

let h: Harness;
/** An API on the same services with keys required. */
let keyedBase: string;

before(async () => {
  h = await Harness.start();
  ({ base: keyedBase } = await h.startApi({ auth: { mode: 'on', adminKeys: [ADMIN] } }));
});
after(async () => {
  await h?.stop();
});

let n = 0;
const clientOf = (tag: string) => `client-state-${tag}-${++n}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function keyed(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${keyedBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The endpoint's row as stored, to show a refused request changed nothing. */
async function stored(id: string): Promise<Record<string, unknown>> {
  const { rows } = await h.db.pool.query('SELECT * FROM endpoints WHERE id = $1', [id]);
  assert.equal(rows.length, 1);
  return rows[0] as Record<string, unknown>;
}

async function holds(endpointId: string): Promise<string[]> {
  const { rows } = await h.db.pool.query<{ call_id: string }>('SELECT call_id FROM endpoint_holds WHERE endpoint_id = $1 ORDER BY call_id', [endpointId]);
  return rows.map((r) => r.call_id);
}

describe('POST /v1/endpoints/:id/pause and /resume', () => {
  test('pause shows pausedAt and pausedBy; pausing again keeps the first pause; resume clears both, idempotently', async () => {
    const id = await h.createEndpoint({ clientId: clientOf('pause'), url: 'https://example.com/pause' });
    const before = (await h.api('GET', `/v1/endpoints/${id}`)).body;
    assert.equal(before.pausedAt, null);
    assert.equal(before.pausedBy, null);

    const paused = await h.api('POST', `/v1/endpoints/${id}/pause`);
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    assert.equal(paused.body.id, id);
    assert.ok(paused.body.pausedAt && !Number.isNaN(Date.parse(paused.body.pausedAt)));
    assert.equal(paused.body.pausedBy, 'api', 'keys are not required here: the API');
    assert.equal(paused.body.active, true, 'paused is not disabled');
    const read = (await h.api('GET', `/v1/endpoints/${id}`)).body;
    assert.equal(read.pausedAt, paused.body.pausedAt);
    assert.equal(read.pausedBy, 'api');
    assert.equal((await h.api('GET', `/v1/endpoints?clientId=${read.clientId}`)).body.data[0].pausedAt, paused.body.pausedAt);

    await sleep(20);
    const again = await h.api('POST', `/v1/endpoints/${id}/pause`, {});
    assert.equal(again.status, 200);
    assert.equal(again.body.pausedAt, paused.body.pausedAt, 'the first pause is kept');
    assert.equal(again.body.updatedAt, paused.body.updatedAt);

    const resumed = await h.api('POST', `/v1/endpoints/${id}/resume`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.pausedAt, null);
    assert.equal(resumed.body.pausedBy, null);
    assert.equal((await h.api('GET', `/v1/endpoints/${id}`)).body.pausedAt, null);
    const resumedAgain = await h.api('POST', `/v1/endpoints/${id}/resume`, {});
    assert.equal(resumedAgain.status, 200);
    assert.equal(resumedAgain.body.pausedAt, null);
    assert.equal(resumedAgain.body.updatedAt, resumed.body.updatedAt, 'resuming an endpoint not paused changes nothing');
  });

  test('resume, enable and disable wake the calls waiting for the endpoint (their holds are taken)', async () => {
    const id = await h.createEndpoint({ clientId: clientOf('wake'), url: 'https://example.com/wake' });
    assert.equal((await h.api('POST', `/v1/endpoints/${id}/pause`)).status, 200);
    // Calls that ended meanwhile (no workflow): woken all the same, without an error.
    await h.db.pool.query("INSERT INTO endpoint_holds (endpoint_id, call_id) VALUES ($1, 'call-gone-1'), ($1, 'call-gone-2')", [id]);
    assert.equal((await h.api('POST', `/v1/endpoints/${id}/resume`)).status, 200);
    await eventually(async () => ((await holds(id)).length === 0 ? true : undefined), 'the holds taken after resume');

    // Disabling through PATCH wakes them too (they end its deliveries at once), and so does enabling.
    await h.db.pool.query("INSERT INTO endpoint_holds (endpoint_id, call_id) VALUES ($1, 'call-gone-3')", [id]);
    assert.equal((await h.api('PATCH', `/v1/endpoints/${id}`, { active: false })).status, 200);
    await eventually(async () => ((await holds(id)).length === 0 ? true : undefined), 'the holds taken after disabling');
    await h.db.pool.query("INSERT INTO endpoint_holds (endpoint_id, call_id) VALUES ($1, 'call-gone-4')", [id]);
    assert.equal((await h.api('PATCH', `/v1/endpoints/${id}`, { active: true })).status, 200);
    await eventually(async () => ((await holds(id)).length === 0 ? true : undefined), 'the holds taken after enabling');
    // A PATCH that leaves `active` alone wakes nobody.
    await h.db.pool.query("INSERT INTO endpoint_holds (endpoint_id, call_id) VALUES ($1, 'call-gone-5')", [id]);
    assert.equal((await h.api('PATCH', `/v1/endpoints/${id}`, { description: 'unchanged state' })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await holds(id), ['call-gone-5']);
  });

  test('unknown, deleted or badly named endpoints, and bodies with fields: refused, nothing changed', async () => {
    for (const action of ['pause', 'resume']) {
      const unknown = await h.api('POST', `/v1/endpoints/${UNKNOWN_ENDPOINT}/${action}`);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'not_found');
      const bad = await h.api('POST', `/v1/endpoints/not-an-id/${action}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_request');
    }
    const id = await h.createEndpoint({ clientId: clientOf('refused'), url: 'https://example.com/refused' });
    const row = await stored(id);
    for (const body of [{ by: 'me' }, { pausedAt: null }, [], ['x']]) {
      const response = await h.api('POST', `/v1/endpoints/${id}/pause`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'invalid_request');
    }
    assert.deepEqual(await stored(id), row);

    assert.equal((await h.api('DELETE', `/v1/endpoints/${id}`)).status, 200);
    assert.equal((await h.api('POST', `/v1/endpoints/${id}/pause`)).status, 404);
    assert.equal((await h.api('POST', `/v1/endpoints/${id}/resume`)).status, 404);
  });

  test("with keys: another client's endpoint is a 404 and stays as it was; pausedBy names the key", async () => {
    const keyOf = async (clientId: string, name: string) => {
      const response = await keyed('POST', '/v1/api-keys', ADMIN, { kind: 'client', clientId, name });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      return response.body.key as string;
    };
    const [clientA, clientB] = [clientOf('key-a'), clientOf('key-b')];
    const keyA = await keyOf(clientA, 'ops of A');
    const keyB = await keyOf(clientB, 'ops of B');
    const created = await keyed('POST', '/v1/endpoints', keyB, { clientId: clientB, kind: 'custom', url: 'https://example.com/b', events: ['*'] });
    assert.equal(created.status, 201);
    const idB = created.body.id as string;

    const row = await stored(idB);
    for (const action of ['pause', 'resume']) {
      const response = await keyed('POST', `/v1/endpoints/${idB}/${action}`, keyA);
      assert.equal(response.status, 404, action);
      assert.equal(response.body.error.code, 'not_found');
      assert.ok(!JSON.stringify(response.body).includes(clientB));
    }
    assert.deepEqual(await stored(idB), row);

    const paused = await keyed('POST', `/v1/endpoints/${idB}/pause`, keyB);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.pausedBy, 'api-key:ops of B');
    assert.equal((await keyed('POST', `/v1/endpoints/${idB}/resume`, keyA)).status, 404);
    assert.ok((await keyed('GET', `/v1/endpoints/${idB}`, keyB)).body.pausedAt, 'still paused');
    assert.equal((await keyed('POST', `/v1/endpoints/${idB}/resume`, ADMIN)).body.pausedAt, null);
    assert.equal((await keyed('POST', `/v1/endpoints/${idB}/pause`, ADMIN)).body.pausedBy, 'api-key:ADMIN_API_KEYS#1');
  });
});

describe('rateLimit', () => {
  test('set at creation, changed and cleared through PATCH', async () => {
    const clientId = clientOf('rate');
    const created = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: 'https://example.com/rate', events: ['*'], rateLimit: 5 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.rateLimit, 5);
    const id = created.body.id as string;
    assert.equal((await h.api('GET', `/v1/endpoints/${id}`)).body.rateLimit, 5);
    assert.equal((await h.api('PATCH', `/v1/endpoints/${id}`, { rateLimit: 10_000 })).body.rateLimit, 10_000);
    assert.equal((await h.api('PATCH', `/v1/endpoints/${id}`, { description: 'kept' })).body.rateLimit, 10_000, 'a PATCH without it keeps it');
    const cleared = await h.api('PATCH', `/v1/endpoints/${id}`, { rateLimit: null });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.rateLimit, null);
    assert.equal((await h.api('GET', `/v1/endpoints/${id}`)).body.rateLimit, null);
    const none = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: 'https://example.com/rate-none', events: ['*'] });
    assert.equal(none.body.rateLimit, null);
  });

  test('0, -1, 1.5, "5", 10001: 400 invalid_request naming body.rateLimit, and nothing changed', async () => {
    const clientId = clientOf('rate-bad');
    const id = await h.createEndpoint({ clientId, url: 'https://example.com/rate-bad', rateLimit: 7 });
    const row = await stored(id);
    for (const rateLimit of [0, -1, 1.5, '5', 10_001]) {
      const create = await h.api('POST', '/v1/endpoints', { clientId, kind: 'custom', url: 'https://example.com/rate-x', events: ['*'], rateLimit });
      assert.equal(create.status, 400, `create with ${JSON.stringify(rateLimit)}`);
      assert.equal(create.body.error.code, 'invalid_request');
      assert.ok(create.body.error.details.some((d: { path: string }) => d.path === 'body.rateLimit'));
      const patch = await h.api('PATCH', `/v1/endpoints/${id}`, { rateLimit });
      assert.equal(patch.status, 400, `PATCH with ${JSON.stringify(rateLimit)}`);
      assert.equal(patch.body.error.code, 'invalid_request');
      assert.ok(patch.body.error.details.some((d: { path: string }) => d.path === 'body.rateLimit'));
    }
    assert.deepEqual(await stored(id), row);
    const { rows } = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM endpoints WHERE client_id = $1', [clientId]);
    assert.equal(rows[0]!.n, 1, 'no endpoint created');
    assert.equal((await h.api('GET', `/v1/endpoints/${id}`)).body.rateLimit, 7);
  });
});

describe('disabledReason', () => {
  test('PATCH active:false records "disabled through the API" and when; active:true clears both', async () => {
    const id = await h.createEndpoint({ clientId: clientOf('disable'), url: 'https://example.com/disable' });
    const fresh = (await h.api('GET', `/v1/endpoints/${id}`)).body;
    assert.equal(fresh.disabledReason, null);
    assert.equal(fresh.disabledAt, null);

    const disabled = await h.api('PATCH', `/v1/endpoints/${id}`, { active: false });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.active, false);
    assert.equal(disabled.body.disabledReason, 'disabled through the API');
    assert.ok(disabled.body.disabledAt && !Number.isNaN(Date.parse(disabled.body.disabledAt)));
    const read = (await h.api('GET', `/v1/endpoints/${id}`)).body;
    assert.equal(read.disabledReason, 'disabled through the API');
    assert.equal(read.disabledAt, disabled.body.disabledAt);

    const enabled = await h.api('PATCH', `/v1/endpoints/${id}`, { active: true });
    assert.equal(enabled.status, 200);
    assert.equal(enabled.body.active, true);
    assert.equal(enabled.body.disabledReason, null);
    assert.equal(enabled.body.disabledAt, null);
    assert.equal((await h.api('GET', `/v1/endpoints/${id}`)).body.disabledReason, null);
  });
});

describe('the circuit in the health views', () => {
  test('closed without a circuit row; open with its failing calls and retry time', async () => {
    const clientId = clientOf('circuit');
    const id = await h.createEndpoint({ clientId, url: 'https://example.com/circuit' });
    const closed = await h.api('GET', `/v1/endpoints/${id}/health`);
    assert.equal(closed.status, 200);
    assert.deepEqual(closed.body.circuit, { state: 'closed', failingSince: null, failingCalls: 0, openedAt: null, retryAt: null });

    const failingSince = new Date(Date.now() - 600_000);
    const openedAt = new Date(Date.now() - 60_000);
    const retryAt = new Date(Date.now() + 60_000);
    await h.db.pool.query(
      `INSERT INTO endpoint_circuits (endpoint_id, state, failing_since, failing_calls, opened_at, retry_at)
       VALUES ($1, 'open', $2, ARRAY['call-1', 'call-2', 'call-3'], $3, $4)`,
      [id, failingSince, openedAt, retryAt],
    );
    const expected = {
      state: 'open',
      failingSince: failingSince.toISOString(),
      failingCalls: 3,
      openedAt: openedAt.toISOString(),
      retryAt: retryAt.toISOString(),
    };
    assert.deepEqual((await h.api('GET', `/v1/endpoints/${id}/health`)).body.circuit, expected);
    const other = await h.createEndpoint({ clientId, url: 'https://example.com/circuit-other' });
    const list = await h.api('GET', `/v1/endpoint-health?clientId=${clientId}`);
    assert.equal(list.status, 200);
    const byId = new Map(list.body.data.map((e: { endpointId: string; circuit: unknown }) => [e.endpointId, e.circuit]));
    assert.deepEqual(byId.get(id), expected);
    assert.equal((byId.get(other) as { state: string }).state, 'closed');
  });
});
