/**
 * Scale out on Temporal, not beside it: two API processes and two worker processes — real child processes, configured
 * by environment as in a deployment — share ONE Temporal dev server and ONE Postgres database. 20 calls stream 20
 * events each over both APIs (a call's events alternate between them, so per-call order must hold across processes);
 * a third of the way in, one API and one worker are SIGKILLed. A client resends what its dead API did not answer to
 * the surviving one, with the same id. Everything accepted must reach the receiver, per call in order, with
 * duplicates only where an attempt was in flight at the kill, and the outbox must end empty.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { KeyRing } from '../src/crypto/key-ring';
import { eventually } from './helpers/eventually';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { Receiver, type ReceivedRequest } from './helpers/receiver';
import { ServiceProcess } from './helpers/service-process';
import { freePort, startDevServer } from './helpers/local-services';

const CALLS = 20;
const EVENTS_PER_CALL = 20;
const TOTAL = CALLS * EVENTS_PER_CALL;
/** The kill comes once this many events are accepted (most are still to come)… */
const KILL_AFTER_ACCEPTED = Math.ceil(TOTAL / 3);
/** …and this many requests reached the receiver: the workers are delivering, attempts are in flight (cold workers start slowly). */
const KILL_AFTER_DELIVERED = CALLS;
/** A call's events are paced (like a real call's), so the stream lasts several seconds and the kill lands mid-stream. */
const EVENT_GAP_MS = [150, 350] as const;
/** The receiver answers 200 after a small random delay: attempts are in flight when the worker dies. */
const RECEIVER_DELAY_MS = [20, 200] as const;
/** Bundling the workflow code (webpack) takes 10–20 s per worker, both at once on 2 shared cores. */
const START_TIMEOUT_MS = 150_000;
const DELIVERY_TIMEOUT_MS = 120_000;
/** A receiver may read a request the killed worker wrote just before it died a little after the kill returned. */
const KILL_SLACK_MS = 1_000;
const CLIENT_ID = 'client-scale';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([low, high]: readonly [number, number]) => low + Math.floor(Math.random() * (high - low));
const range = (count: number) => Array.from({ length: count }, (_, i) => i);

interface Api {
  name: string;
  base: string;
  process: ServiceProcess;
}

let env: TestWorkflowEnvironment | undefined;
let db: TestDatabase | undefined;
let receiver: Receiver | undefined;
let dataDir: string | undefined;
const apis: Api[] = [];
const workers: ServiceProcess[] = [];
/** Attempts the receiver is answering right now (delivery id → count): what the kill may interrupt. */
const answering = new Map<string, number>();

before(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-scale-out-'));
  // Each assigned as soon as it exists, so that `after` tears down whatever started even when another part failed.
  await Promise.all([
    startDevServer().then((started) => void (env = started)),
    createTestDatabase().then((created) => void (db = created)),
    Receiver.start((request) => {
      const id = deliveryIdOf(request);
      const delayMs = between(RECEIVER_DELAY_MS);
      answering.set(id, (answering.get(id) ?? 0) + 1);
      setTimeout(() => {
        const left = (answering.get(id) ?? 1) - 1;
        if (left > 0) answering.set(id, left);
        else answering.delete(id);
      }, delayMs);
      return { status: 200, body: 'ok', delayMs };
    }).then((started) => void (receiver = started)),
  ]);

  const common = serviceEnv(env!.address, db!.url, dataDir);
  const apiPorts = await Promise.all([freePort(), freePort()]);
  apis.push(
    ...apiPorts.map((port, i): Api => ({
      name: `api-${i}`,
      base: `http://127.0.0.1:${port}`,
      process: ServiceProcess.start(`api-${i}`, 'src/api/main.ts', { ...common, PORT: String(port) }),
    })),
  );
  workers.push(...range(2).map((i) => ServiceProcess.start(`worker-${i}`, 'src/worker.ts', common)));
  await Promise.all([
    ...apis.map((api) => api.process.waitForLog('callhook API running', START_TIMEOUT_MS)),
    ...workers.map((worker) => worker.waitForLog('worker running', START_TIMEOUT_MS)),
  ]);
});

