import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { ConfigError, loadConfig } from '../src/config/config';
import { logger } from '../src/observability/logger';
import { startDevServer } from '../src/temporal/dev-server';
import { namespaceRetentionMs } from '../src/temporal/namespace-retention';
import { RETENTION_SCHEDULE_ID, ensureRetentionSchedule } from '../src/temporal/retention-schedule';
import { retentionWorkflow, type RetentionInput } from '../src/workflows/retention-workflow';
import { Harness, ended } from './helpers/harness';
import { eventually } from './helpers/eventually';
import { Receiver } from './helpers/receiver';

const DAY = 86_400_000;
const RETENTION_MS = 30 * DAY;

let h: Harness;
before(async () => {
  // Deliveries to a 503 receiver stay pending through the whole file (retried every 4 s).
  h = await Harness.start({ settings: { maxAttempts: 10_000 } });
});
after(async () => {
  await h?.stop();
});

let runs = 0;
/** Runs the retention workflow once, now, on the harness's worker. */
async function runRetention(input: Partial<RetentionInput> = {}) {
  runs += 1;
  return h.client.workflow.execute(retentionWorkflow, {
    taskQueue: h.taskQueue,
    workflowId: `retention-test-${runs}-${Date.now()}`,
    args: [{ retentionMs: RETENTION_MS, ...input }],
  });
}

/** Makes a call's rows look `days` old: its events, deliveries (created and, if ended, ended), attempts and actions. */
async function age(callId: string, days: number) {
  const interval = `${days} days`;
  await h.db.pool.query(`UPDATE events SET received_at = received_at - $2::interval, occurred_at = occurred_at - $2::interval WHERE call_id = $1`, [callId, interval]);
  await h.db.pool.query(
    `UPDATE deliveries SET created_at = created_at - $2::interval, updated_at = updated_at - $2::interval, ended_at = ended_at - $2::interval WHERE call_id = $1`,
    [callId, interval],
  );
  await h.db.pool.query(
    `UPDATE delivery_attempts a SET started_at = a.started_at - $2::interval FROM deliveries d WHERE d.id = a.delivery_id AND d.call_id = $1`,
    [callId, interval],
  );
  await h.db.pool.query(
    `UPDATE delivery_actions x SET created_at = x.created_at - $2::interval FROM deliveries d WHERE d.id = x.delivery_id AND d.call_id = $1`,
    [callId, interval],
  );
}

