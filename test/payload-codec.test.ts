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
import { closeServer, listen } from '../src/api/server';
import { KeyRing } from '../src/crypto/key-ring';
import { findTemporalCli } from '../src/temporal/cli-location';
import { CallStatus, ClientId, LastEventType } from '../src/temporal/search-attributes';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, PayloadCodecError } from '../src/temporal/payload-codec';
import { stateQuery } from '../src/workflows/messages';
import { chromiumMissing, freePort, launchChromium } from './helpers/browser';
import { eventually } from './helpers/eventually';
import { Harness, ended } from './helpers/harness';
import { Receiver } from './helpers/receiver';

const KEY_TEXT = KeyRing.generateText('test-key-1');
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const encodingOf = (payload: Payload) => utf8(payload.metadata?.encoding);

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
      payloadCodec: new EncryptionCodec(KeyRing.parse(KEY_TEXT)),
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
