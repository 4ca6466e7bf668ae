/**
 * The "floor" baseline: Temporal's own cost for callhook's shape of work, measured with the same
 * dev server, the same connection and the same kind of worker as callhook, on a task queue of its
 * own. Per event the client does a signal-with-start of the call's floor workflow
 * (floor-workflow.ts); latency runs from submission to the moment the no-op activity ran.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { FAST_SETTINGS, type Harness } from '../../test/helpers/harness';
import { ABANDON_TIMEOUT_MS, IDLE_TIMEOUT_MS } from '../lib/config';
import { DeliveryLog } from '../lib/delivery-log';
import { deliveredEvent } from '../lib/events';
import { terminateWorkflows } from '../lib/terminate';
import type { Target, TargetSpec } from '../lib/target';
import type { BenchEvent } from '../lib/types';
import {
  FLOOR_WORKFLOW_TYPE,
  floorEventSignal,
  type FloorActivities,
  type FloorDelivery,
  type FloorInput,
  type FloorSignal,
} from './floor-messages';
import type { floorWorkflow } from './floor-workflow';

/** Longest wait for a healed failing lane to receive every event once, so its retries end. */
const DRAIN_TIMEOUT_MS = 60_000;

/** One measured run's bookkeeping on the activity side. */
interface FloorRun {
  log: DeliveryLog;
  /** The lane that fails until healed, if any, and what reached it. */
  failingLane: number | undefined;
  failingLog: DeliveryLog;
  healed: boolean;
}

/** The floor's worker, running in this process until `stop`. */
export class FloorWorker {
  private constructor(
    private readonly h: Harness,
    /** Shared with the activity: the runs under way, by tag. */
    private readonly runs: Map<string, FloorRun>,
    readonly taskQueue: string,
    private readonly worker: Worker,
    private readonly running: Promise<void>,
  ) {}

  /** `maxCachedWorkflows`: the same workflow cache as callhook's worker, so memory with many calls open compares. */
  static async start(h: Harness, options: { maxCachedWorkflows?: number } = {}): Promise<FloorWorker> {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: path.join(__dirname, 'floor-workflow.ts'),
      logger: new DefaultLogger('WARN'),
    });
    const taskQueue = `bench-floor-${randomBytes(4).toString('hex')}`;
    const runs = new Map<string, FloorRun>();
    const activities: FloorActivities = {
      async floorDeliver(delivery: FloorDelivery) {
        const at = performance.now();
        const run = runs.get(delivery.tag);
        if (!run) return;
        if (delivery.lane === run.failingLane) {
          run.failingLog.record(0, delivery, at);
          if (!run.healed) throw ApplicationFailure.retryable('503 from the failing lane', 'FloorFailing');
          return;
        }
        run.log.record(delivery.lane, delivery, at);
      },
    };
    const worker = await Worker.create({
      connection: h.env.nativeConnection,
      namespace: h.env.namespace ?? 'default',
      taskQueue,
      workflowBundle,
      activities,
      ...(options.maxCachedWorkflows !== undefined && { maxCachedWorkflows: options.maxCachedWorkflows }),
    });
    return new FloorWorker(h, runs, taskQueue, worker, worker.run());
  }

  /** A target for one measured run. */
  target(spec: TargetSpec): Target {
    const log = new DeliveryLog();
    const run: FloorRun = {
      log,
      failingLane: spec.failing ? spec.endpoints : undefined,
      failingLog: new DeliveryLog(),
      healed: false,
    };
    this.runs.set(spec.tag, run);
    const clientId = `bench-${spec.tag}`;
    const submitted = new Set<string>();
    const callIds = new Set<string>();
    const client = this.h.env.client;
    const taskQueue = this.taskQueue;
    const baseInput: Omit<FloorInput, 'callId'> = {
      tag: spec.tag,
      lanes: spec.endpoints + (spec.failing ? 1 : 0),
      retry: {
        initialIntervalMs: FAST_SETTINGS.initialIntervalMs,
        backoffCoefficient: FAST_SETTINGS.backoffCoefficient,
        maximumIntervalMs: FAST_SETTINGS.maximumIntervalMs,
        maximumAttempts: FAST_SETTINGS.maxAttempts,
      },
      attemptTimeoutMs: FAST_SETTINGS.attemptTimeoutMs + 5_000,
      idleMs: IDLE_TIMEOUT_MS,
      abandonMs: ABANDON_TIMEOUT_MS,
    };
    return {
      variant: 'floor',
      spec,
      log,
      retriedSubmissions: 0,
      async submit(event: BenchEvent) {
        callIds.add(event.callId);
        const signal: FloorSignal = { event: deliveredEvent(event, clientId), terminal: event.terminal };
        await client.workflow.signalWithStart<typeof floorWorkflow, [FloorSignal]>(FLOOR_WORKFLOW_TYPE, {
          workflowId: event.callId,
          taskQueue,
          args: [{ ...baseInput, callId: event.callId }],
          signal: floorEventSignal,
          signalArgs: [signal],
        });
        submitted.add(event.id);
      },
      close: async (ended) => {
        if (ended === 'failed') await terminateWorkflows(client, callIds, 'benchmark run failed');
        else if (run.failingLane !== undefined) {
          run.healed = true;
          await run.failingLog.reached(submitted.size, DRAIN_TIMEOUT_MS);
        }
        this.runs.delete(spec.tag);
      },
    };
  }

  async stop(): Promise<void> {
    this.worker.shutdown();
    await this.running;
  }
}
