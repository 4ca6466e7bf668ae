/**
 * The Webhooks page's API routes against a real Postgres, with attempts written by hand so the
 * numbers are known: GET /v1/endpoints/:id/health and GET /v1/endpoint-health (hourly buckets,
 * success counts, p50/p95 by percentile_cont, failed deliveries waiting, capped; the latest
 * delivery), GET /v1/calls/:callId (events in order, their deliveries, pages, the workflow link)
 * and GET /v1/me. No Temporal: these routes only read Postgres.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { createApp } from '../src/api/app';
import { closeServer, listen } from '../src/process/http-server';
import { KeyRing } from '../src/crypto/key-ring';
import { configureSecretsKeyRing } from '../src/crypto/secrets-key-ring';
import { FAILED_WAITING_CAP, healthWindowEndingNow } from '../src/db/endpoint-health-repo';
import { insertEndpoint } from '../src/db/endpoints-repo';
import type { SigningKeyRing } from '../src/destinations/signing/signing-keys';
import { callViewSchema, endpointHealthListSchema, endpointHealthSchema, principalViewSchema } from '../src/schemas/responses';
import { newEndpoint } from './helpers/endpoints';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

const HOUR = 3_600_000;
const TEMPORAL_UI = 'http://temporal-ui.test:8233';

let db: TestDatabase;
let server: Server;
let base: string;
/** The start of the hour the tests run in: attempts are placed relative to it. */
let hour: number;

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`);
  // any: the parsed JSON of whatever the route answers; each test reads what it expects.
  return { status: response.status, body: (await response.json()) as any };
}

async function endpoint(id: string, clientId = 'client-h'): Promise<string> {
  await insertEndpoint(db.pool, newEndpoint({ id, clientId, url: 'https://example.com/hook' }));

  return id;
}

const epId = (n: number) => `ep_${n.toString(16).padStart(32, '0')}`;

/** An event of `callId` received at `receivedAt`. */
async function event(id: string, callId: string, receivedAt: Date, eventType = 'OUTBOUND_CALL_CONNECTED', clientId = 'client-h'): Promise<void> {
  const payload = { id, eventType, occurredAt: receivedAt.toISOString(), body: { data: { callId, clientId, callStatus: 'IN_PROGRESS' }, errors: [] } };
  await db.pool.query(
    `INSERT INTO events (id, call_id, client_id, event_type, payload, payload_hash, occurred_at, received_at) VALUES ($1, $2, $3, $4, $5, 'h', $6, $6)`,
    [id, callId, clientId, eventType, JSON.stringify(payload), receivedAt],
  );
}

async function delivery(id: string, eventId: string, endpointId: string, callId: string, status: string, createdAt: Date): Promise<void> {
  await db.pool.query(
    `INSERT INTO deliveries (id, event_id, endpoint_id, call_id, status, created_at, updated_at, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6, CASE WHEN $5 = 'pending' THEN NULL ELSE $6::timestamptz END)`,
    [id, eventId, endpointId, callId, status, createdAt],
  );
}

async function attempt(deliveryId: string, startedAt: Date, durationMs: number, outcome: 'succeeded' | 'retryable' | 'final'): Promise<void> {
  await db.pool.query(
    `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, outcome)
     VALUES ($1, (SELECT count(*) + 1 FROM delivery_attempts WHERE delivery_id = $1), $2, $3, $4, $5)`,
    [deliveryId, startedAt, durationMs, outcome === 'succeeded' ? 200 : 500, outcome],
  );
}

before(async () => {
  configureSecretsKeyRing(KeyRing.parse(KeyRing.generateText('health-test')));
  db = await createTestDatabase();
  // Not across an hour's end: the route's window must be the hour the attempts were placed in.
  const untilNextHour = HOUR - (Date.now() % HOUR);
  if (untilNextHour < 20_000) await new Promise((resolve) => setTimeout(resolve, untilNextHour + 100));
  hour = Math.floor(Date.now() / HOUR) * HOUR;
  const app = createApp({
    pool: db.pool,
    // The routes under test read the namespace only (the workflow link); nothing talks to Temporal.
    temporal: { options: { namespace: 'calls-ns' } } as unknown as Client,
    taskQueue: 'unused',
    allowHttpUrls: true,
    maxBodyBytes: 65_536,
    signingKeys: {} as SigningKeyRing,
    hmacSecretOverlapMs: 0,
    temporalUiUrl: TEMPORAL_UI,
  });
  server = await listen(app, 0, '127.0.0.1');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await closeServer(server);
  await db?.drop();
});

describe('endpoint health', () => {
  const busy = epId(1);
  const quiet = epId(2);
  const other = epId(3);

  before(async () => {
    await Promise.all([endpoint(busy), endpoint(quiet), endpoint(other, 'client-other')]);
    // This hour: 5 attempts of `busy`, 10/20/30/40 ms succeeded, 100 ms failed.
    await event('evt_now', 'call-h-1', new Date(hour + 1_000));
    await delivery('dlv_now_1', 'evt_now', busy, 'call-h-1', 'succeeded', new Date(hour + 1_000));
    for (const ms of [10, 20, 30, 40]) await attempt('dlv_now_1', new Date(hour + 2_000), ms, 'succeeded');
    await attempt('dlv_now_1', new Date(hour + 2_000), 100, 'retryable');
    // Three hours ago: 2 failed attempts of 500 and 700 ms, a delivery that finally failed.
    await event('evt_3h', 'call-h-2', new Date(hour - 3 * HOUR + 600_000));
    await delivery('dlv_3h', 'evt_3h', busy, 'call-h-2', 'failed', new Date(hour - 3 * HOUR + 600_000));
    await attempt('dlv_3h', new Date(hour - 3 * HOUR + 600_000), 500, 'retryable');
    await attempt('dlv_3h', new Date(hour - 3 * HOUR + 601_000), 700, 'final');
    // 30 hours ago: outside a 24-hour window, but a failed delivery still waiting.
    await event('evt_30h', 'call-h-3', new Date(hour - 30 * HOUR));
    await delivery('dlv_30h', 'evt_30h', busy, 'call-h-3', 'failed', new Date(hour - 30 * HOUR));
    await attempt('dlv_30h', new Date(hour - 30 * HOUR), 9_000, 'final');
    // Another endpoint's attempt in this hour: not counted for `busy`.
    await delivery('dlv_other', 'evt_now', other, 'call-h-1', 'succeeded', new Date(hour + 1_000));
    await attempt('dlv_other', new Date(hour + 2_000), 5_000, 'succeeded');
  });

  test('hourly buckets, totals and percentiles from known attempts', async () => {
    const { status, body } = await get(`/v1/endpoints/${busy}/health`);
    assert.equal(status, 200, JSON.stringify(body));
    endpointHealthSchema.parse(body);
    assert.equal(body.since, new Date(hour - 23 * HOUR).toISOString());
    assert.equal(body.until, new Date(hour + HOUR).toISOString());
    assert.equal(body.buckets.length, 24, 'one bucket per hour: bounded by the window, not by the attempts');
    const current = body.buckets[23];
    assert.deepEqual(current, { start: new Date(hour).toISOString(), succeeded: 4, failed: 1, p50Ms: 30, p95Ms: 88 });
    // percentile_cont(0.95) of 500, 700: 500 + 0.95 × 200.
    assert.deepEqual(body.buckets[20], { start: new Date(hour - 3 * HOUR).toISOString(), succeeded: 0, failed: 2, p50Ms: 600, p95Ms: 690 });
    const empty = body.buckets.filter((_: unknown, i: number) => i !== 20 && i !== 23);
    assert.ok(empty.every((b: { succeeded: number; failed: number; p50Ms: null }) => b.succeeded === 0 && b.failed === 0 && b.p50Ms === null));
    // Totals are percentiles of all 7 attempts (10, 20, 30, 40, 100, 500, 700), not of the buckets.
    assert.deepEqual(body.totals, { succeeded: 4, failed: 3, successRate: 4 / 7, p50Ms: 40, p95Ms: 640 });
    assert.equal(body.failedWaiting, 2, 'both finally-failed deliveries, the one older than the window too');
    assert.equal(body.failedWaitingCapped, false);
    assert.equal(body.lastDelivery.id, 'dlv_now_1');
    assert.equal(body.lastDelivery.status, 'succeeded');
    assert.equal(body.lastDelivery.eventType, 'OUTBOUND_CALL_CONNECTED');
  });

  test('a shorter window leaves older attempts out', async () => {
    const { body } = await get(`/v1/endpoints/${busy}/health?hours=3`);
    assert.equal(body.buckets.length, 3);
    assert.deepEqual(body.totals, { succeeded: 4, failed: 1, successRate: 0.8, p50Ms: 30, p95Ms: 88 });
  });

  test('an endpoint without deliveries: zeros, nulls and no last delivery', async () => {
    const { body } = await get(`/v1/endpoints/${quiet}/health`);
    assert.equal(body.buckets.length, 24);
    assert.deepEqual(body.totals, { succeeded: 0, failed: 0, successRate: null, p50Ms: null, p95Ms: null });
    assert.equal(body.failedWaiting, 0);
    assert.equal(body.lastDelivery, null);
  });

  test('bad input is a 400; an unknown endpoint a 404', async () => {
    for (const query of ['hours=0', 'hours=169', 'hours=many', 'colour=red']) {
      const { status, body } = await get(`/v1/endpoints/${busy}/health?${query}`);
      assert.equal(status, 400, query);
      assert.equal(body.error.code, 'invalid_request');
    }
    // Cursors are ids: anything else (a NUL byte Postgres would refuse) is a 400, not a 500.
    assert.equal((await get(`/v1/endpoint-health?after=${busy}%00`)).status, 400);
    assert.equal((await get(`/v1/endpoints/${epId(99)}/health`)).status, 404);
    assert.equal((await get('/v1/endpoints/not-an-id/health')).status, 400);
  });

  test('GET /v1/endpoint-health: one client page at a time, as GET /v1/endpoints pages it', async () => {
    const first = await get('/v1/endpoint-health?clientId=client-h&limit=1');
    endpointHealthListSchema.parse(first.body);
    assert.deepEqual(first.body.data.map((h: { endpointId: string }) => h.endpointId), [busy]);
    assert.equal(first.body.nextCursor, busy);
    const second = await get(`/v1/endpoint-health?clientId=client-h&limit=1&after=${busy}`);
    assert.deepEqual(second.body.data.map((h: { endpointId: string }) => h.endpointId), [quiet]);
    const all = await get('/v1/endpoint-health?hours=2');
    assert.deepEqual(all.body.data.map((h: { endpointId: string }) => h.endpointId), [busy, quiet, other]);
    assert.ok(all.body.data.every((h: { buckets: unknown[] }) => h.buckets.length === 2));
    assert.equal(all.body.nextCursor, null);
    const listed = await get('/v1/endpoints?clientId=client-h');
    assert.deepEqual(
      listed.body.data.map((e: { id: string }) => e.id),
      [busy, quiet],
    );
  });

  test('failed deliveries waiting are counted up to the cap', async () => {
    const flooded = await endpoint(epId(4), 'client-flood');
    const n = FAILED_WAITING_CAP + 5;
    await db.pool.query(
      `INSERT INTO events (id, call_id, client_id, event_type, payload, payload_hash, occurred_at)
       SELECT 'evt_flood_' || i, 'call-flood', 'client-flood', 'OUTBOUND_CALL_ERROR', '{}', 'h', now() FROM generate_series(1, $1) i`,
      [n],
    );
    await db.pool.query(
      `INSERT INTO deliveries (id, event_id, endpoint_id, call_id, status) SELECT 'dlv_flood_' || i, 'evt_flood_' || i, $2, 'call-flood', 'failed' FROM generate_series(1, $1) i`,
      [n, flooded],
    );
    const { body } = await get(`/v1/endpoints/${flooded}/health`);
    assert.equal(body.failedWaiting, FAILED_WAITING_CAP);
    assert.equal(body.failedWaitingCapped, true);
  });

  test('the window: whole hours ending with the current one', () => {
    const window = healthWindowEndingNow(24, new Date('2026-05-12T10:24:00Z'));
    assert.equal(window.since.toISOString(), '2026-05-11T11:00:00.000Z');
    assert.equal(window.hours, 24);
  });
});

describe('call view', () => {
  const endpointA = epId(10);
  const endpointB = epId(11);
  const callId = 'call-view-1';

  before(async () => {
    await Promise.all([endpoint(endpointA, 'client-c'), endpoint(endpointB, 'client-c')]);
    // Received in this order, ids in another: the view follows received_at.
    const t0 = Date.now() - 60_000;
    await event('evt_c_3', callId, new Date(t0), 'OUTBOUND_CALL_CALLING', 'client-c');
    await event('evt_c_1', callId, new Date(t0 + 1_000), 'OUTBOUND_CALL_CONNECTED', 'client-c');
    await event('evt_c_2', callId, new Date(t0 + 2_000), 'OUTBOUND_CALL_COMPLETED', 'client-c');
    for (const [i, eventId] of ['evt_c_3', 'evt_c_1', 'evt_c_2'].entries()) {
      await delivery(`dlv_c_${i}_a`, eventId, endpointA, callId, 'succeeded', new Date(t0 + i * 1_000));
      await delivery(`dlv_c_${i}_b`, eventId, endpointB, callId, i === 2 ? 'failed' : 'succeeded', new Date(t0 + i * 1_000));
    }
    await attempt('dlv_c_2_b', new Date(t0 + 2_500), 42, 'final');
  });

  test("the call's events in order, with their deliveries and the workflow link", async () => {
    const { status, body } = await get(`/v1/calls/${callId}`);
    assert.equal(status, 200, JSON.stringify(body));
    callViewSchema.parse(body);
    assert.equal(body.clientId, 'client-c');
    assert.equal(body.workflowUrl, `${TEMPORAL_UI}/namespaces/calls-ns/workflows/${callId}`);
    assert.deepEqual(
      body.events.map((e: { id: string; eventType: string; callStatus: string }) => [e.id, e.eventType, e.callStatus]),
      [
        ['evt_c_3', 'OUTBOUND_CALL_CALLING', 'IN_PROGRESS'],
        ['evt_c_1', 'OUTBOUND_CALL_CONNECTED', 'IN_PROGRESS'],
        ['evt_c_2', 'OUTBOUND_CALL_COMPLETED', 'IN_PROGRESS'],
      ],
    );
    assert.equal(body.deliveries.length, 6);
    const failed = body.deliveries.find((d: { id: string }) => d.id === 'dlv_c_2_b');
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.attempts.map((a: { durationMs: number; outcome: string }) => [a.durationMs, a.outcome]), [[42, 'final']]);
    assert.equal(body.nextCursor, null);
  });

  test('pages of events carry only their own deliveries', async () => {
    const first = await get(`/v1/calls/${callId}?limit=2`);
    assert.deepEqual(first.body.events.map((e: { id: string }) => e.id), ['evt_c_3', 'evt_c_1']);
    assert.deepEqual(new Set(first.body.deliveries.map((d: { eventId: string }) => d.eventId)), new Set(['evt_c_3', 'evt_c_1']));
    assert.equal(first.body.nextCursor, 'evt_c_1');
    const second = await get(`/v1/calls/${callId}?limit=2&after=evt_c_1`);
    assert.deepEqual(second.body.events.map((e: { id: string }) => e.id), ['evt_c_2']);
    assert.equal(second.body.deliveries.length, 2);
    assert.equal(second.body.nextCursor, null);
  });

  test('an unknown call is a 404; bad input a 400', async () => {
    const unknown = await get('/v1/calls/no-such-call');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    assert.equal((await get(`/v1/calls/${callId}?limit=0`)).status, 400);
    assert.equal((await get(`/v1/calls/${callId}?limit=201`)).status, 400);
    assert.equal((await get('/v1/calls/has%20space')).status, 400);
    assert.equal((await get(`/v1/calls/${callId}?after=evt_c_1%00`)).status, 400);
  });
});

test('GET /v1/me with AUTH off: an admin, keys not required', async () => {
  const { status, body } = await get('/v1/me');
  assert.equal(status, 200);
  assert.deepEqual(principalViewSchema.parse(body), { role: 'admin', clientId: null, authRequired: false, portal: null });
});
