import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type InjectedSinks,
  type Logger as SdkLogger,
  type WorkflowBundle,
  type WorkerInterceptors,
  type WorkerOptions,
} from '@temporalio/worker';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { tracingClientInterceptors, tracingFrom, type Tracing } from './observability/tracing';
import { listen } from './process/http-server';
import { metricsRouter } from './observability/metrics-router';
import { createActivities, type ActivityDeps } from './activities';
import { loadConfig, type Config } from './config/config';
import { configureSecretsKeyRing } from './crypto/secrets-key-ring';
import { secretsKeyRingFrom } from './crypto/secrets-key-ring-from-config';
import { createPool } from './db/pool';
import { migrate } from './db/migrate';
import { deliverySettingsFrom } from './config/delivery-settings';
import { endpointHealthSettingsFrom } from './config/endpoint-health-settings';
import { createDestinations } from './destinations';
import { signingKeysFrom } from './destinations/signing/from-config';
import type { SigningKeyRing } from './destinations/signing/signing-keys';
import { logger } from './observability/logger';
import { workflowMessagesRejected } from './observability/metrics';
import type { CallhookSinks } from './workflows/messages';
import { onShutdownSignal } from './process/shutdown';
import { dataConverterFrom } from './temporal/payload-codec';
import { ensureRetentionSchedule } from './temporal/retention-schedule';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule';
import { outboxRelayFrom } from './outbox/relay';
import { deliveryTaskQueue } from './workflows/task-queues';

export const WORKFLOWS_PATH = require.resolve('./workflows');
/** Evaluated once per worker and shared by its workflows (see src/workflows/shared-schemas.ts); every bundle of WORKFLOWS_PATH takes them. */
export const WORKFLOW_PRELOAD_MODULES = [require.resolve('./workflows/shared-schemas')];
/** The workflow bundles `npm run build` writes beside the compiled worker: without, and with, the tracing interceptors. */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';
export const TRACED_WORKFLOW_BUNDLE_FILE = 'workflow-bundle-traced.js';
/**
 * The OpenTelemetry workflow interceptors (spans for the run, each signal, each activity scheduled), bundled
 * only into the traced bundle: with tracing off the workflows run without them, and cost nothing.
 */
export const TRACING_WORKFLOW_INTERCEPTORS = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

/**
 * The workflow code bundled (webpack) as a worker without a bundle bundles it at start: from WORKFLOWS_PATH, with
 * WORKFLOW_PRELOAD_MODULES, and the tracing interceptors when `traced`. `npm run build` writes both to dist/ once.
 */
export function bundleWorkflows(logger?: SdkLogger, options: { traced?: boolean } = {}): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: WORKFLOW_PRELOAD_MODULES,
    ...(options.traced && { workflowInterceptorModules: TRACING_WORKFLOW_INTERCEPTORS }),
    ...(logger && { logger }),
  });
}

/**
 * Where a worker's workflow code comes from. Run compiled (`npm run build`, then node dist/…): the bundle the build
 * made, beside this file (`dir`), so production never runs webpack. Run from the sources (tsx: npm start, npm run
 * worker): none is there, and the worker bundles WORKFLOWS_PATH at start, with the options `bundleWorkflows` uses.
 */
export function workflowCodeOptions(
  dir: string = __dirname,
  traced = false,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> & { workflowModules?: string[] } {
  const codePath = path.join(dir, traced ? TRACED_WORKFLOW_BUNDLE_FILE : WORKFLOW_BUNDLE_FILE);
  if (existsSync(codePath)) return { workflowBundle: { codePath } };
  return { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: WORKFLOW_PRELOAD_MODULES }, ...(traced && { workflowModules: TRACING_WORKFLOW_INTERCEPTORS }) };
}

export interface CallhookWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The workflows' task queue (TEMPORAL_TASK_QUEUE); their deliveries run on `deliveryTaskQueue(taskQueue)`. */
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per suite); otherwise `workflowCodeOptions()` (the build's bundle, or bundled here). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Delivery activities run at once (each a lane's batch or retry; WORKER_ACTIVITY_SLOTS). */
  activitySlots?: number;
  /** Bookkeeping activities run at once (WORKER_BOOKKEEPING_SLOTS); size `deps.bookkeepingPool` to it. */
  bookkeepingSlots?: number;
  /**
   * Call workflows kept in memory between tasks (WORKER_MAX_CACHED_WORKFLOWS): each costs about 0.2 MB (the message schemas are shared: WORKFLOW_PRELOAD_MODULES); a call
   * evicted from the cache replays its (short: continue-as-new) history on its next task. SDK default when absent.
   */
  maxCachedWorkflows?: number;
  /** Encrypts payloads (PAYLOAD_ENCRYPTION_KEY); the same as every Temporal client's of the process. */
  dataConverter?: DataConverter;
  /**
   * This process's tracing (src/observability/tracing.ts), when on: activities run in spans continuing the
   * workflow's, and the workflows run the traced bundle, their spans exported through a sink. A prebuilt
   * `workflowBundle` must then be the traced one (`bundleWorkflows(logger, { traced: true })`).
   */
  tracing?: Tracing | null;
}