/** What Postgres holds of a call: its events, deliveries (with status), attempts and actions. */
async function rowsOf(callId: string) {
  const events = (await h.db.pool.query<{ id: string }>('SELECT id FROM events WHERE call_id = $1 ORDER BY id', [callId])).rows.map((r) => r.id);
  const deliveries = (await h.db.pool.query<{ id: string; status: string }>('SELECT id, status FROM deliveries WHERE call_id = $1 ORDER BY id', [callId])).rows;
  const attempts = Number(
    (await h.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.call_id = $1', [callId])).rows[0]!.n,
  );
  const actions = Number(
    (await h.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM delivery_actions x JOIN deliveries d ON d.id = x.delivery_id WHERE d.call_id = $1', [callId])).rows[0]!.n,
  );
  return { events, deliveries, attempts, actions };
}

/** Every attempt and action of the database whose delivery is `ids`' (after a purge: none may be left behind). */
async function orphans(deliveryIds: string[]) {
  const attempts = await h.db.pool.query('SELECT 1 FROM delivery_attempts WHERE delivery_id = ANY($1)', [deliveryIds]);
  const actions = await h.db.pool.query('SELECT 1 FROM delivery_actions WHERE delivery_id = ANY($1)', [deliveryIds]);
  return attempts.rowCount! + actions.rowCount!;
}

describe('retention', () => {
  test('purges exactly the deliveries that ended before RETENTION, their attempts and actions, and the events they leave', async () => {
    const clientId = 'client-ret1';
    const ok = await Receiver.start(() => ({ status: 200, body: 'ok' }));
    const rejecting = await Receiver.start(() => ({ status: 400, body: 'no' }));
    const unavailable = await Receiver.start(() => ({ status: 503, body: 'later' }));
    await h.createEndpoint({ clientId, url: ok.url });
    await h.createEndpoint({ clientId, url: rejecting.url });

    // An old call: 2 events × 2 endpoints, one delivery redelivered by an operator (an action, a second attempt).
    const oldCall = `ret-old-${Date.now()}`;
    const oldEvents = [await h.emit(oldCall, 'OUTBOUND_CALL_CALLING', { clientId }), await h.emit(oldCall, 'OUTBOUND_CALL_COMPLETED', { clientId })];
    const oldLog = await h.waitForDeliveries(oldCall, (l) => ended(l, 4));
    const failed = oldLog.find((d) => d.status === 'failed')!;
    assert.equal((await h.api('POST', `/v1/deliveries/${failed.id}/retry`)).status, 202);
    await h.waitForDeliveries(oldCall, (l) => ended(l, 4) && l.find((d) => d.id === failed.id)!.attempts.length === 2);
    // The call's 2 events, and the WEBHOOK_DELIVERY_FAILED notices of its 3 failures (no endpoint subscribes to them).
    const oldRows = await eventually(async () => {
      const rows = await rowsOf(oldCall);
      return rows.events.length === 2 + 3 ? rows : undefined;
    }, 'the failure notices to be stored');
    assert.deepEqual([oldRows.deliveries.length, oldRows.attempts, oldRows.actions], [4, 5, 1]);

    // A recent call whose first event is old but whose deliveries ended just now: all of it stays.
    const recentCall = `ret-recent-${Date.now()}`;
    const recentFirst = await h.emit(recentCall, 'OUTBOUND_CALL_CALLING', { clientId });
    await h.emit(recentCall, 'OUTBOUND_CALL_COMPLETED', { clientId });
    await h.waitForDeliveries(recentCall, (l) => ended(l, 4));
    await eventually(async () => ((await rowsOf(recentCall)).events.length === 2 + 2 ? true : undefined), 'the recent call\'s failure notices');
    await h.db.pool.query(`UPDATE events SET received_at = received_at - interval '40 days' WHERE id = $1`, [recentFirst]);

    // An old call with a delivery still pending (its receiver answers 503): nothing in flight is purged.
    const pendingClient = 'client-ret1-pending';
    await h.createEndpoint({ clientId: pendingClient, url: unavailable.url });
    const pendingCall = `ret-pending-${Date.now()}`;
    const pendingEvent = await h.emit(pendingCall, 'OUTBOUND_CALL_CALLING', { clientId: pendingClient });
    await unavailable.waitFor(1);
    await h.waitForDeliveries(pendingCall, (l) => l.length === 1 && l[0]!.attempts.length >= 1);

    // An old event no endpoint subscribed to: it never had a delivery.
    const lonelyCall = `ret-lonely-${Date.now()}`;
    const lonelyEvent = await h.emit(lonelyCall, 'OUTBOUND_CALL_CALLING', { clientId: 'client-ret1-nobody' });
    await eventually(async () => ((await rowsOf(lonelyCall)).events.length === 1 ? true : undefined), 'the lonely event to be stored');

    await age(oldCall, 31);
    await age(pendingCall, 45);
    await age(lonelyCall, 31);
    const recentBefore = await rowsOf(recentCall);
    const pendingBefore = await rowsOf(pendingCall);

    const result = await runRetention();
    assert.equal(result.deliveries, 4);
    assert.equal(result.attempts, 5);
    assert.equal(result.actions, 1);
    assert.equal(result.events, oldRows.events.length + 1); // the old call's and the lonely one
    assert.equal(result.batches, 1);

    assert.deepEqual(await rowsOf(oldCall), { events: [], deliveries: [], attempts: 0, actions: 0 });
    assert.equal(await orphans(oldRows.deliveries.map((d) => d.id)), 0);
    assert.deepEqual((await rowsOf(lonelyCall)).events, []);
    assert.deepEqual(await rowsOf(recentCall), recentBefore);
    const pendingAfter = await rowsOf(pendingCall);
    assert.deepEqual(pendingAfter.events, pendingBefore.events);
    assert.deepEqual(pendingAfter.deliveries, [{ id: pendingBefore.deliveries[0]!.id, status: 'pending' }]);

    // The API answers for what is left, and for what is gone as for what never was.
    assert.deepEqual(await h.deliveries(oldCall), []);
    assert.equal((await h.api('GET', `/v1/events/${oldEvents[0]}`)).status, 404);
    assert.equal((await h.api('GET', `/v1/events/${lonelyEvent}`)).status, 404);
    assert.equal((await h.deliveries(recentCall)).length, 4);
    const pendingView = await h.api('GET', `/v1/events/${pendingEvent}`);
    assert.equal(pendingView.status, 200);
    assert.equal(pendingView.body.deliveries[0].status, 'pending');

    // A second run finds nothing more.
    const again = await runRetention();
    assert.deepEqual([again.deliveries, again.events, again.batches], [0, 0, 1]);
  });

  test('purges in batches, continuing as new, until a batch is not full', async () => {
    const clientId = 'client-ret2';
    const ok = await Receiver.start(() => ({ status: 200 }));
    await h.createEndpoint({ clientId, url: ok.url });
    const callId = `ret-batches-${Date.now()}`;
    for (const type of ['OUTBOUND_CALL_CALLING', 'OUTBOUND_CALL_CONNECTED', 'OUTBOUND_CALL_CONNECTED', 'OUTBOUND_CALL_CONNECTED', 'OUTBOUND_CALL_COMPLETED']) {
      await h.emit(callId, type, { clientId });
    }
    await h.waitForDeliveries(callId, (l) => ended(l, 5));
    await age(callId, 60);

    const workflowId = `retention-batches-${Date.now()}`;
    const handle = await h.client.workflow.start(retentionWorkflow, {
      taskQueue: h.taskQueue,
      workflowId,
      args: [{ retentionMs: RETENTION_MS, batchSize: 2, batchesPerRun: 2 }],
    });
    const result = await handle.result();
    // 2 + 2 in the first run, 1 in the second (after continue-as-new): a batch of 1 < 2 ends it.
    assert.deepEqual([result.deliveries, result.events, result.attempts, result.batches], [5, 5, 5, 3]);
    assert.deepEqual(await rowsOf(callId), { events: [], deliveries: [], attempts: 0, actions: 0 });

    const firstHistory = await h.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
    const batchesOfFirstRun = (firstHistory.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'purgeExpired').length;
    assert.equal(batchesOfFirstRun, 2);
    assert.ok((firstHistory.events ?? []).some((e) => e.workflowExecutionContinuedAsNewEventAttributes), 'the first run continued as new');
  });

  test('the worker creates the schedule at start with RETENTION and RETENTION_SCHEDULE', async () => {
    const taskQueue = `${h.taskQueue}-child`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-retention-'));
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.env.address,
        DATABASE_URL: h.db.url,
        TEMPORAL_TASK_QUEUE: taskQueue,
        RETENTION: '14d',
        RETENTION_SCHEDULE: '45m',
        TEMPORAL_METRICS_ADDRESS: 'off',
        WORKER_METRICS_PORT: '0',
        LOG_FORMAT: 'json',
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const description = await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}): ${output}`);
          return h.client.schedule.getHandle(RETENTION_SCHEDULE_ID).describe().catch(() => undefined);
        },
        'the worker to create the retention schedule',
        60_000,
      );
      assert.deepEqual(description.spec.intervals?.map((i) => i.every), [45 * 60_000]);
      assert.equal(description.policies.overlap, ScheduleOverlapPolicy.SKIP);
      assert.equal(description.action.type, 'startWorkflow');
      assert.equal(description.action.workflowType, 'retentionWorkflow');
      assert.equal(description.action.taskQueue, taskQueue);
      assert.deepEqual(description.action.args, [{ retentionMs: 14 * DAY }]);
      assert.match(output, /retention schedule created/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('ensureRetentionSchedule updates the schedule in place, keeps an operator\'s pause, and a trigger runs the purge', async () => {
    const handle = h.client.schedule.getHandle(RETENTION_SCHEDULE_ID);
    // Created by the previous test, or here when this test runs alone.
    const first = await ensureRetentionSchedule(h.client, { taskQueue: h.taskQueue, retentionMs: RETENTION_MS, timing: { everyMs: 2 * 3_600_000 } }, logger);
    assert.ok(first === 'created' || first === 'updated');
    await handle.pause('checking that start-up keeps it paused');
    const second = await ensureRetentionSchedule(h.client, { taskQueue: h.taskQueue, retentionMs: RETENTION_MS, timing: { cron: '15 * * * *' } }, logger);
    assert.equal(second, 'updated');
    // The schedule applies an update on its own time: read until the new spec shows, then check the pause survived it.
    const description = await eventually(async () => {
      const now = await handle.describe();
      return (now.spec.calendars ?? []).length > 0 ? now : undefined;
    }, 'the updated schedule');
    assert.equal(description.state.paused, true);
    assert.deepEqual(description.spec.intervals ?? [], []);
    assert.equal((description.spec.calendars ?? []).length, 1, JSON.stringify(description.spec));
    assert.equal(description.action.type === 'startWorkflow' && description.action.taskQueue, h.taskQueue);

    // An old ended call, purged by a run the operator triggers.
    const clientId = 'client-ret3';
    const ok = await Receiver.start(() => ({ status: 200 }));
    await h.createEndpoint({ clientId, url: ok.url });
    const callId = `ret-trigger-${Date.now()}`;
    await h.emit(callId, 'INBOUND_CALL_COMPLETED', { clientId });
    await h.waitForDeliveries(callId, (l) => ended(l, 1));
    await age(callId, 31);

    await handle.unpause('trigger');
    await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    const workflowId = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId, 'the triggered run');
    assert.match(workflowId, new RegExp(`^${RETENTION_SCHEDULE_ID}`));
    const result = (await h.client.workflow.getHandle(workflowId).result()) as { deliveries: number; events: number };
    assert.equal(result.deliveries, 1);
    assert.equal(result.events, 1);
    assert.deepEqual(await rowsOf(callId), { events: [], deliveries: [], attempts: 0, actions: 0 });
    await handle.delete();
  });

  test('the dev server callhook starts keeps closed workflows for RETENTION', async () => {
    const env = await startDevServer({ retentionMs: 3 * DAY });
    try {
      assert.equal(await namespaceRetentionMs(env.connection, env.namespace ?? 'default'), 3 * DAY);
    } finally {
      await env.teardown();
    }
    // The harness's dev server was started without it: the dev server's own default (1 day).
    assert.equal(await namespaceRetentionMs(h.env.connection, h.env.namespace ?? 'default'), DAY);
  });

  test('RETENTION and RETENTION_SCHEDULE are read and checked', () => {
    const base = { TEMPORAL_NAMESPACE: 'default' };
    const defaults = loadConfig(base);
    assert.equal(defaults.RETENTION, 30 * DAY);
    assert.deepEqual(defaults.RETENTION_SCHEDULE, { everyMs: 3_600_000 });
    assert.equal(loadConfig({ ...base, RETENTION: '7d' }).RETENTION, 7 * DAY);
    assert.deepEqual(loadConfig({ ...base, RETENTION_SCHEDULE: '15  3 * * *' }).RETENTION_SCHEDULE, { cron: '15 3 * * *' });
    assert.deepEqual(loadConfig({ ...base, RETENTION_SCHEDULE: '@daily' }).RETENTION_SCHEDULE, { cron: '@daily' });
    assert.deepEqual(loadConfig({ ...base, RETENTION_SCHEDULE: '6h' }).RETENTION_SCHEDULE, { everyMs: 6 * 3_600_000 });
    assert.throws(() => loadConfig({ ...base, RETENTION: '30m' }), (err: unknown) => err instanceof ConfigError && /RETENTION: must be at least 1h/.test(err.message));
    assert.throws(() => loadConfig({ ...base, RETENTION: 'a month' }), (err: unknown) => err instanceof ConfigError && /RETENTION: "a month" is not a duration/.test(err.message));
    assert.throws(() => loadConfig({ ...base, RETENTION_SCHEDULE: '10s' }), (err: unknown) => err instanceof ConfigError && /RETENTION_SCHEDULE:/.test(err.message));
    assert.throws(() => loadConfig({ ...base, RETENTION_SCHEDULE: 'hourly' }), (err: unknown) => err instanceof ConfigError && /RETENTION_SCHEDULE:/.test(err.message));
  });
});
