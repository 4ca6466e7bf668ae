/**
 * Erasure of a call's data (issue 19): DELETE /v1/calls/:callId/content removes the call's event bodies and what
 * quotes them from Postgres, ends its pending deliveries as skipped, stops its workflow and destroys its data key,
 * so its Temporal history no longer decodes (payload encryption on: crypto-shredding); the delivery log keeps its
 * shape. Per-client payload retention (CLIENT_PAYLOAD_RETENTION) erases calls the same way in the retention
 * activity. Against a real dev server, Postgres and receivers that echo what they get.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { purgeExpired, eraseDueContent } from '../src/activities/purge-expired';
import { KeyRing } from '../src/crypto/key-ring';
import type { DeliveryLogEntry } from '../src/db/deliveries-repo';
import { logger } from '../src/observability/logger';
import { DATA_KEY_ID_METADATA, PayloadCodecError, payloadCodecFrom, type EncryptionCodec } from '../src/temporal/payload-codec';
import { dumpDatabase } from './helpers/dump-database';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';

const KEY_TEXT = KeyRing.generateText('erasure-key');
const ADMIN = `admin-${randomBytes(16).toString('hex')}`;
const ERASED = "the call's content was erased";
const stamp = () => `${Date.now()}-${randomBytes(3).toString('hex')}`;
const newMarker = () => `MARKER-${randomBytes(8).toString('hex')}`;
const MARKER = /MARKER-[0-9a-f]{16}/;
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

let h: Harness;
let codec: EncryptionCodec;
/** An API with keys required, on the harness's database, Temporal and worker. */
let secured: string;

before(async () => {
  // Deliveries to a 503 receiver stay pending for the whole file (retried every 4 s).
  h = await Harness.start({ payloadEncryptionKey: KEY_TEXT, settings: { maxAttempts: 10_000, idleTimeoutMs: 60_000, abandonTimeoutMs: 10 * 60_000 } });
  codec = payloadCodecFrom({ PAYLOAD_ENCRYPTION_KEY: KEY_TEXT }, h.db.pool)!;
  ({ base: secured } = await h.startApi({ auth: { mode: 'on', adminKeys: [ADMIN] } }));
});
after(async () => {
  await h?.stop();
});

async function call(method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${secured}${path}`, {
    method,
    headers: { ...(key && { authorization: `Bearer ${key}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function clientKey(clientId: string): Promise<string> {
  const created = await call('POST', '/v1/api-keys', ADMIN, { kind: 'client', clientId, name: `${clientId} key` });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.key as string;
}

/** Every payload of a history, with where it is. */
function payloadsIn(value: unknown, at = ''): { at: string; payload: Payload }[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && typeof record.metadata === 'object') return [{ at, payload: record as Payload }];
  return Object.entries(record).flatMap(([key, child]) => payloadsIn(child, at ? `${at}.${key}` : key));
}

/**
 * The call's history as Temporal stores it (read with no codec), and the payloads a codec sees: not search attributes,
 * nor the SDK's patch markers (a patch id, written by the SDK's core without the data converter: `markers`).
 */
async function rawHistory(callId: string) {
  const history = await h.env.client.workflow.getHandle(callId).fetchHistory();
  const all = payloadsIn(history).filter((p) => !p.at.includes('searchAttributes'));
  return {
    bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()),
    payloads: all.filter((p) => !p.at.includes('markerRecordedEventAttributes')),
    markers: all.filter((p) => p.at.includes('markerRecordedEventAttributes')),
  };
}

/** The receiver's answer quotes the marker of what it got: the response excerpts hold it. */
const echo = (status: number, word: string) => (request: { rawBody: string }) => ({ status, body: `${word} ${MARKER.exec(request.rawBody)?.[0] ?? 'nothing'}` });