/** Bookkeeping activities a worker runs at once by default, each on a Postgres connection of its own (WORKER_BOOKKEEPING_SLOTS). */
export const DEFAULT_BOOKKEEPING_SLOTS = 10;

/** What the call workflow reports out of its sandbox: counted here, in this process's metrics; not again on replay. */
const sinks: InjectedSinks<CallhookSinks> = {
  callhookMetrics: {
    messageRejected: { fn: (_info, message) => workflowMessagesRejected.inc({ message }), callDuringReplay: false },
  },
};

/** The activities of the delivery task queue: the only ones that wait on receivers. */
const DELIVERY_ACTIVITIES = ['deliver', 'deliverBatch'] as const;

/**
 * A worker process's two Temporal workers on one connection: the workflows and their bookkeeping
 * on the task queue, and the deliveries on the delivery task queue, each with slots of its own.
 * They start, run and stop together.
 */
export class CallhookWorker {
  constructor(
    /** The workflows and their bookkeeping activities (and, while older runs' deliveries are still queued there, those too). */
    readonly workflows: Worker,
    readonly deliveries: Worker,
  ) {}

  /** Runs both until they are shut down; if either fails, the other is shut down and the failure thrown. */
  async run(): Promise<void> {
    const runs = [this.workflows, this.deliveries].map((worker) =>
      worker.run().finally(() => {
        // One stopped (shut down, or failed): the other must not run on alone.
        this.shutdown();
      }),
    );
    const results = await Promise.allSettled(runs);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Starts a graceful shutdown of both (polling stops; tasks under way finish). Safe to call more than once. */
  shutdown(): void {
    for (const worker of [this.workflows, this.deliveries]) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  }

  getState(): ReturnType<Worker['getState']> {
    return this.workflows.getState();
  }
}

export async function createWorker(options: CallhookWorkerOptions): Promise<CallhookWorker> {
  const activities = createActivities(options.deps);
  const tracing = options.tracing ?? null;
  const { workflowModules, ...workflowCode } = options.workflowBundle ? { workflowBundle: options.workflowBundle } : workflowCodeOptions(__dirname, tracing !== null);
  const activityInterceptors: WorkerInterceptors['activity'] = tracing
    ? [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })]
    : [];
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    ...(options.dataConverter && { dataConverter: options.dataConverter }),
  };
  const workflows = await Worker.create({
    ...common,
    sinks: tracing ? { ...sinks, exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : sinks,
    interceptors: { activity: activityInterceptors, ...(workflowModules && { workflowModules }) },
    taskQueue: options.taskQueue,
    ...workflowCode,
    // All of them: deliveries that runs of older workers scheduled here still find a worker.
    activities,
    maxConcurrentActivityTaskExecutions: options.bookkeepingSlots ?? DEFAULT_BOOKKEEPING_SLOTS,
    ...(options.maxCachedWorkflows !== undefined && { maxCachedWorkflows: options.maxCachedWorkflows }),
  });
  const deliveries = await Worker.create({
    ...common,
    taskQueue: deliveryTaskQueue(options.taskQueue),
    interceptors: { activity: activityInterceptors },
    activities: Object.fromEntries(DELIVERY_ACTIVITIES.map((name) => [name, activities[name]])),
    ...(options.activitySlots !== undefined && { maxConcurrentActivityTaskExecutions: options.activitySlots }),
  });
  return new CallhookWorker(workflows, deliveries);
}

/** The worker options a configured process uses. */
export function workerSizingFrom(config: Pick<Config, 'WORKER_ACTIVITY_SLOTS' | 'WORKER_BOOKKEEPING_SLOTS' | 'WORKER_MAX_CACHED_WORKFLOWS'>) {
  return { activitySlots: config.WORKER_ACTIVITY_SLOTS, bookkeepingSlots: config.WORKER_BOOKKEEPING_SLOTS, maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS };
}

/**
 * The activity dependencies a configured process uses, and `close` to call once the worker has
 * stopped (it closes the pooled SMTP connections). `signingKeys` is the process's one key ring.
 */
