/**
 * End-to-end tracing, as deployed: the API and the worker run as two real processes configured only by the standard
 * OTEL_* variables, exporting OTLP over HTTP to an in-process receiver here. One event must make one trace across
 * both: the API request, the outbox relay's signal, the workflow's spans, the delivery activity and the HTTP attempt;
 * a later event of the same call a trace of its own (the long-running workflow must not fold it into the first's).
 * A receiver that opted in gets the attempt's `traceparent`; the delivery log shows each attempt's trace id; and no
 * span carries the event's body, the endpoint's secret or a header value.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { KeyRing } from '../src/crypto/key-ring';
import { eventually } from './helpers/eventually';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { Receiver } from './helpers/receiver';
import { ServiceProcess } from './helpers/service-process';
import { freePort, startDevServer } from './helpers/local-services';

/** Bundling the workflow code (webpack, with the tracing interceptors) takes 10–20 s on 2 shared cores. */
const START_TIMEOUT_MS = 150_000;
const CLIENT_ID = 'client-trace';
/** In every event's body; no span may carry it. */
const MARKER = 'caller-number-+15550001234';
const BEARER = 'trace-test-bearer-secret-0123456789';
const SECRET_HEADER = 'secret-header-value-9876543210';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
}
interface ExportedSpan extends OtlpSpan {
  process: string;
}

let env: TestWorkflowEnvironment | undefined;
let db: TestDatabase | undefined;
let collector: Receiver | undefined;
let webhook: Receiver | undefined;
let dataDir: string | undefined;
let api: ServiceProcess | undefined;
let worker: ServiceProcess | undefined;
let base = '';

before(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-tracing-'));
  await Promise.all([
    startDevServer().then((started) => void (env = started)),
    createTestDatabase().then((created) => void (db = created)),
    Receiver.start(() => ({ status: 200, body: '{}' })).then((started) => void (collector = started)),
    Receiver.start(() => ({ status: 200, body: 'ok' })).then((started) => void (webhook = started)),
  ]);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const common = {
    TEMPORAL_ADDRESS: env!.address,
    DATABASE_URL: db!.url,
    HOST: '127.0.0.1',
    TEMPORAL_TASK_QUEUE: `tracing-${process.pid}-${Date.now().toString(36)}`,
    AUTH: 'off',
    ALLOW_HTTP_URLS: 'true',
    ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_ADDRESS: 'off',
    OUTBOX_POLL: '200ms',
    RECONCILE_EVERY: 'off',
    DATA_DIR: dataDir,
    SECRETS_ENCRYPTION_KEYS: KeyRing.generateText('tracing'),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    // The standard variables, and nothing else: the base URL gets /v1/traces appended.
    OTEL_EXPORTER_OTLP_ENDPOINT: new URL(collector!.url).origin,
    OTEL_SERVICE_NAME: 'callhook-test',
  };
  api = ServiceProcess.start('api', 'src/api/main.ts', { ...common, PORT: String(port) });
  worker = ServiceProcess.start('worker', 'src/worker.ts', common);
  await Promise.all([api.waitForLog('callhook API running', START_TIMEOUT_MS), worker.waitForLog('worker running', START_TIMEOUT_MS)]);
});

after(async () => {
  await Promise.all([api?.kill(), worker?.kill()]);
  try {
    await collector?.stop();
    await webhook?.stop();
    await env?.teardown();
  } finally {
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
});


/** Every span the two processes exported so far, each with its process (the resource's `callhook.process`). */
function exportedSpans(): ExportedSpan[] {
  const spans: ExportedSpan[] = [];
  for (const request of collector!.requests) {
    assert.equal(request.path, '/v1/traces', 'spans are exported to the standard traces path');
    const body = request.json as {
      resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
    };
    for (const resourceSpans of body.resourceSpans) {
      const processName = String(attribute(resourceSpans.resource, 'callhook.process') ?? '?');
      for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ ...span, process: processName });
    }
  }
  return spans;
}

function attribute(holder: { attributes?: OtlpSpan['attributes'] }, key: string): unknown {
  const found = holder.attributes?.find((a) => a.key === key);
  return found && Object.values(found.value)[0];
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  assert.ok(response.ok, `${response.status} ${text}`);
  return JSON.parse(text) as T;
}

function event(id: string, callId: string, eventType: string) {
  return { id, eventType, body: { data: { callId, clientId: CLIENT_ID, callStatus: 'CALLING', caller: MARKER } } };
}