describe('DELETE /v1/calls/:callId/content', () => {
  const clientId = `client-erase-${stamp()}`;
  const otherClientId = `client-other-${stamp()}`;
  const [call1, call2] = [`call-erase-1-${stamp()}`, `call-erase-2-${stamp()}`];
  const [marker1, marker2] = [newMarker(), newMarker()];
  let okReceiver: Receiver;
  let busyReceiver: Receiver;
  let ownKey: string;
  let otherKey: string;
  let firstEvent: { id: string; body: object };
  let erasure: { status: number; body: any };
  let erasedAtMs = 0;
  let historyBefore: Awaited<ReturnType<typeof rawHistory>>;

  /** Two events per call carrying the marker (in body.data and in an error message), to three endpoints. */
  async function emitCall(callId: string, marker: string): Promise<{ id: string; body: object }> {
    const first = { id: `evt-${callId}-1`, eventType: 'OUTBOUND_CALL_CALLING', body: { data: { callId, clientId, callStatus: 'CALLING', note: marker } } };
    assert.equal((await h.api('POST', '/v1/events', first)).status, 202);
    const second = {
      id: `evt-${callId}-2`,
      eventType: 'OUTBOUND_CALL_ERROR',
      body: { data: { callId, clientId, callStatus: 'FAILED', transcript: `caller said ${marker}` }, errors: [{ code: 'NETWORK_ERROR', message: `lost ${marker}` }] },
    };
    assert.equal((await h.api('POST', '/v1/events', second)).status, 202);
    return first;
  }

  /** Delivered to the echoing endpoint, filtered out by the third (its reason quotes the body), retrying on the 503 one. */
  const settled = (log: DeliveryLogEntry[]) =>
    log.length === 6 &&
    log.filter((d) => d.status === 'succeeded').length === 2 &&
    log.filter((d) => d.status === 'skipped').length === 2 &&
    log.some((d) => d.status === 'pending' && d.attempts.some((a) => a.statusCode === 503 && a.responseExcerpt?.includes('busy MARKER-')));

  before(async () => {
    okReceiver = await Receiver.start(echo(200, 'got'));
    busyReceiver = await Receiver.start(echo(503, 'busy'));
    await h.createEndpoint({ clientId, url: okReceiver.url });
    await h.createEndpoint({ clientId, url: busyReceiver.url });
    await h.createEndpoint({ clientId, url: okReceiver.url, filter: { 'body.data.note': 'NEVER' } });
    [ownKey, otherKey] = [await clientKey(clientId), await clientKey(otherClientId)];
    firstEvent = await emitCall(call1, marker1);
    await emitCall(call2, marker2);
    await h.waitForDeliveries(call1, settled, 30_000);
    await h.waitForDeliveries(call2, settled, 30_000);
    historyBefore = await rawHistory(call1);
    const dump = await dumpDatabase(h.db.pool);
    assert.ok(dump.includes(`got ${marker1}`) && dump.includes(`busy ${marker1}`) && dump.includes(`lost ${marker1}`), 'excerpts and bodies hold the marker before');
    const reasons = await h.db.pool.query<{ last_error: string }>("SELECT last_error FROM deliveries WHERE call_id = $1 AND last_error LIKE 'filtered out%'", [call1]);
    assert.ok(reasons.rows.length === 2 && reasons.rows.some((r) => r.last_error.includes(`is "${marker1}", not "NEVER"`)), "the filter's reason quotes the body before");

    // A client key of another client: 404, as for a call that does not exist; nothing changes.
    const refused = await call('DELETE', `/v1/calls/${call1}/content`, otherKey);
    assert.equal(refused.status, 404, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'not_found');
    assert.ok(!JSON.stringify(refused.body).includes(clientId));
    assert.ok((await dumpDatabase(h.db.pool)).includes(marker1), 'refused: nothing erased');

    erasedAtMs = Date.now();
    erasure = await call('DELETE', `/v1/calls/${call1}/content`, ownKey);
  });

  test("answers what it erased: the events, the attempts' texts, the pending deliveries skipped, the history key destroyed", () => {
    assert.equal(erasure.status, 200, JSON.stringify(erasure.body));
    const { erasedAt, ...counts } = erasure.body;
    assert.ok(Math.abs(Date.parse(erasedAt) - erasedAtMs) < 60_000, erasedAt);
    assert.equal(counts.callId, call1);
    assert.equal(counts.events, 2);
    assert.ok(counts.attempts >= 3, `attempts: ${counts.attempts}`); // 2 delivered (200, their excerpts), at least one 503
    assert.equal(counts.skipped, 2, 'both events were pending to the 503 endpoint');
    // Its key; and a second one, should the workflow have made one between the erasure and its termination.
    assert.ok(counts.historyKeysDestroyed >= 1, `keys: ${counts.historyKeysDestroyed}`);
    assert.equal(counts.history, 'crypto-shredded');
  });

  test('(a) Postgres holds nothing of the call\'s content any more; the other call\'s is untouched', async () => {
    // An attempt under way when the erasure came records itself without the receiver's answer.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const dump = await dumpDatabase(h.db.pool);
    assert.ok(!dump.includes(marker1), 'no trace of the erased call: bodies, errors, excerpts, filter reasons');
    assert.ok(dump.includes(`got ${marker2}`) && dump.includes(`lost ${marker2}`) && dump.includes(`busy ${marker2}`), "the other call's content stays");
    const keys = await h.db.pool.query('SELECT call_id FROM call_data_keys WHERE call_id = ANY ($1)', [[call1, call2]]);
    assert.deepEqual(keys.rows.map((r) => r.call_id), [call2]);
  });

  test("(b) the call's Temporal history no longer decodes (its key is gone); the other call's does", async () => {
    // Before: every payload of the history (signals, activity inputs and results, the workflow input) was under the call's key.
    const keyIds = new Set(historyBefore.payloads.map(({ payload }) => utf8(payload.metadata?.[DATA_KEY_ID_METADATA])));
    assert.ok(historyBefore.payloads.length > 5);
    assert.equal(keyIds.size, 1, `payloads under one data key: ${[...keyIds].join(', ')}`);
    assert.match([...keyIds][0]!, /^cdk_/);

    const description = await h.client.workflow.getHandle(call1).describe();
    assert.equal(description.status.name, 'TERMINATED', 'the call\'s workflow was stopped');
    const after = await rawHistory(call1);
    assert.ok(!after.bytes.includes(marker1), 'the history holds it encrypted only');
    // Patch markers are plain (the SDK writes them without the codec): a version id of the workflow code, no call data.
    for (const { payload } of after.markers) assert.match(utf8(payload.data), /^(\{"id":"[a-z-]+","deprecated":(true|false)\}|"[a-z-]+")$/);
    const terminated = (await h.env.client.workflow.getHandle(call1).fetchHistory()).events?.find((e) => e.workflowExecutionTerminatedEventAttributes);
    assert.equal(terminated?.workflowExecutionTerminatedEventAttributes?.reason, ERASED);
    for (const { at, payload } of after.payloads) {
      await assert.rejects(codec.decode([payload]), (err: unknown) => {
        assert.ok(err instanceof PayloadCodecError, at);
        assert.match(err.message, /no longer exists: the call's content was erased/);
        return true;
      });
    }
    // The codec endpoint (the Web UI's, the CLI's) says so too.
    const json = (p: Payload) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    });
    const viaEndpoint = await h.api('POST', '/codec/decode', { payloads: [json(after.payloads[0]!.payload)] });
    assert.equal(viaEndpoint.status, 400);
    assert.match(viaEndpoint.body.error.message, /was erased/);

    const other = await rawHistory(call2);
    const decoded = await codec.decode(other.payloads.map((p) => p.payload));
    assert.ok(decoded.some((p) => utf8(p.data).includes(marker2)), "the other call's history decodes, with its content");
    assert.equal((await h.client.workflow.getHandle(call2).describe()).status.name, 'RUNNING');
  });

  test('(c) the pending deliveries ended as skipped, saying why; nothing more is sent for the call', async () => {
    const log = await h.deliveries(call1);
    const skipped = log.filter((d) => d.lastError === ERASED);
    assert.equal(skipped.length, 2);
    for (const d of skipped) {
      assert.equal(d.status, 'skipped');
      assert.ok(d.actions.some((a) => a.action === 'skip' && a.reason === ERASED && a.source.startsWith('api')), JSON.stringify(d.actions));
    }
    // The 503 endpoint keeps retrying the other call (every 4 s); the erased one gets nothing after the erasure.
    const before = busyReceiver.requests.filter((r) => r.rawBody.includes(call2)).length;
    await eventually(async () => (busyReceiver.requests.filter((r) => r.rawBody.includes(call2)).length > before ? true : undefined), 'the other call to be retried');
    const late = busyReceiver.requests.filter((r) => r.rawBody.includes(call1) && r.at > erasedAtMs + 1_500);
    assert.deepEqual(late.map((r) => r.at), []);
  });

  test('(d) the delivery log keeps its ids, event types, times, status codes and statuses; reads show body null and erasedAt', async () => {
    const log = await h.deliveries(call1);
    assert.equal(log.length, 6);
    assert.deepEqual(log.map((d) => d.eventType).sort(), ['OUTBOUND_CALL_CALLING', 'OUTBOUND_CALL_CALLING', 'OUTBOUND_CALL_CALLING', 'OUTBOUND_CALL_ERROR', 'OUTBOUND_CALL_ERROR', 'OUTBOUND_CALL_ERROR']);
    assert.deepEqual(log.map((d) => d.status).sort(), ['skipped', 'skipped', 'skipped', 'skipped', 'succeeded', 'succeeded']);
    for (const d of log) {
      assert.match(d.id, /^dlv_/);
      assert.ok(d.createdAt && d.endedAt && d.erasedAt, JSON.stringify(d));
      assert.ok(!JSON.stringify(d).includes(marker1));
      for (const a of d.attempts) {
        assert.equal(a.responseExcerpt, null);
        assert.ok(a.startedAt && a.durationMs >= 0);
        if (a.outcome !== 'cancelled') assert.ok(a.statusCode === 200 || a.statusCode === 503, JSON.stringify(a));
      }
    }
    assert.deepEqual(log.filter((d) => d.status === 'succeeded').map((d) => d.lastStatusCode), [200, 200]);
    assert.ok(log.some((d) => d.attempts.some((a) => a.statusCode === 503)));
    assert.ok(log.filter((d) => d.lastError !== ERASED).every((d) => d.lastError === null), 'error texts (a filter\'s reasons quote the body) are gone');

    const event = await h.api('GET', `/v1/events/${firstEvent.id}`);
    assert.equal(event.status, 200, JSON.stringify(event.body));
    assert.deepEqual(event.body.payload, { id: firstEvent.id, eventType: 'OUTBOUND_CALL_CALLING', occurredAt: event.body.payload.occurredAt, body: null });
    assert.ok(event.body.erasedAt);
    assert.equal(event.body.validationErrors, null);
    assert.equal(event.body.deliveries.length, 3);

    const view = await h.api('GET', `/v1/calls/${call1}`);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.equal(view.body.erasedAt, erasure.body.erasedAt);
    assert.equal(view.body.rejected, null, 'an erased call\'s workflow is not asked');
    assert.deepEqual(view.body.events.map((e: { callStatus: string | null; erasedAt: string | null }) => [e.callStatus, e.erasedAt !== null]), [
      [null, true],
      [null, true],
    ]);
    assert.equal(view.body.deliveries.length, 6);
    const other = await h.api('GET', `/v1/calls/${call2}`);
    assert.equal(other.body.erasedAt, null);
    assert.deepEqual(other.body.events.map((e: { callStatus: string }) => e.callStatus), ['CALLING', 'FAILED']);
  });

  test('(e) another client\'s key gets 404 (above); (f) erasing again answers the same with every count 0; an erased event sent again is a duplicate and is not stored', async () => {
    const again = await call('DELETE', `/v1/calls/${call1}/content`, ownKey);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body, { ...erasure.body, events: 0, attempts: 0, skipped: 0, historyKeysDestroyed: 0 });
    const admin = await call('DELETE', `/v1/calls/${call1}/content`, ADMIN);
    assert.deepEqual(admin.body, again.body);
    assert.equal((await call('DELETE', `/v1/calls/${call1}/content`, otherKey)).status, 404);
    assert.equal((await call('DELETE', `/v1/calls/no-such-call-${stamp()}/content`, ADMIN)).status, 404);

    // The platform sends the first event again (same id, same content): accepted once before, not stored again.
    const replay = await h.api('POST', '/v1/events', firstEvent);
    assert.equal(replay.status, 202);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.ok(!(await dumpDatabase(h.db.pool)).includes(marker1));
    assert.equal((await h.deliveries(call1)).length, 6);
    // Nothing of it can be sent again.
    const retried = await h.api('POST', `/v1/deliveries/${(await h.deliveries(call1))[0]!.id}/retry`);
    assert.equal(retried.status, 409);
    assert.match(retried.body.error.message, /content was erased/);
    const redeliver = await h.api('POST', `/v1/calls/${call1}/redeliver`, {});
    assert.deepEqual(redeliver.body.deliveries, []);
  });
});

