/**
 * The reconciler (issue 15): a call whose workflow an operator terminated keeps its pending deliveries in
 * Postgres, and the `callhook-reconcile` schedule starts its workflow again so they are delivered, in order.
 * Real Temporal dev server, real Postgres, real receivers; the schedule fires every second here.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import pino from 'pino';
import { reconcileCalls } from '../src/activities/reconcile-calls';
import { emitCallEvent } from '../src/temporal/call-events-client';
import { ConfigError, loadConfig } from '../src/config/config';
import { findCallsToReconcile, loadUnnoticedFailures } from '../src/db/reconcile-repo';
import { logger } from '../src/observability/logger';
import { RECONCILE_SCHEDULE_ID, ensureReconcileSchedule } from '../src/temporal/reconcile-schedule';
import { Harness, ended } from './helpers/harness';
import { eventually } from './helpers/eventually';
import { Receiver } from './helpers/receiver';

const GRACE_MS = 1_000;

let h: Harness;
before(async () => {
  h = await Harness.start({ reconcile: { everyMs: 1_000, graceMs: GRACE_MS } });
});
after(async () => {
  await h?.stop();
});

/**
 * Deliveries and events written straight to Postgres (what a terminated run leaves behind, without running one), on
 * an endpoint of their own, removed afterwards. The harness's reconciler is paused meanwhile: it must not start
 * workflows on rows made by hand.
 */
class HandMadeRows {
  private readonly calls = new Set<string>();

  private constructor(
    readonly tag: string,
    readonly endpointId: string,
  ) {}

  static async start(prefix: string): Promise<HandMadeRows> {
    await h.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).pause('rows made by hand under test');
    const endpointId = await h.createEndpoint({ clientId: 'client-rec2', url: 'http://127.0.0.1:9/never' });
    return new HandMadeRows(`${prefix}-${Date.now()}`, endpointId);
  }

  /** A call id of this test's own. */
  call = (name: string): string => `${this.tag}-${name}`;

  event = async (callId: string, id: string, eventType: string): Promise<string> => {
    await h.db.pool.query(
      `INSERT INTO events (id, call_id, client_id, event_type, payload, payload_hash, occurred_at)
       VALUES ($1, $2, 'client-rec2', $3, '{}', 'hash', now())`,
      [id, callId, eventType],
    );
    this.calls.add(callId);
    return id;
  };

  /** A delivery of a new event; `ago`: how long ago it last changed (pending) or ended (ended ones), in seconds. */
  delivery = async (
    callId: string,
    name: string,
    fields: { status: 'pending' | 'failed' | 'succeeded'; ago: number; eventType?: string; nextAttemptInS?: number },
  ): Promise<{ id: string; eventId: string; laneSeq: number }> => {
    const eventId = await this.event(callId, `${callId}-${name}-evt`, fields.eventType ?? 'OUTBOUND_CALL_ERROR');
    const id = `${callId}-${name}`;
    const { rows } = await h.db.pool.query<{ laneSeq: string }>(
      `INSERT INTO deliveries (id, event_id, endpoint_id, call_id, status, last_error, updated_at, ended_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'failed' THEN 'HTTP 500 from receiver' END,
               now() - $6::float8 * interval '1 second', CASE WHEN $5 <> 'pending' THEN now() - $6::float8 * interval '1 second' END,
               now() + $7::float8 * interval '1 second')
       RETURNING lane_seq::text AS "laneSeq"`,
      [id, eventId, this.endpointId, callId, fields.status, fields.ago, fields.nextAttemptInS ?? null],
    );
    return { id, eventId, laneSeq: Number(rows[0]!.laneSeq) };
  };

  async remove(): Promise<void> {
    await h.db.pool.query('DELETE FROM deliveries WHERE call_id = ANY($1)', [[...this.calls]]);
    await h.db.pool.query('DELETE FROM events WHERE call_id = ANY($1)', [[...this.calls]]);
    await h.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).unpause('rows made by hand removed');
  }
}

