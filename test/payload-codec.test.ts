/**
 * Call payloads in Temporal history are encrypted by the payload codec (PAYLOAD_ENCRYPTION_KEY);
 * search attributes stay readable; the codec endpoint (/codec) lets the Temporal Web UI and CLI
 * show them decoded. Against a real dev server (its Web UI started with `--ui-codec-endpoint`),
 * Postgres, and — when there is a chromium — the Web UI in a real browser.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createApp } from '../src/api/app';
import { closeServer, listen } from '../src/process/http-server';
import { KeyRing } from '../src/crypto/key-ring';
import { findTemporalCli } from '../src/temporal/cli-location';
import { CallStatus, ClientId, LastEventType } from '../src/temporal/search-attributes';
import { DATA_KEY_ID_METADATA, ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, PayloadCodecError, payloadCodecFrom } from '../src/temporal/payload-codec';
import { CallDataKeys, rewrapCallDataKeys, forgetCallDataKeys } from '../src/crypto/call-data-keys';
import { isCallWorkflowId, SYSTEM_SCHEDULE_IDS } from '../src/temporal/system-workflow-ids';
import { RETENTION_SCHEDULE_ID } from '../src/temporal/retention-schedule';
import { RECONCILE_SCHEDULE_ID } from '../src/temporal/reconcile-schedule';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { stateQuery } from '../src/workflows/messages';
import { chromiumMissing, freePort, launchChromium } from './helpers/browser';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';

const KEY_TEXT = KeyRing.generateText('test-key-1');
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const encodingOf = (payload: Payload) => utf8(payload.metadata?.encoding);
const original = () => defaultPayloadConverter.toPayload({ note: 'confidential transcript' });

/** A payload as the codec protocol carries it: protobuf JSON, bytes in base64. */
function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

function fromJson(json: { metadata: Record<string, string>; data: string }): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(json.data, 'base64'),
  };
}

describe('EncryptionCodec', () => {
  const codec = new EncryptionCodec(KeyRing.parse(KEY_TEXT));
  const original = defaultPayloadConverter.toPayload({ note: 'confidential transcript' });

  test('encrypts the whole payload under the current key and decrypts it back', async () => {
    const [encrypted] = await codec.encode([original]);
    assert.equal(encodingOf(encrypted!), ENCRYPTED_ENCODING);
    assert.equal(utf8(encrypted!.metadata?.[KEY_ID_METADATA]), 'test-key-1');
    assert.deepEqual(Object.keys(encrypted!.metadata ?? {}).sort(), ['encoding', KEY_ID_METADATA]);
    assert.ok(!Buffer.from(encrypted!.data!).includes('confidential'));
    assert.ok(!Buffer.from(encrypted!.data!).includes('json/plain'), 'the original metadata is encrypted too');
    const [decoded] = await codec.decode([encrypted!]);
    assert.equal(encodingOf(decoded!), 'json/plain');
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), { note: 'confidential transcript' });
    assert.deepEqual(await codec.encode([]), []);
  });

  test('a rotated ring encrypts under its new first key and still reads the old one', async () => {
    const [old] = await codec.encode([original]);
    const rotated = new EncryptionCodec(KeyRing.parse(`${KeyRing.generateText('test-key-2')},${KEY_TEXT}`));
    const [fresh] = await rotated.encode([original]);
    assert.equal(utf8(fresh!.metadata?.[KEY_ID_METADATA]), 'test-key-2');
    const decoded = await rotated.decode([old!, fresh!]);
    assert.deepEqual(decoded.map((p) => defaultPayloadConverter.fromPayload(p)), [{ note: 'confidential transcript' }, { note: 'confidential transcript' }]);
  });

  test('a tampered payload fails to decode, naming the payload and key', async () => {
    const [encrypted] = await codec.encode([original]);
    const data = Buffer.from(encrypted!.data!);
    data[20]! ^= 0x01;
    await assert.rejects(codec.decode([original, { ...encrypted!, data }]), (err: unknown) => {
      assert.ok(err instanceof PayloadCodecError);
      assert.match(err.message, /payload 2 of 2 could not be decrypted: .*does not authenticate under key "test-key-1"/);
      return true;
    });
  });

  test('a payload under a key the ring does not hold fails with a clear error', async () => {
    const [foreign] = await new EncryptionCodec(KeyRing.parse(KeyRing.generateText('retired-key'))).encode([original]);
    await assert.rejects(codec.decode([foreign!]), (err: unknown) => {
      assert.ok(err instanceof PayloadCodecError);
      assert.match(err.message, /encrypted under key "retired-key", which PAYLOAD_ENCRYPTION_KEY does not hold \(it has test-key-1\)/);
      return true;
    });
    const { [KEY_ID_METADATA]: _dropped, ...withoutKeyId } = foreign!.metadata!;
    await assert.rejects(codec.decode([{ ...foreign!, metadata: withoutKeyId }]), /has no encryption-key-id metadata/);
  });

  test('payloads that are not encrypted (history from before encryption) pass through decode unchanged', async () => {
    const plain = [original, defaultPayloadConverter.toPayload(null), defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]))];
    const decoded = await codec.decode(plain);
    assert.equal(decoded.length, 3);
    decoded.forEach((payload, i) => assert.equal(payload, plain[i]));
  });
});