describe('per-client payload retention (CLIENT_PAYLOAD_RETENTION)', () => {
  const clientId = `client-retained-${stamp()}`;
  const otherClientId = `client-kept-${stamp()}`;
  let receiver: Receiver;

  async function deliveredCall(client: string, marker: string): Promise<string> {
    const callId = `call-ret-${stamp()}`;
    await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId: client, data: { callStatus: 'COMPLETED', note: marker } });
    await h.waitForDeliveries(callId, (l) => ended(l, 1));
    return callId;
  }

  /** Makes the call's events look `hours` old. */
  const age = (callId: string, hours: number) =>
    h.db.pool.query(`UPDATE events SET received_at = received_at - $2::interval WHERE call_id = $1`, [callId, `${hours} hours`]);

  const deps = () => ({
    pool: h.db.pool,
    logger,
    temporal: h.client,
    historyEncrypted: true,
    clientPayloadRetention: [{ clientId, retentionMs: 3_600_000 }],
  });

  before(async () => {
    receiver = await Receiver.start(echo(200, 'got'));
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.createEndpoint({ clientId: otherClientId, url: receiver.url });
  });

  test("the retention batch erases the calls of a client whose last event is older than its retention, and no other call", async () => {
    const [oldMarker, recentMarker, otherMarker] = [newMarker(), newMarker(), newMarker()];
    const oldCall = await deliveredCall(clientId, oldMarker);
    const recentCall = await deliveredCall(clientId, recentMarker);
    const otherCall = await deliveredCall(otherClientId, otherMarker);
    // A call with an old event and a recent one: its last event is recent, it stays.
    const spanning = await deliveredCall(clientId, newMarker());
    await age(oldCall, 2);
    await age(otherCall, 2);
    await h.db.pool.query(`UPDATE events SET received_at = received_at - interval '2 hours' WHERE call_id = $1`, [spanning]);
    await h.emit(spanning, 'OUTBOUND_CALL_CONNECTED', { clientId });
    await h.waitForDeliveries(spanning, (l) => ended(l, 2));

    const result = await purgeExpired(deps(), new Date(Date.now() - 30 * 86_400_000).toISOString(), 1000);
    assert.deepEqual([result.erasedCalls, result.moreToErase], [1, false]);
    const dump = await dumpDatabase(h.db.pool);
    assert.ok(!dump.includes(oldMarker), 'the old call of the client is erased');
    assert.ok(dump.includes(recentMarker) && dump.includes(otherMarker), 'a recent call, and an old call of a client without a payload retention, stay');
    const erased = await h.db.pool.query<{ call_id: string }>('SELECT DISTINCT call_id FROM events WHERE erased_at IS NOT NULL AND call_id = ANY ($1)', [[oldCall, recentCall, otherCall, spanning]]);
    assert.deepEqual(erased.rows.map((r) => r.call_id), [oldCall]);
    assert.equal((await h.db.pool.query('SELECT 1 FROM call_data_keys WHERE call_id = $1', [oldCall])).rowCount, 0, 'its history key is destroyed');
    const history = await rawHistory(oldCall);
    await assert.rejects(codec.decode(history.payloads.map((p) => p.payload)), /was erased/);
    // The next batch finds nothing more.
    assert.equal((await purgeExpired(deps(), new Date(Date.now() - 30 * 86_400_000).toISOString(), 1000)).erasedCalls, 0);
  });

  test('in bounded batches: a batch erases `limit` calls at most, and says there may be more', async () => {
    const calls = [await deliveredCall(clientId, newMarker()), await deliveredCall(clientId, newMarker())];
    for (const callId of calls) await age(callId, 3);
    assert.equal(await eraseDueContent(deps(), 1), 1);
    assert.equal(await eraseDueContent(deps(), 1), 1);
    assert.equal(await eraseDueContent(deps(), 1), 0);
    const erased = await h.db.pool.query('SELECT DISTINCT call_id FROM events WHERE erased_at IS NOT NULL AND call_id = ANY ($1)', [calls]);
    assert.equal(erased.rowCount, 2);
  });
});