describe('reconciler', () => {
  test('a terminated call\'s pending deliveries are delivered, in order, by a new run the reconciler starts', async () => {
    const clientId = 'client-rec1';
    let fixed = false;
    /** Event ids of the requests answered 200, in arrival order. */
    const delivered: string[] = [];
    const receiver = await Receiver.start((request) => {
      if (!fixed) return { status: 503, body: 'down for maintenance' };
      delivered.push(String(request.headers['x-recho-event-id']));
      return { status: 200, body: 'ok' };
    });
    await h.createEndpoint({ clientId, url: receiver.url });
    const callId = `rec-terminated-${Date.now()}`;
    const events = [
      await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId }),
      await h.emit(callId, 'OUTBOUND_CALL_CONNECTED', { clientId }),
      await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId }),
    ];
    // The first delivery fails (503) and retries; the other two wait behind it in the endpoint's lane.
    await receiver.waitFor(1);
    const terminated = await h.client.workflow.getHandle(callId).describe();
    await h.client.workflow.getHandle(callId).terminate('operator terminated the call (test)');
    fixed = true;

    // Nothing else would ever send them: no other event of this call comes.
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 3), 30_000);
    assert.deepEqual(
      log.map((d) => [d.eventId, d.status]),
      events.map((id) => [id, 'succeeded']),
    );
    // In order: each event's first success comes after the previous one's (a duplicate may follow: at-least-once).
    assert.deepEqual([...new Set(delivered)], events);
    const restarted = await h.client.workflow.getHandle(callId).describe();
    assert.notEqual(restarted.runId, terminated.runId, 'a new run of the call workflow');
    assert.ok(['RUNNING', 'COMPLETED'].includes(restarted.status.name), restarted.status.name);
  });

  test("events a platform service signalled that a terminated run never planned are signalled again and delivered", async () => {
    const clientId = 'client-rec-unplanned';
    const callId = `rec-unplanned-${Date.now()}`;
    const receiver = await Receiver.start();
    await h.createEndpoint({ clientId, url: receiver.url });
    await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId });
    await receiver.waitFor(1);
    // No worker: the event reaches the run's history, and nothing plans it before the operator terminates the run.
    await h.stopWorker();
    const { eventId } = await emitCallEvent(h.client, { eventType: 'OUTBOUND_CALL_CONNECTED', body: { data: { callId, clientId } } }, { taskQueue: h.taskQueue });
    await h.client.workflow.getHandle(callId).terminate('operator terminated the call (test)');
    await h.startWorker();
    await receiver.waitFor(2, 30_000);
    assert.equal(receiver.requests[1]!.headers['x-recho-event-id'], eventId);
    const log = await h.waitForDeliveries(callId, (l) => ended(l, 2));
    assert.deepEqual(log.map((d) => d.status), ['succeeded', 'succeeded']);
    const { rows } = await h.db.pool.query<{ events_resent: number }>('SELECT events_resent FROM recovered_runs WHERE call_id = $1', [callId]);
    assert.deepEqual(rows.map((r) => r.events_resent), [1], 'the terminated run was read once, and its one unplanned event sent again');
  });

  test('finds overdue lane heads and failures without their notice (not notices\' nor test events\'), page by page', async () => {
    const rows = await HandMadeRows.start('rec-b');
    const { call, delivery, event, endpointId } = rows;
    try {
      // Failures of one call: without a notice; with one; a notice's and a test event's own failures (never noticed);
      // one whose notice is of an earlier round (a redelivery gave it a new lane_seq, it failed again); one delivered.
      const failures = call('failures');
      const unnoticed = await delivery(failures, 'unnoticed', { status: 'failed', ago: 120 });
      const noticed = await delivery(failures, 'noticed', { status: 'failed', ago: 110 });
      await event(failures, `whfail_${noticed.id}_${noticed.laneSeq}`, 'WEBHOOK_DELIVERY_FAILED');
      await delivery(failures, 'notice', { status: 'failed', ago: 100, eventType: 'WEBHOOK_DELIVERY_FAILED' });
      await delivery(failures, 'test', { status: 'failed', ago: 100, eventType: 'WEBHOOK_TEST' });
      const again = await delivery(failures, 'again', { status: 'failed', ago: 90 });
      await event(failures, `whfail_${again.id}_${again.laneSeq - 1}`, 'WEBHOOK_DELIVERY_FAILED');
      await delivery(failures, 'delivered', { status: 'succeeded', ago: 80 });
      // A call whose only failure is noticed, and one whose failure's notice is a test event's: nothing to do.
      const quiet = call('quiet');
      const quietFailure = await delivery(quiet, 'noticed', { status: 'failed', ago: 60 });
      await event(quiet, `whfail_${quietFailure.id}_${quietFailure.laneSeq}`, 'WEBHOOK_DELIVERY_FAILED');
      await delivery(call('test-only'), 'test', { status: 'failed', ago: 60, eventType: 'WEBHOOK_TEST' });
      // An unnoticed failure too old for the window, and one too recent for the grace.
      const old = call('old');
      const oldFailure = await delivery(old, 'unnoticed', { status: 'failed', ago: 7_200 });
      await delivery(call('recent'), 'unnoticed', { status: 'failed', ago: 0 });
      // Lanes: an overdue head (untouched for 5 minutes); a head retrying, due in a minute, with an old backlog
      // behind it (not overdue: only a lane's head counts); a head whose retry was due 3 minutes ago.
      const stalled = call('stalled');
      await delivery(stalled, 'head', { status: 'pending', ago: 300 });
      await delivery(stalled, 'behind', { status: 'pending', ago: 300 });
      const retrying = call('retrying');
      await delivery(retrying, 'head', { status: 'pending', ago: 1, nextAttemptInS: 60 });
      await delivery(retrying, 'behind', { status: 'pending', ago: 600 });
      const overdueRetry = call('overdue-retry');
      await delivery(overdueRetry, 'head', { status: 'pending', ago: 1, nextAttemptInS: -180 });

      const options = { graceMs: 30_000, limit: 100, noticeWindowMs: 3_600_000 };
      const found = (await findCallsToReconcile(h.db.pool, options)).filter((c) => c.callId.startsWith(rows.tag));
      // Oldest sign first: the stalled lane (5 min), the overdue retry (3 min), the failure (2 min).
      assert.deepEqual(
        found.map((c) => [c.callId, c.overdue, c.unnoticedFailure]),
        [
          [stalled, true, false],
          [overdueRetry, true, false],
          [failures, false, true],
        ],
      );

      // Page by page: one call a page, each page after the last one's.
      const pages: string[] = [];
      let cursor: { since: string; callId: string } | undefined;
      for (let n = 0; n < 20; n++) {
        const page = await findCallsToReconcile(h.db.pool, { ...options, limit: 1, ...(cursor && { after: cursor }) });
        if (page.length === 0) break;
        cursor = { since: page[0]!.since, callId: page[0]!.callId };
        if (page[0]!.callId.startsWith(rows.tag)) pages.push(page[0]!.callId);
      }
      assert.deepEqual(pages, [stalled, overdueRetry, failures]);

      // The call's start-up reads its unnoticed failures without a window: as its lane saw them, oldest first.
      assert.deepEqual(await loadUnnoticedFailures(h.db.pool, failures), [
        { deliveryId: unnoticed.id, endpointId, eventId: unnoticed.eventId, eventType: 'OUTBOUND_CALL_ERROR', kind: 'custom', laneSeq: unnoticed.laneSeq, error: 'HTTP 500 from receiver' },
        { deliveryId: again.id, endpointId, eventId: again.eventId, eventType: 'OUTBOUND_CALL_ERROR', kind: 'custom', laneSeq: again.laneSeq, error: 'HTTP 500 from receiver' },
      ]);
      assert.deepEqual((await loadUnnoticedFailures(h.db.pool, old)).map((f) => f.deliveryId), [oldFailure.id]);
      assert.deepEqual(await loadUnnoticedFailures(h.db.pool, quiet), []);
      assert.deepEqual(await loadUnnoticedFailures(h.db.pool, call('test-only')), []);
    } finally {
      await rows.remove();
    }
  });

  test('reconcileCalls starts the calls without a workflow, counts the running ones, and fails the page after the rest when a start fails', async () => {
    const rows = await HandMadeRows.start('rec-act');
    try {
      const [fresh, running, refused] = ['fresh', 'running', 'refused'].map(rows.call) as [string, string, string];
      for (const [callId, ago] of [[fresh, 300], [running, 200], [refused, 100]] as const) {
        await rows.delivery(callId, 'head', { status: 'pending', ago });
      }
      const starts: { workflowType: string; workflowId: string; taskQueue: string; args: unknown[] }[] = [];
      // Temporal's answers for each call: started, already running, unavailable.
      const temporal = {
        workflow: {
          async start(workflowType: string, options: { workflowId: string; taskQueue: string; args: unknown[] }) {
            starts.push({ workflowType, ...options });
            if (options.workflowId === running) throw new WorkflowExecutionAlreadyStartedError('already started', running, workflowType);
            if (options.workflowId === refused) throw new Error('14 UNAVAILABLE: the frontend is restarting');
            return { workflowId: options.workflowId };
          },
        },
      } as unknown as Client;
      const lines: { level: number; msg: string; callId?: string; callIds?: string[]; started?: number; running?: number }[] = [];
      const captured = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString())), done()) }));
      const input = { graceMs: 30_000, limit: 100, noticeWindowMs: 3_600_000 };

      await assert.rejects(reconcileCalls({ pool: h.db.pool, temporal, logger: captured }, input, 'calls-queue'), new RegExp(`could not start the workflows of 1 of \\d+ calls \\(${refused}\\): 14 UNAVAILABLE`));
      const ours = starts.filter((s) => s.workflowId.startsWith(rows.tag));
      assert.deepEqual(ours.map((s) => s.workflowId).sort(), [fresh, refused, running].sort());
      for (const start of ours) {
        assert.deepEqual(start, { workflowType: 'callWorkflow', workflowId: start.workflowId, taskQueue: 'calls-queue', args: [{ callId: start.workflowId }] });
      }
      const startedLine = lines.find((l) => l.msg.startsWith('reconciler: started'));
      assert.ok(startedLine?.callIds?.includes(fresh) && !startedLine.callIds.includes(running) && !startedLine.callIds.includes(refused), JSON.stringify(lines));
      assert.ok(lines.some((l) => l.level === 50 && l.callId === refused && /could not start/.test(l.msg)), JSON.stringify(lines));

      // Once Temporal starts them all, the page succeeds; a full page says where the next one starts.
      const startsAll = { workflow: { start: async () => ({}) } } as unknown as Client;
      const retried = await reconcileCalls({ pool: h.db.pool, temporal: startsAll, logger: captured }, input, 'calls-queue');
      assert.ok(retried.found >= 3 && retried.started === retried.found && retried.running === 0 && retried.next === null, JSON.stringify(retried));
      const first = await reconcileCalls({ pool: h.db.pool, temporal: startsAll, logger: captured }, { ...input, limit: 1 }, 'calls-queue');
      assert.equal(first.found, 1);
      assert.ok(first.next);
      const second = await reconcileCalls({ pool: h.db.pool, temporal: startsAll, logger: captured }, { ...input, limit: 1, after: first.next }, 'calls-queue');
      assert.equal(second.found, 1);
      assert.notEqual(second.next?.callId, first.next.callId);
      await assert.rejects(reconcileCalls({ pool: h.db.pool, temporal, logger: captured }, { ...input, limit: 0 }, 'calls-queue'), /page size 0 is not a positive integer/);
    } finally {
      await rows.remove();
    }
  });

  test('RECONCILE_EVERY and RECONCILE_GRACE are read and checked', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.RECONCILE_EVERY, 60_000);
    assert.equal(defaults.RECONCILE_GRACE, 60_000);
    assert.equal(loadConfig({ RECONCILE_EVERY: '30s' }).RECONCILE_EVERY, 30_000);
    assert.equal(loadConfig({ RECONCILE_EVERY: '1s' }).RECONCILE_EVERY, 1_000);
    assert.equal(loadConfig({ RECONCILE_EVERY: '5m' }).RECONCILE_EVERY, 300_000);
    assert.equal(loadConfig({ RECONCILE_EVERY: ' off ' }).RECONCILE_EVERY, 'off');
    assert.equal(loadConfig({ RECONCILE_GRACE: '5m' }).RECONCILE_GRACE, 300_000);
    assert.equal(loadConfig({ RECONCILE_GRACE: '0' }).RECONCILE_GRACE, 0);
    const bad: [NodeJS.ProcessEnv, RegExp][] = [
      [{ RECONCILE_EVERY: '500ms' }, /RECONCILE_EVERY: "500ms" is neither an interval of a second or more/],
      [{ RECONCILE_EVERY: '0' }, /RECONCILE_EVERY:/],
      [{ RECONCILE_EVERY: 'never' }, /RECONCILE_EVERY:/],
      [{ RECONCILE_EVERY: '* * * * *' }, /RECONCILE_EVERY:/],
      [{ RECONCILE_GRACE: 'soon' }, /RECONCILE_GRACE: "soon" is not a duration/],
      [{ RECONCILE_GRACE: '-1s' }, /RECONCILE_GRACE:/],
    ];
    for (const [env, message] of bad) {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
    }
  });

  test('ensureReconcileSchedule creates and updates the schedule in place, keeps a pause, and off deletes it', async () => {
    const handle = h.client.schedule.getHandle(RECONCILE_SCHEDULE_ID);
    const describeAction = async () => {
      const description = await handle.describe();
      assert.equal(description.action.type, 'startWorkflow');
      return { description, action: description.action.type === 'startWorkflow' ? description.action : undefined };
    };
    // The harness created it at start: the same options again change nothing but say so.
    assert.equal(await ensureReconcileSchedule(h.client, { taskQueue: h.taskQueue, every: 1_000, graceMs: GRACE_MS }, logger), 'updated');
    let { description, action } = await describeAction();
    assert.deepEqual(description.spec.intervals?.map((i) => i.every), [1_000]);
    assert.equal(description.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(action?.workflowType, 'reconcileWorkflow');
    assert.equal(action?.taskQueue, h.taskQueue);
    assert.deepEqual(action?.args, [{ graceMs: GRACE_MS }]);
    assert.ok(description.info.recentActions.length > 0, 'the schedule has been running every second');

    await handle.pause('checking that start-up keeps it paused');
    assert.equal(await ensureReconcileSchedule(h.client, { taskQueue: h.taskQueue, every: 30_000, graceMs: 120_000 }, logger), 'updated');
    ({ description, action } = await describeAction());
    assert.equal(description.state.paused, true);
    assert.deepEqual(description.spec.intervals?.map((i) => i.every), [30_000]);
    assert.deepEqual(action?.args, [{ graceMs: 120_000 }]);

    // off: deleted (said in the log), and again: nothing to delete.
    const lines: string[] = [];
    const captured = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
    assert.equal(await ensureReconcileSchedule(h.client, { taskQueue: h.taskQueue, every: 'off', graceMs: GRACE_MS }, captured), 'deleted');
    await assert.rejects(handle.describe(), ScheduleNotFoundError);
    assert.equal(await ensureReconcileSchedule(h.client, { taskQueue: h.taskQueue, every: 'off', graceMs: GRACE_MS }, captured), 'absent');
    assert.match(lines[0]!, /reconcile schedule deleted \(RECONCILE_EVERY=off\)/);
    assert.match(lines[1]!, /reconcile schedule off \(RECONCILE_EVERY=off\)/);

    // Created again, as the harness had it, for what follows.
    assert.equal(await ensureReconcileSchedule(h.client, { taskQueue: h.taskQueue, every: 1_000, graceMs: GRACE_MS }, logger), 'created');
    ({ description } = await describeAction());
    assert.equal(description.state.paused, false);
  });

  test('the worker brings the schedule up to RECONCILE_EVERY and RECONCILE_GRACE at start', async () => {
    const taskQueue = `${h.taskQueue}-child`;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-reconcile-'));
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: h.env.address,
        DATABASE_URL: h.db.url,
        TEMPORAL_TASK_QUEUE: taskQueue,
        RECONCILE_EVERY: '45s',
        RECONCILE_GRACE: '2m',
        TEMPORAL_METRICS_ADDRESS: 'off',
        WORKER_METRICS_PORT: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      const action = await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}): ${output}`);
          const description = await h.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();
          const current = description.action;
          return current.type === 'startWorkflow' && current.taskQueue === taskQueue ? { current, description } : undefined;
        },
        'the worker to update the reconcile schedule',
        90_000,
      );
      assert.deepEqual(action.description.spec.intervals?.map((i) => i.every), [45_000]);
      assert.deepEqual(action.current.args, [{ graceMs: 120_000 }]);
      assert.match(output, /reconcile schedule up to date/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