describe('per-call data keys (crypto-shredding)', () => {
  let db: TestDatabase;
  const ring = () => KeyRing.parse(KEY_TEXT);
  const callCtx = (workflowId: string) => ({ type: 'workflow' as const, namespace: 'default', workflowId });
  const activityCtx = (workflowId?: string) => ({ type: 'activity' as const, namespace: 'default', activityId: '1', isLocal: false, ...(workflowId && { workflowId }) });
  const note = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  test("a call's payloads are sealed under its own data key (named in the metadata, beside the ring key that wraps it) and read back without context", async () => {
    const codec = new EncryptionCodec(ring(), new CallDataKeys(db.pool, ring()));
    const [fromWorkflow] = await codec.encode([original()], callCtx('call-unit-1'));
    const [fromActivity] = await codec.encode([original()], activityCtx('call-unit-1'));
    const dataKeyId = utf8(fromWorkflow!.metadata?.[DATA_KEY_ID_METADATA]);
    assert.match(dataKeyId, /^cdk_[0-9a-f]{24}$/);
    assert.equal(utf8(fromActivity!.metadata?.[DATA_KEY_ID_METADATA]), dataKeyId, "an activity's payloads go under its workflow's call key");
    assert.equal(utf8(fromWorkflow!.metadata?.[KEY_ID_METADATA]), 'test-key-1');
    assert.equal(encodingOf(fromWorkflow!), ENCRYPTED_ENCODING);
    assert.ok(!Buffer.from(fromWorkflow!.data!).includes('confidential'));
    const { rows } = await db.pool.query<{ id: string; call_id: string; wrapped_key: string }>('SELECT id, call_id, wrapped_key FROM call_data_keys');
    assert.deepEqual(rows.map((r) => [r.id, r.call_id]), [[dataKeyId, 'call-unit-1']]);
    assert.match(rows[0]!.wrapped_key, /^ch1\.test-key-1\./, 'kept wrapped by the payload ring');
    // Another process (a store of its own, no cache): the /codec endpoint decodes with no context at all.
    const elsewhere = payloadCodecFrom({ PAYLOAD_ENCRYPTION_KEY: KEY_TEXT }, db.pool)!;
    const decoded = await elsewhere.decode([fromWorkflow!, fromActivity!]);
    assert.deepEqual(decoded.map(note), [{ note: 'confidential transcript' }, { note: 'confidential transcript' }]);
    // A codec without the database cannot: it says why.
    await assert.rejects(new EncryptionCodec(ring()).decode([fromWorkflow!]), /a call's data key \("cdk_[0-9a-f]+"\), and this codec has no database/);
  });

  test("payloads of no call (no context, callhook's own workflows, an activity without a workflow) stay under the ring; old ring payloads and plain ones still decode", async () => {
    const codec = new EncryptionCodec(ring(), new CallDataKeys(db.pool, ring()));
    const system = [
      await codec.encode([original()]),
      await codec.encode([original()], callCtx(RETENTION_SCHEDULE_ID)),
      await codec.encode([original()], callCtx(`${RECONCILE_SCHEDULE_ID}-2026-01-01T00:00:00Z`)),
      await codec.encode([original()], callCtx(`recover-ep_${'a'.repeat(32)}-123e4567-e89b-12d3-a456-426614174000`)),
      await codec.encode([original()], activityCtx()),
    ].map(([p]) => p!);
    for (const payload of system) assert.deepEqual(Object.keys(payload.metadata ?? {}).sort(), ['encoding', KEY_ID_METADATA]);
    const [legacy] = await new EncryptionCodec(ring()).encode([original()]);
    const plain = original();
    const decoded = await codec.decode([...system, legacy!, plain]);
    assert.equal(decoded.at(-1), plain);
    assert.deepEqual(decoded.map(note), Array(7).fill({ note: 'confidential transcript' }));
    assert.equal((await db.pool.query("SELECT 1 FROM call_data_keys WHERE call_id LIKE 'callhook-%' OR call_id LIKE 'recover-%'")).rowCount, 0);
    // The schedules' ids are the ones the codec knows.
    assert.deepEqual([...SYSTEM_SCHEDULE_IDS].sort(), [RECONCILE_SCHEDULE_ID, RETENTION_SCHEDULE_ID].sort());
    assert.ok(isCallWorkflowId('call-abc') && isCallWorkflowId('recover-me') && !isCallWorkflowId(RETENTION_SCHEDULE_ID));
  });

  test('a destroyed data key: the payloads fail to decode with a clear error, in another process once its cache expires (5 s), here at once', async () => {
    let now = 1_000_000;
    const here = new CallDataKeys(db.pool, ring());
    const otherProcess = new CallDataKeys(db.pool, ring(), { ttlMs: 5_000, now: () => now });
    const codec = new EncryptionCodec(ring(), here);
    const other = new EncryptionCodec(ring(), otherProcess);
    const [sealed] = await codec.encode([original()], callCtx('call-unit-erased'));
    assert.deepEqual((await other.decode([sealed!])).map(note), [{ note: 'confidential transcript' }]); // cached there now
    await db.pool.query('DELETE FROM call_data_keys WHERE call_id = $1', ['call-unit-erased']);
    const erased = (err: unknown) => {
      assert.ok(err instanceof PayloadCodecError);
      assert.match(err.message, /payload 1 of 1 is encrypted under the call data key "cdk_[0-9a-f]+", which no longer exists: the call's content was erased/);
      return true;
    };
    // Erased by another process: this one's cache holds the key for its TTL at most.
    assert.deepEqual((await other.decode([sealed!])).map(note), [{ note: 'confidential transcript' }]);
    now += 5_001;
    await assert.rejects(other.decode([sealed!]), erased);
    // The erasing process forgets it at once (every store of the process).
    assert.deepEqual((await codec.decode([sealed!])).map(note), [{ note: 'confidential transcript' }], 'still cached here');
    forgetCallDataKeys('call-unit-erased');
    await assert.rejects(codec.decode([sealed!]), erased);
    // A new payload of the call (an event after the erasure) gets a new key.
    const [fresh] = await codec.encode([original()], callCtx('call-unit-erased'));
    assert.notEqual(utf8(fresh!.metadata?.[DATA_KEY_ID_METADATA]), utf8(sealed!.metadata?.[DATA_KEY_ID_METADATA]));
    assert.deepEqual((await other.decode([fresh!])).map(note), [{ note: 'confidential transcript' }]);
  });

  test('after a rotation, data keys are re-wrapped under the new payload key: the old one can go, history still decodes, erasure still shreds', async () => {
    const codec = new EncryptionCodec(ring(), new CallDataKeys(db.pool, ring()));
    const [sealed] = await codec.encode([original()], callCtx('call-unit-rotated'));
    const rotatedText = `${KeyRing.generateText('test-key-2')},${KEY_TEXT}`;
    const rotated = KeyRing.parse(rotatedText);
    const wrappedUnder = async () =>
      (await db.pool.query<{ wrapped_key: string }>('SELECT wrapped_key FROM call_data_keys WHERE call_id = $1', ['call-unit-rotated'])).rows[0]!.wrapped_key.split('.')[1];
    assert.equal(await wrappedUnder(), 'test-key-1');
    const result = await rewrapCallDataKeys(db.pool, rotated);
    assert.equal(result.keyId, 'test-key-2');
    assert.ok(result.rewrapped >= 1 && result.failures.length === 0, JSON.stringify(result));
    assert.equal(await wrappedUnder(), 'test-key-2');
    assert.deepEqual(await rewrapCallDataKeys(db.pool, rotated), { keyId: 'test-key-2', rewrapped: 0, failures: [] }, 'nothing left to do');
    // The new key alone: the data key opens, so the payload written before the rotation decodes (its data key did not change).
    const newKeyOnly = rotatedText.split(',')[0]!;
    const afterRotation = new EncryptionCodec(KeyRing.parse(newKeyOnly), new CallDataKeys(db.pool, KeyRing.parse(newKeyOnly)));
    assert.deepEqual((await afterRotation.decode([sealed!])).map(note), [{ note: 'confidential transcript' }]);
    // A key wrapped under a ring key that is gone is reported by id, and left as it is.
    const lost = await rewrapCallDataKeys(db.pool, KeyRing.parse(KeyRing.generateText('test-key-3')));
    assert.ok(lost.failures.some((f) => f.callId === 'call-unit-rotated' && /no key "test-key-2"/.test(f.message)), JSON.stringify(lost.failures));
    assert.equal(await wrappedUnder(), 'test-key-2');
  });

  test("after an erasure here, what the call's stopped run still writes goes under a throwaway key (no new key row); a new event gets a new key", async () => {
    const store = new CallDataKeys(db.pool, ring(), { erasedGraceMs: 60_000 });
    const codec = new EncryptionCodec(ring(), store);
    const callId = 'call-unit-late';
    const event = (id: string, erased: boolean) =>
      db.pool.query(
        `INSERT INTO events (id, call_id, client_id, event_type, payload, payload_hash, occurred_at, erased_at)
         VALUES ($1, $2, 'client-unit', 'OUTBOUND_CALL_CALLING', $3, 'h', now(), $4)`,
        [id, callId, erased ? null : JSON.stringify({ id }), erased ? new Date() : null],
      );
    const [before] = await codec.encode([original()], callCtx(callId));
    const destroyedId = utf8(before!.metadata?.[DATA_KEY_ID_METADATA]);
    await event('evt-unit-late-1', true);
    await db.pool.query('DELETE FROM call_data_keys WHERE call_id = $1', [callId]);
    forgetCallDataKeys(callId);
    const [late] = await codec.encode([original()], activityCtx(callId));
    assert.equal(utf8(late!.metadata?.[DATA_KEY_ID_METADATA]), destroyedId, 'named as the destroyed key');
    assert.equal((await db.pool.query('SELECT 1 FROM call_data_keys WHERE call_id = $1', [callId])).rowCount, 0, 'no key made for an erased call');
    await assert.rejects(codec.decode([late!]), /was erased/);
    // A new event of the call (stored before it is signalled): new data, a new key.
    await event('evt-unit-late-2', false);
    const [fresh] = await codec.encode([original()], callCtx(callId));
    assert.notEqual(utf8(fresh!.metadata?.[DATA_KEY_ID_METADATA]), destroyedId);
    assert.deepEqual((await codec.decode([fresh!])).map(note), [{ note: 'confidential transcript' }]);
  });

  test('concurrent get-or-create of one call, in one process and in several, yields one key', async () => {
    const stores = Array.from({ length: 4 }, () => new CallDataKeys(db.pool, ring()));
    const keys = await Promise.all(stores.flatMap((store) => Array.from({ length: 5 }, () => store.forCall('call-unit-race'))));
    assert.equal(new Set(keys.map((k) => k.id)).size, 1);
    const { rows } = await db.pool.query('SELECT id FROM call_data_keys WHERE call_id = $1', ['call-unit-race']);
    assert.deepEqual(rows.map((r) => r.id), [keys[0]!.id]);
    // Every codec of them reads what any sealed.
    const sealed = await Promise.all(stores.map((store) => new EncryptionCodec(ring(), store).encode([original()], callCtx('call-unit-race'))));
    const decoded = await new EncryptionCodec(ring(), stores[0]).decode(sealed.map(([p]) => p!));
    assert.equal(decoded.length, 4);
  });
});

const missingChromium = chromiumMissing();
let h: Harness;
let uiPort = 0;
let uiUrl = '';
before(async () => {
  const apiPort = await freePort();
  uiPort = await freePort();
  uiUrl = `http://127.0.0.1:${uiPort}`;
  h = await Harness.start({
    payloadEncryptionKey: KEY_TEXT,
    apiPort,
    uiPort,
    devServerArgs: ['--ui-codec-endpoint', `http://127.0.0.1:${apiPort}/codec`],
    // The call stays open long enough for the browser to look at it.
    settings: { idleTimeoutMs: 10 * 60_000, abandonTimeoutMs: 10 * 60_000 },
  });
});
after(async () => {
  await h?.stop();
});

/** Every payload anywhere in a history, with where it is (`events.3.workflowExecutionSignaledEventAttributes.input.payloads.0`). */
function payloadsIn(value: unknown, at = ''): { at: string; payload: Payload }[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && typeof record.metadata === 'object') return [{ at, payload: record as Payload }];
  return Object.entries(record).flatMap(([key, child]) => payloadsIn(child, at ? `${at}.${key}` : key));
}

/** The payloads of `temporal … --output json` (protobuf JSON, bytes in base64), search attributes left out. */
function payloadsInJson(value: unknown): Payload[] {
  if (value === null || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  if (typeof record.data === 'string' && typeof record.metadata === 'object') {
    return [fromJson({ metadata: record.metadata as Record<string, string>, data: record.data })];
  }
  return Object.entries(record).flatMap(([key, child]) => (key === 'searchAttributes' ? [] : payloadsInJson(child)));
}

interface EncryptedCall {
  callId: string;
  runId: string;
  marker: string;
  clientId: string;
  /** The callEvent signal's first argument, as history stores it. */
  signalPayload: Payload;
}

let call: Promise<EncryptedCall> | undefined;

/** One call whose event carries a distinctive string, delivered; shared by the tests below. */
function encryptedCall(): Promise<EncryptedCall> {
  call ??= (async () => {
    const stamp = `${Date.now()}-${randomBytes(3).toString('hex')}`;
    const callId = `call-codec-${stamp}`;
    const clientId = `client-codec-${stamp}`;
    const marker = `PLAINTEXT-MARKER-${randomBytes(6).toString('hex')}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { callStatus: 'CALLING', note: marker } });
    await h.waitForDeliveries(callId, (l) => ended(l, 1));
    const delivered = receiver.requests[0]!.json as { eventType: string; body: { data: Record<string, unknown> } };
    assert.equal(delivered.eventType, 'OUTBOUND_CALL_CALLING');
    assert.equal(delivered.body.data.note, marker, 'the receiver gets the event decoded');
    const history = await h.env.client.workflow.getHandle(callId).fetchHistory();
    const signal = (history.events ?? []).find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'callEvents');
    assert.ok(signal, 'the callEvents signal (from the outbox relay) is in the history');
    const signalPayload = signal.workflowExecutionSignaledEventAttributes!.input!.payloads![0]! as Payload;
    const { runId } = await h.env.client.workflow.getHandle(callId).describe();
    return { callId, runId, marker, clientId, signalPayload };
  })();
  return call;
}

describe('call payloads in Temporal history', () => {
  test('history holds no plaintext payload; search attributes stay readable; callhook itself reads the payloads', async () => {
    const { callId, marker, clientId } = await encryptedCall();
    // The raw history, through the test environment's client (it has no codec).
    const handle = h.env.client.workflow.getHandle(callId);
    const history = await handle.fetchHistory();
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    assert.ok(!bytes.includes(marker), 'the marker is nowhere in the history bytes');

    const payloads = payloadsIn(history);
    const searchAttributes = payloads.filter((p) => p.at.includes('searchAttributes'));
    const others = payloads.filter((p) => !p.at.includes('searchAttributes'));
    assert.ok(others.some((p) => p.at.includes('workflowExecutionSignaledEventAttributes')), 'the signal input is among the payloads');
    for (const { at, payload } of others) {
      assert.equal(encodingOf(payload), ENCRYPTED_ENCODING, `${at} is encrypted`);
    }
    // Search attributes are no codec's business: plaintext in history, and read as such by any client.
    assert.ok(searchAttributes.length > 0);
    for (const { at, payload } of searchAttributes) assert.equal(encodingOf(payload), 'json/plain', `${at} is plaintext`);
    assert.ok(searchAttributes.some((p) => utf8(p.payload.data) === JSON.stringify(clientId)));
    const description = await handle.describe();
    assert.deepEqual(description.typedSearchAttributes.get(ClientId), clientId);
    assert.deepEqual(description.typedSearchAttributes.get(CallStatus), 'CALLING');
    assert.deepEqual(description.typedSearchAttributes.get(LastEventType), 'OUTBOUND_CALL_CALLING');
    const listed = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of h.env.client.workflow.list({ query: `ClientId = "${clientId}" AND CallStatus = "CALLING"` })) ids.push(wf.workflowId);
      return ids.length > 0 ? ids : undefined;
    }, 'the visibility store to list the call by its search attributes');
    assert.deepEqual(listed, [callId]);

    // A client with the codec reads the workflow's answers; one without it cannot.
    const state = await h.client.workflow.getHandle(callId).query(stateQuery);
    assert.equal(state.clientId, clientId);
    await assert.rejects(handle.query(stateQuery), /binary\/encrypted|[Ee]ncoding/);
  });
});

describe('the codec endpoint', () => {
  const allowedOrigin = () => `http://127.0.0.1:${uiPort}`;

  test('POST /codec/decode answers the plaintext of an encrypted payload; /codec/encode encrypts', async () => {
    const { signalPayload, marker, callId } = await encryptedCall();
    const decoded = await h.api('POST', '/codec/decode', { payloads: [toJson(signalPayload)] }, { 'x-namespace': 'default' });
    assert.equal(decoded.status, 200, JSON.stringify(decoded.body));
    assert.equal(decoded.body.payloads.length, 1);
    const plain = fromJson(decoded.body.payloads[0]);
    assert.equal(encodingOf(plain), 'json/plain');
    // The callEvents signal's input: the call's events, each with its planned deliveries.
    const batch = defaultPayloadConverter.fromPayload(plain) as { events: { event: { body: { data: { callId: string; note: string } } } }[] };
    const event = batch.events[0]!.event;
    assert.deepEqual([event.body.data.callId, event.body.data.note], [callId, marker]);

    // The CLI's `{namespace}` template: /codec/<namespace>/decode.
    const namespaced = await h.api('POST', '/codec/default/decode', { payloads: [toJson(signalPayload)] });
    assert.deepEqual(namespaced.body, decoded.body);

    const encoded = await h.api('POST', '/codec/encode', { payloads: [toJson(defaultPayloadConverter.toPayload({ hello: 'codec' }))] });
    assert.equal(encoded.status, 200);
    const encrypted = fromJson(encoded.body.payloads[0]);
    assert.equal(encodingOf(encrypted), ENCRYPTED_ENCODING);
    const back = await h.api('POST', '/codec/decode', { payloads: [toJson(encrypted), decoded.body.payloads[0]] });
    assert.deepEqual(back.body.payloads.map((p: { metadata: Record<string, string>; data: string }) => defaultPayloadConverter.fromPayload(fromJson(p))), [
      { hello: 'codec' },
      batch,
    ]);
  });

  test('CORS: a preflight from the Web UI origin is allowed (without auth), from another origin it is not', async () => {
    const preflight = (origin: string) =>
      fetch(`${h.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const allowed = await preflight(allowedOrigin());
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), allowedOrigin());
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(allowed.headers.get('access-control-allow-methods'), 'POST');
    assert.deepEqual(allowed.headers.get('access-control-allow-headers')?.split(/,\s*/).sort(), ['authorization', 'content-type', 'x-namespace']);
    assert.match(allowed.headers.get('vary') ?? '', /Origin/);
    const localhost = await preflight(`http://localhost:${uiPort}`);
    assert.equal(localhost.headers.get('access-control-allow-origin'), `http://localhost:${uiPort}`);

    const other = await preflight('http://evil.example');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(other.headers.get('access-control-allow-credentials'), null);

    // The request itself carries the header for the allowed origin only.
    const body = { payloads: [toJson(defaultPayloadConverter.toPayload('x'))] };
    const fromUi = await h.api('POST', '/codec/decode', body, { origin: allowedOrigin() });
    assert.equal(fromUi.headers.get('access-control-allow-origin'), allowedOrigin());
    const fromElsewhere = await h.api('POST', '/codec/decode', body, { origin: 'http://evil.example' });
    assert.equal(fromElsewhere.headers.get('access-control-allow-origin'), null);
  });

  test('a bad body is a 400 in the API error shape; a payload that does not decrypt too', async () => {
    for (const body of [{}, { payloads: 'x' }, { payloads: [{ data: 'not base64!' }] }, { payloads: [{ metadata: { encoding: 42 } }] }]) {
      const response = await h.api('POST', '/codec/decode', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'invalid_request');
    }
    const broken = await h.api('POST', '/codec/decode', '{"payloads": [');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'invalid_json');
    const notJson = await h.api('POST', '/codec/decode', 'payloads', { 'content-type': 'text/plain' });
    assert.equal(notJson.status, 415);

    const { signalPayload } = await encryptedCall();
    const tampered = toJson(signalPayload);
    tampered.data = Buffer.from(tampered.data, 'base64').reverse().toString('base64');
    const failed = await h.api('POST', '/codec/decode', { payloads: [tampered] });
    assert.equal(failed.status, 400);
    assert.equal(failed.body.error.code, 'codec_failed');
    assert.match(failed.body.error.message, /payload 1 of 1 could not be decrypted/);

    // Larger than the API's body limit (64 KiB here), within the codec's.
    const big = defaultPayloadConverter.toPayload('y'.repeat(200_000));
    const large = await h.api('POST', '/codec/encode', { payloads: [toJson(big)] });
    assert.equal(large.status, 200);
  });

  test('with auth on, /codec needs an admin key (the preflight does not); the CLI decodes with --codec-auth', async () => {
    const adminKey = `admin-${randomBytes(16).toString('hex')}`;
    const app = createApp({
      pool: h.db.pool,
      temporal: h.client,
      taskQueue: h.taskQueue,
      allowHttpUrls: true,
      maxBodyBytes: 65_536,
      signingKeys: h.signingKeys,
      hmacSecretOverlapMs: 0,
      auth: { mode: 'on', adminKeys: [adminKey] },
      // With the pool: the calls' payloads are sealed under their data keys, kept there.
      payloadCodec: payloadCodecFrom({ PAYLOAD_ENCRYPTION_KEY: KEY_TEXT }, h.db.pool)!,
      codecCorsOrigins: [allowedOrigin()],
    });
    const server: Server = await listen(app, 0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec/decode`;
      const body = JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload('z'))] });
      const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
      const anonymous = await post({ origin: allowedOrigin() });
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthorized');
      assert.equal(anonymous.headers.get('access-control-allow-origin'), allowedOrigin(), 'the UI can read why');
      const wrong = await post({ authorization: 'Bearer not-a-key-of-ours' });
      assert.equal(wrong.status, 401);
      const admin = await post({ authorization: `Bearer ${adminKey}` });
      assert.equal(admin.status, 200);
      const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: allowedOrigin(), 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), allowedOrigin());

      // The operator's CLI: `temporal workflow show --codec-endpoint … --codec-auth 'Bearer <admin key>'`.
      const { callId, marker } = await encryptedCall();
      const cli = findTemporalCli();
      assert.ok(cli, 'the Temporal CLI that runs the dev server');
      const show = (...extra: string[]) =>
        promisify(execFile)(cli, ['workflow', 'show', '--address', h.env.address, '--namespace', 'default', '--workflow-id', callId, '--output', 'json', ...extra]);
      const codecEndpoint = url.replace(/\/decode$/, '');
      // The JSON output carries payloads as protobuf JSON: their data in base64.
      const payloadTexts = (stdout: string) => payloadsInJson(JSON.parse(stdout)).map((p) => `${utf8(p.metadata?.encoding)} ${utf8(p.data)}`);
      const decoded = payloadTexts((await show('--codec-endpoint', codecEndpoint, '--codec-auth', `Bearer ${adminKey}`)).stdout);
      assert.ok(decoded.some((text) => text.startsWith('json/plain ') && text.includes(marker)), 'the CLI shows the event decoded');
      const withoutCodec = payloadTexts((await show()).stdout);
      assert.ok(withoutCodec.length > 0 && withoutCodec.every((text) => text.startsWith(`${ENCRYPTED_ENCODING} `) && !text.includes(marker)));
    } finally {
      await closeServer(server);
    }
  });
});

describe('the Temporal Web UI, with the codec endpoint (real browser)', () => {
  test('the call page shows the event decoded', { timeout: 180_000 }, async (t) => {
    if (missingChromium) {
      t.skip(missingChromium);
      return;
    }
    const { callId, runId, marker } = await encryptedCall();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.setDefaultTimeout(15_000);
      page.setDefaultNavigationTimeout(30_000);
      // The UI calls the codec endpoint from the browser (cross-origin: CORS).
      const codecAnswers: string[] = [];
      page.on('response', (response) => {
        if (response.url().includes('/codec/')) codecAnswers.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`);
      });
      try {
        await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(callId)}/${runId}/history`);
        // The workflow's input, decoded, is on the page at once.
        await page.getByText(`"callId": "${callId}"`).first().waitFor({ state: 'visible', timeout: 30_000 });
        // The event is in the callEvents signal's input (sent by the outbox relay): open it from the timeline.
        await page.locator('g[role="button"]', { hasText: 'callEvent' }).first().click();
        await page.getByText('Workflow Execution Signaled').first().waitFor({ state: 'visible' });
        const decodedMarker = page.getByText(marker).first();
        await decodedMarker.waitFor({ state: 'visible' });
        await decodedMarker.scrollIntoViewIfNeeded();
        assert.ok(codecAnswers.includes('POST /codec/decode 200'), `the UI decoded through the codec endpoint: ${codecAnswers.join(', ')}`);
        await page.screenshot({ path: path.join(os.tmpdir(), 'ui-codec-decoded.png') });
      } catch (error) {
        await page.screenshot({ path: path.join(os.tmpdir(), 'ui-codec-failure.png') }).catch(() => undefined);
        throw error;
      }
    } finally {
      await browser.close();
    }
  });
});