/** Posts an event and waits for the receiver to get it; answers the receiver's request. */
async function deliver(body: ReturnType<typeof event>) {
  const accepted = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(accepted.status, 202, await accepted.text());
  return eventually(async () => webhook!.requests.find((r) => r.headers['x-recho-event-id'] === body.id), `the receiver to get ${body.id}`, 60_000);
}

test('one event is one trace across the API and the worker; a later event of the call is another; nothing secret is in a span', async () => {
  await json(
    await fetch(`${base}/v1/endpoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: CLIENT_ID,
        kind: 'custom',
        url: webhook!.url,
        events: ['*'],
        auth: { type: 'bearer', token: BEARER },
        headers: [{ name: 'x-tenant-key', value: SECRET_HEADER, secret: true }],
        sendTraceparent: true,
      }),
    }),
  );
  // A health probe (every few seconds in a deployment) makes no trace.
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const callId = `call-trace-${Date.now().toString(36)}`;
  const first = await deliver(event(`${callId}-1`, callId, 'OUTBOUND_CALL_CALLING'));
  // The second only once the first was delivered: each then has its own activity (a batch runs in its first event's trace).
  const second = await deliver(event(`${callId}-2`, callId, 'OUTBOUND_CALL_CONNECTED'));

  // The receiver opted in: each attempt came with a traceparent, each event's in a trace of its own.
  const parents = [first, second].map((request) => /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(request.headers.traceparent)));
  assert.ok(parents[0] && parents[1], `traceparent headers: ${[first, second].map((r) => r.headers.traceparent).join(', ')}`);
  const traceA = parents[0]![1]!;
  const traceB = parents[1]![1]!;
  assert.notEqual(traceA, traceB, "the call's second event has a trace of its own");

  const expected = (traceId: string) => ({
    api: ['POST /v1/events', 'callhook.outbox.relay'],
    // The workflow's own spans (exported by the worker through the sink): the signal bringing the event, the activity it scheduled.
    // Its RunWorkflow span ends, and so is exported, only when the run does (the call's end, or continue-as-new).
    worker: ['HandleSignal:callEvents', 'StartActivity:deliverBatch', 'RunActivity:deliverBatch', 'callhook.attempt custom'],
    traceId,
  });
  for (const want of [expected(traceA), expected(traceB)]) {
    const spans = await eventually(async () => {
      const inTrace = exportedSpans().filter((s) => s.traceId === want.traceId);
      for (const [processName, names] of [['api', want.api], ['worker', want.worker]] as const) {
        for (const name of names) {
          // The relay runs in both processes (whichever claims the call signals it): its span may come from either.
          const from = name === 'callhook.outbox.relay' ? inTrace : inTrace.filter((s) => s.process === processName);
          assert.ok(
            from.some((s) => s.name === name),
            `trace ${want.traceId}: no ${name} span from the ${processName}; it has ${inTrace.map((s) => `${s.process}:${s.name}`).join(', ')}`,
          );
        }
      }
      return inTrace;
    }, `the spans of trace ${want.traceId}`, 30_000);
    // One tree: every span but the API request's has its parent in the trace.
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    assert.deepEqual(roots.map((s) => s.name), ['POST /v1/events'], `one root, the API request: ${roots.map((s) => s.name).join(', ')}`);
    // The Temporal signal went out within this event's relay span, and the workflow's spans continue it.
    assert.ok(spans.some((s) => s.name.startsWith('SignalWithStartWorkflow:')), 'the relay signal is in the trace');
    const attempt = spans.find((s) => s.name === 'callhook.attempt custom')!;
    assert.equal(attribute(attempt, 'http.response.status_code'), 200);
    assert.equal(attribute(attempt, 'callhook.endpoint.kind'), 'custom');
  }
  // The receiver's traceparent names the attempt span itself.
  const attemptOfA = exportedSpans().find((s) => s.traceId === traceA && s.name === 'callhook.attempt custom')!;
  assert.equal(parents[0]![2], attemptOfA.spanId);

  // The delivery log shows each attempt's trace id.
  const detail = await json<{ deliveries: { attempts: { traceId: string | null }[] }[] }>(await fetch(`${base}/v1/events/${encodeURIComponent(`${callId}-1`)}`));
  assert.deepEqual(detail.deliveries.flatMap((d) => d.attempts.map((a) => a.traceId)), [traceA]);

  assert.ok(!exportedSpans().some((s) => s.name.includes('/healthz')), 'health probes are not traced');

  // No span, attribute or event carries the body, the bearer token or the secret header's value.
  const everything = collector!.requests.map((r) => r.rawBody).join('\n');
  for (const secret of [MARKER, BEARER, SECRET_HEADER]) assert.ok(!everything.includes(secret), `a span carries ${secret}`);
});