export function activityDepsFrom(
  config: Config,
  pools: Pick<ActivityDeps, 'pool' | 'bookkeepingPool'>,
  signingKeys: SigningKeyRing,
  temporal?: ActivityDeps['temporal'],
  outbox?: ActivityDeps['outbox'],
): { deps: ActivityDeps; close(): void } {
  const destinations = createDestinations(config, signingKeys);
  return {
    deps: {
      ...pools,
      destinations: destinations.registry,
      settings: deliverySettingsFrom(config),
      health: endpointHealthSettingsFrom(config),
      logger,
      ...(temporal && { temporal }),
      ...(outbox && { outbox }),
      clientPayloadRetention: config.CLIENT_PAYLOAD_RETENTION,
      historyEncrypted: config.PAYLOAD_ENCRYPTION_KEY !== undefined,
    },
    close: destinations.close,
  };
}

/**
 * Installs the Temporal SDK runtime once per process: its logs go to our structured log, and its
 * worker metrics to a Prometheus endpoint (TEMPORAL_METRICS_ADDRESS) that GET /metrics appends.
 * Returns that endpoint's URL, or undefined when metrics are off.
 */
export function installTemporalRuntime(config: Pick<Config, 'TEMPORAL_METRICS_ADDRESS'>): string | undefined {
  const address = config.TEMPORAL_METRICS_ADDRESS === 'off' ? undefined : config.TEMPORAL_METRICS_ADDRESS;
  Runtime.install({
    // Our own SIGINT/SIGTERM handlers shut down in order (API, worker, connections, databases).
    shutdownSignals: [],
    logger: new DefaultLogger('INFO', (entry) => {
      const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[level]({ ...entry.meta, component: 'temporal-sdk' }, entry.message);
    }),
    telemetryOptions: {
      // The SDK's native (Rust) warnings go through the logger above too, not straight to stdout (JSON logs stay JSON).
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      ...(address && { metrics: { prometheus: { bindAddress: address } } }),
    },
  });
  return address && `http://${address}/metrics`;
}

/** `npm run worker` (compiled: `npm run worker:prod`): a worker alone, against TEMPORAL_ADDRESS and DATABASE_URL; metrics on WORKER_METRICS_PORT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const tracing = tracingFrom(config, 'worker', logger);
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL) {
    throw new Error('npm run worker needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs everything with embedded defaults)');
  }
  const temporalMetricsUrl = installTemporalRuntime(config);
  const signingKeys = signingKeysFrom(config);
  // Deliveries read endpoints' sealed secrets with this ring; the API seals them (and re-encrypts at its start).
  configureSecretsKeyRing(secretsKeyRingFrom(config));
  const pool = createPool(config.DATABASE_URL, config.DB_POOL_SIZE);
  const bookkeepingPool = createPool(config.DATABASE_URL, config.WORKER_BOOKKEEPING_SLOTS);
  await migrate(pool);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const dataConverter = dataConverterFrom(config, pool);
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, ...(dataConverter && { dataConverter }), ...tracingClientInterceptors(tracing) });
  // A relay here too: the wake-ups and notices this worker queues go out at once (and any API's backlog is shared).
  const outbox = outboxRelayFrom(config, { pool, temporal, logger });
  outbox.start();
  const activities = activityDepsFrom(config, { pool, bookkeepingPool }, signingKeys, temporal, outbox);
  const metrics = express().use(metricsRouter({ ...(temporalMetricsUrl && { temporalMetricsUrl }) }));
  const metricsServer = config.WORKER_METRICS_PORT ? await listen(metrics, config.WORKER_METRICS_PORT, config.HOST) : undefined;
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: activities.deps,
    ...workerSizingFrom(config),
    ...(dataConverter && { dataConverter }),
    tracing,
  });
  await ensureRetentionSchedule(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE, retentionMs: config.RETENTION, timing: config.RETENTION_SCHEDULE }, logger);
  await ensureReconcileSchedule(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE, every: config.RECONCILE_EVERY, graceMs: config.RECONCILE_GRACE }, logger);
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      deliveryTaskQueue: deliveryTaskQueue(config.TEMPORAL_TASK_QUEUE),
      address: config.TEMPORAL_ADDRESS,
      signingKeyId: signingKeys.current().id,
      payloadEncryption: dataConverter ? 'on' : 'off',
      workflowCode: workflowCodeOptions(__dirname, tracing !== null).workflowBundle ? 'prebuilt bundle' : 'bundled at start',
      tracing: tracing ? 'on' : 'off',
    },
    'worker running',
  );
  onShutdownSignal((signal) => {
    logger.info({ signal }, 'shutting down: finishing the tasks under way');
    worker.shutdown();
  });
  try {
    await worker.run();
  } finally {
    activities.close();
    await outbox.stop();
    metricsServer?.close();
    await clientConnection.close();
    await connection.close();
    await bookkeepingPool.end();
    await pool.end();
    await tracing?.shutdown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