after(async () => {
  // Every child is killed, on success and on failure alike: nothing may outlive the test file.
  const services = [...apis.map((api) => api.process), ...workers];
  await Promise.all(services.map((service) => service.kill()));
  // SCALE_OUT_LOGS=<dir>: each process's log is kept there, to read after a run that passed too.
  if (process.env.SCALE_OUT_LOGS) writeLogs(process.env.SCALE_OUT_LOGS);
  try {
    await receiver?.stop();
    await env?.teardown();
  } finally {
    await db?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

/** What every callhook process gets: one Temporal, one database, one task queue, fast retries, quiet logs. */
function serviceEnv(temporalAddress: string, databaseUrl: string, dir: string): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    TEMPORAL_TASK_QUEUE: `scale-${process.pid}-${Date.now().toString(36)}`,
    AUTH: 'off',
    // The receiver is http on loopback.
    ALLOW_HTTP_URLS: 'true',
    ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_ADDRESS: 'off',
    RETRY_INITIAL_INTERVAL: '1s',
    RETRY_BACKOFF_COEFFICIENT: '2',
    RETRY_MAX_INTERVAL: '4s',
    // Well above the receiver's delay even on a loaded 2-core machine: a duplicate here must come from the kill, not a timeout.
    DELIVERY_ATTEMPT_TIMEOUT: '5s',
    CALL_IDLE_TIMEOUT: '2s',
    OUTBOX_POLL: '200ms',
    // Recovery must come from Temporal (activity heartbeats, task timeouts) and the outbox, not from the reconciler's sweep.
    RECONCILE_EVERY: 'off',
    DATA_DIR: dir,
    // One key for all four processes, given rather than generated in DATA_DIR by whichever starts first.
    SECRETS_ENCRYPTION_KEYS: KeyRing.generateText('scale'),
    LOG_FORMAT: 'json',
    // info: the start-up lines waited for ("callhook API running", "worker running") are info.
    LOG_LEVEL: 'info',
  };
}


function deliveryIdOf(request: ReceivedRequest): string {
  return String(request.headers['x-recho-delivery-id']);
}
function eventIdOf(request: ReceivedRequest): string {
  return String(request.headers['x-recho-event-id']);
}
function dataOf(request: ReceivedRequest): { callId: string; seq: number } {
  return (request.json as { body: { data: { callId: string; seq: number } } }).body.data;
}

interface CallEventBody {
  id: string;
  eventType: string;
  body: { data: { callId: string; clientId: string; seq: number } };
}

function callEvent(callId: string, seq: number): CallEventBody {
  return {
    id: `${callId}-e${seq}`,
    eventType: seq === EVENTS_PER_CALL - 1 ? 'OUTBOUND_CALL_COMPLETED' : 'OUTBOUND_CALL_CONNECTED',
    body: { data: { callId, clientId: CLIENT_ID, seq } },
  };
}

type PostOutcome = { ok: true; replayed: boolean } | { ok: false; status?: number; error: string };

async function post(api: Api, event: CallEventBody): Promise<PostOutcome> {
  try {
    const response = await fetch(`${api.base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (response.status === 202) return { ok: true, replayed: response.headers.get('idempotent-replayed') === 'true' };
    return { ok: false, status: response.status, error: text };
  } catch (err) {
    // The API is gone (refused, or the connection dropped mid-request): whether it stored the event is unknown.
    return { ok: false, error: err instanceof Error ? `${err.message}${err.cause ? `: ${String(err.cause)}` : ''}` : String(err) };
  }
}

/** What the clients saw. */
const stats = {
  accepted: new Set<string>(),
  acceptedBy: new Map<string, number>(),
  /** Events that needed more than one POST (their API died, before or during the request). */
  resent: 0,
  /** Resent events the surviving API already had (the dead one had stored them): answered 202 `idempotent-replayed`. */
  replayed: 0,
};

let killedAt = 0;
let answeringAtKill = 0;
let acceptedAtKill = 0;

/** SIGKILLs one API and one worker at the same moment, once the stream is a third in and deliveries flow. */
async function killHalfMidStream(): Promise<void> {
  // Bounded: a system that delivers nothing is killed all the same, and the wait for deliveries below says what is stuck.
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while ((stats.accepted.size < KILL_AFTER_ACCEPTED || receiver!.requests.length < KILL_AFTER_DELIVERED) && Date.now() < deadline) await sleep(20);
  killedAt = Date.now();
  answeringAtKill = answering.size;
  acceptedAtKill = stats.accepted.size;
  await Promise.all([apis[0]!.process.kill(), workers[0]!.kill()]);
}

/**
 * Sends one event as a client would: to its API, and on any failure (the API died, or answered 5xx) to the next
 * one, with the same id, until one answers 202. A refusal (4xx) is a bug, not something to retry.
 */
async function submit(event: CallEventBody, preferred: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; ; attempt++) {
    const api = apis[(preferred + attempt) % apis.length]!;
    const outcome = await post(api, event);
    if (outcome.ok) {
      stats.accepted.add(event.id);
      stats.acceptedBy.set(api.name, (stats.acceptedBy.get(api.name) ?? 0) + 1);
      if (attempt > 0) stats.resent++;
      if (outcome.replayed) stats.replayed++;
      return;
    }
    if (outcome.status !== undefined && outcome.status < 500 && outcome.status !== 429) {
      throw new Error(`${event.id} refused by ${api.name}: ${outcome.status} ${outcome.error}`);
    }
    if (Date.now() > deadline) throw new Error(`${event.id} not accepted within 60 s; last: ${outcome.error}`);
    if (attempt > 0) await sleep(200);
  }
}

/** One call's events, in order, one after the other; alternating APIs, so consecutive events go through different processes. */
async function streamCall(callId: string, index: number): Promise<void> {
  for (const seq of range(EVENTS_PER_CALL)) {
    await submit(callEvent(callId, seq), (index + seq) % apis.length);
    await sleep(between(EVENT_GAP_MS));
  }
}

/** Per call, the distinct seqs the receiver has. */
function seqsReceived(calls: string[]): Map<string, Set<number>> {
  const byCall = new Map(calls.map((call) => [call, new Set<number>()]));
  for (const request of receiver!.requests) {
    const { callId, seq } = dataOf(request);
    byCall.get(callId)?.add(seq);
  }
  return byCall;
}

/**
 * What a failed wait says: Postgres's outbox and deliveries, the first unfinished call's workflow (status, pending
 * activities, latest history events), and where each process's log was written in full.
 */
async function diagnose(calls: string[]): Promise<string> {
  const lines: string[] = [];
  const { rows } = await db!.pool.query<{ what: string; n: number }>(
    `SELECT 'events unsignalled' AS what, count(*)::int AS n FROM events WHERE signaled_at IS NULL
     UNION ALL SELECT 'deliveries ' || status, count(*)::int FROM deliveries GROUP BY status`,
  );
  lines.push(`Postgres: ${rows.map((r) => `${r.what} ${r.n}`).join(', ')}`);
  const stuck = [...seqsReceived(calls)].find(([, seqs]) => seqs.size < EVENTS_PER_CALL)?.[0];
  if (stuck) {
    try {
      const handle = env!.client.workflow.getHandle(stuck);
      const description = await handle.describe();
      const pending = (description.raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} attempt ${a.attempt} ${a.lastFailure?.message ?? ''}`);
      const history = await handle.fetchHistory();
      const latest = (history.events ?? []).slice(-12).map((e) => `${e.eventId} ${String(e.eventType)}`);
      lines.push(`${stuck}: ${description.status.name}; pending activities: ${pending.join('; ') || 'none'}; latest events: ${latest.join(', ')}`);
    } catch (err) {
      lines.push(`${stuck}: not described: ${String(err)}`);
    }
  }
  lines.push(...writeLogs(fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-scale-out-logs-'))));
  return lines.join('\n');
}

/** Writes each process's kept log lines to `dir`; says where. */
function writeLogs(dir: string): string[] {
  return [...apis.map((api) => api.process), ...workers].map((service) => {
    const file = path.join(dir, `${service.name}.log`);
    fs.writeFileSync(file, `${service.lines.join('\n')}\n`);
    return `${service.name} (pid ${service.pid}, ${service.running ? 'running' : 'ended'}) log: ${file}`;
  });
}

test('2 APIs and 2 workers on one Temporal and one Postgres: SIGKILL one of each mid-stream, every accepted event is delivered once per call in order', async (t: TestContext) => {
  const started = Date.now();
  const created = await fetch(`${apis[1]!.base}/v1/endpoints`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: CLIENT_ID, kind: 'custom', url: receiver!.url, events: ['*'], auth: { type: 'none' } }),
  });
  assert.equal(created.status, 201, await created.text());

  const calls = range(CALLS).map((i) => `call-scale-${i}-${Date.now().toString(36)}`);
  const kill = killHalfMidStream();
  await Promise.all(calls.map((callId, i) => streamCall(callId, i)));
  const streamedMs = Date.now() - started;
  await kill;
  const [apiExit, workerExit] = await Promise.all([apis[0]!.process.exited, workers[0]!.exited]);
  assert.equal(apiExit.signal, 'SIGKILL');
  assert.equal(workerExit.signal, 'SIGKILL');
  assert.equal(stats.accepted.size, TOTAL, 'every event was accepted, by one API or the other');
  assert.ok(apis.every((api) => (stats.acceptedBy.get(api.name) ?? 0) > 0), 'both APIs accepted events');

  // Every call's 20 events reach the receiver, through the surviving worker and relays.
  const missing = () =>
    [...seqsReceived(calls)].filter(([, seqs]) => seqs.size < EVENTS_PER_CALL).map(([call, seqs]) => `${call}: ${EVENTS_PER_CALL - seqs.size} missing`);
  await eventually(
    async () => (missing().length === 0 ? true : undefined),
    'every event at the receiver',
    DELIVERY_TIMEOUT_MS,
  ).catch(async (err: unknown) => {
    throw new Error(`${(err as Error).message}\n${missing().join('\n')}\n${await diagnose(calls)}`);
  });
  const recoveredMs = Date.now() - killedAt;
  // A late duplicate (a retried attempt of the killed worker's) would come before the lane's later events; a short wait all the same.
  await sleep(2_000);

  const requests = receiver!.requests;
  const eventIds = new Set(requests.map(eventIdOf));
  const lost = [...stats.accepted].filter((id) => !eventIds.has(id));
  assert.deepEqual(lost, [], 'no accepted event is lost');
  assert.deepEqual([...eventIds].filter((id) => !stats.accepted.has(id)), [], 'nothing but the accepted events is delivered');

  // Per call, the first time each seq arrives: 0..19 in order (a duplicate may repeat an earlier seq, never jump ahead).
  for (const callId of calls) {
    const firsts: number[] = [];
    for (const request of requests) {
      const { callId: call, seq } = dataOf(request);
      if (call === callId && !firsts.includes(seq)) firsts.push(seq);
    }
    assert.deepEqual(firsts, range(EVENTS_PER_CALL), `${callId} delivered in order`);
  }

  // Duplicates: the same delivery sent again. Only an attempt in flight on the killed worker may be (its activity is
  // retried on the other after the heartbeat timeout): so it first arrived before the kill, at most one per lane (call), twice.
  const copies = new Map<string, ReceivedRequest[]>();
  for (const request of requests) copies.set(deliveryIdOf(request), [...(copies.get(deliveryIdOf(request)) ?? []), request]);
  const duplicated = [...copies].filter(([, sent]) => sent.length > 1);
  const duplicates = requests.length - copies.size;
  const describeDuplicates = duplicated
    .map(([id, sent]) => `${id} (${dataOf(sent[0]!).callId} seq ${dataOf(sent[0]!).seq}) at ${sent.map((r) => r.at - killedAt).join(', ')} ms from the kill`)
    .join('\n');
  t.diagnostic(`duplicates: ${duplicates} (the receiver was answering ${answeringAtKill} attempts at the kill)`);
  for (const line of describeDuplicates.split('\n').filter(Boolean)) t.diagnostic(`  ${line}`);
  assert.ok(duplicates <= CALLS, `at most one duplicate per lane: ${duplicates}\n${describeDuplicates}`);
  for (const [id, sent] of duplicated) {
    assert.equal(sent.length, 2, `${id} sent twice at most`);
    assert.ok(sent[0]!.at <= killedAt + KILL_SLACK_MS, `${id} first sent before the kill: a duplicate only where an attempt was in flight\n${describeDuplicates}`);
  }
  const lanesDuplicated = duplicated.map(([, sent]) => dataOf(sent[0]!).callId);
  assert.equal(new Set(lanesDuplicated).size, lanesDuplicated.length, `one duplicated delivery per lane at most\n${describeDuplicates}`);

  // Postgres agrees: the outbox is empty and every delivery ended in success.
  let counts = '';
  await eventually(
    async () => {
      const { rows } = await db!.pool.query<{ unsignaled: number; succeeded: number; other: number }>(
        `SELECT (SELECT count(*)::int FROM events WHERE signaled_at IS NULL) AS unsignaled,
                (SELECT count(*)::int FROM deliveries WHERE status = 'succeeded') AS succeeded,
                (SELECT count(*)::int FROM deliveries WHERE status <> 'succeeded') AS other`,
      );
      const row = rows[0]!;
      counts = JSON.stringify(row);
      return row.unsignaled === 0 && row.succeeded === TOTAL && row.other === 0 ? row : undefined;
    },
    `no unsignalled event and ${TOTAL} succeeded deliveries in Postgres`,
    15_000,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last counts ${counts}`);
  });

  t.diagnostic(
    `killed at ${acceptedAtKill} events accepted; accepted ${stats.accepted.size} (${[...stats.acceptedBy].map(([api, n]) => `${api}: ${n}`).join(', ')}), resent ${stats.resent} ` +
      `(already stored: ${stats.replayed}); streamed in ${(streamedMs / 1000).toFixed(1)} s, all delivered ${(recoveredMs / 1000).toFixed(1)} s ` +
      `after the kill; ${requests.length} requests for ${copies.size} deliveries`,
  );
});
