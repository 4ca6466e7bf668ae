import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import { createApp, type AppDeps } from '../../src/api/app';
import { KeyRing } from '../../src/crypto/key-ring';
import { configureSecretsKeyRing } from '../../src/crypto/secrets-key-ring';
import { closeServer, listen } from '../../src/process/http-server';
import { OutboxRelay } from '../../src/outbox/relay';
import type { DeliveryLogEntry } from '../../src/db/deliveries-repo';
import type { DeliverySettings } from '../../src/config/delivery-settings';
import type { EndpointHealthSettings } from '../../src/config/endpoint-health-settings';
import { createDestinations, type Destinations } from '../../src/destinations';
import { loadOrCreateSigningKeys, type SigningKeyRing } from '../../src/destinations/signing/signing-keys';
import { logger } from '../../src/observability/logger';
import { devServerUiOrigins } from '../../src/temporal/dev-server';
import { payloadCodecFrom } from '../../src/temporal/payload-codec';
import { ensureReconcileSchedule } from '../../src/temporal/reconcile-schedule';
import { PortalTokens } from '../../src/auth/portal-tokens';
import { type CallhookWorker, DEFAULT_BOOKKEEPING_SLOTS, WORKFLOWS_PATH, WORKFLOW_PRELOAD_MODULES, bundleWorkflows, createWorker } from '../../src/worker';
import { tracingClientInterceptors, type Tracing } from '../../src/observability/tracing';
import { createPool, type Pool } from '../../src/db/pool';
import { startDevServer } from './local-services';
import { createTestDatabase, type TestDatabase } from './postgres';
import { Receiver } from './receiver';

/**
 * A fast schedule for tests: 7 attempts over about 19 s (1, 2, 4, 4, 4, 4 s apart), attempts
 * time out after 1 s. The dev server fires retry timers at about 1 s resolution, so shorter
 * intervals would not be shorter in fact.
 */
export const FAST_SETTINGS: DeliverySettings = {
  maxAttempts: 7,
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 4_000,
  attemptTimeoutMs: 1_000,
  idleTimeoutMs: 2_000,
  abandonTimeoutMs: 60_000,
};

logger.level = process.env.LOG_LEVEL ?? 'silent';
let runtimeInstalled = false;

/** The ring endpoint secrets are sealed with in tests: random, one per test process, so harnesses started one after another agree. */
export const TEST_SECRETS_KEY_RING = KeyRing.parse(KeyRing.generateText('test'));
let bundle: Promise<WorkflowBundle> | undefined;

/** The workflow code, bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: WORKFLOW_PRELOAD_MODULES, logger: new DefaultLogger('WARN') });
  return bundle;
}

export interface HarnessOptions {
  settings?: Partial<DeliverySettings>;
  /** The outbox relay's poll interval (default 250 ms) and backlog bound (OUTBOX_MAX_PENDING; default 100 000). */
  outboxPollMs?: number;
  outboxMaxPending?: number;
  /**
   * Circuit breaker and auto-disable after failing for long. Off unless given, so tests of other
   * behaviour can fail an endpoint across many calls; test/endpoint-health.test.ts turns them on.
   * (A 410 disables its endpoint in every harness, as in production.)
   */
  endpointHealth?: Partial<EndpointHealthSettings>;
  /** Extra `temporal server start-dev` arguments, e.g. dynamic config. */
  devServerArgs?: string[];
  /** Serve the Temporal Web UI on this port (for browser tests). */
  uiPort?: number;
  /** The worker's workflow cache (WORKER_MAX_CACHED_WORKFLOWS); the SDK's default when absent. */
  maxCachedWorkflows?: number;
  /** The worker's delivery and bookkeeping slots (WORKER_ACTIVITY_SLOTS, WORKER_BOOKKEEPING_SLOTS); the defaults when absent. */
  activitySlots?: number;
  bookkeepingSlots?: number;
  /** Let deliveries reach private addresses (default true: the receivers are on loopback). */
  allowPrivateNetworks?: boolean;
  retryAfterMaxMs?: number;
  /** BRAND_NAME; Recho unless given. */
  brand?: string;
  /** TIME_ZONE; UTC unless given. */
  timeZone?: string;
  /** SMTP_URL; without it there is no email destination, as in production. */
  smtpUrl?: string;
  /** EMAIL_FROM; `Recho <no-reply@localhost>` unless given. */
  emailFrom?: string;
  /** HMAC_SECRET_OVERLAP; 24 h unless given. */
  hmacSecretOverlapMs?: number;
  /** SIGNING_KEY_OVERLAP of the generated key ring (kept in a temp dir); 24 h unless given. */
  signingKeyOverlapMs?: number;
  /**
   * PAYLOAD_ENCRYPTION_KEY (key-ring text): the worker, the API and `harness.client` encrypt payloads, the API
   * serves /codec (CORS for the Web UI's origins when `uiPort` is given). `env.client` stays without the codec.
   */
  payloadEncryptionKey?: string;
  /**
   * This process's tracing (startTracing): the worker runs the traced workflow bundle with the activity interceptors, and
   * the API's and relay's client the OpenTelemetry client interceptor. The bench's `BENCH_TRACING=on` measures it.
   */
  tracing?: Tracing;
  /** The API's port (e.g. known before the dev server starts, for `--ui-codec-endpoint`); any free one unless given. */
  apiPort?: number;
  /**
   * Rewrites the database URL the API and the worker connect with (e.g. to a TcpProxy's, to cut
   * Postgres off); migrations and `db.pool` stay direct.
   */
  databaseUrlRewrite?: (url: string) => string;
  /**
   * The reconciler's schedule (`callhook-reconcile`), created on the harness's task queue once the worker runs,
   * as a worker does at start-up (RECONCILE_EVERY, RECONCILE_GRACE). No reconciler unless given.
   */
  reconcile?: { everyMs: number; graceMs: number };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // any: parsed JSON of whatever shape the route returns; each test asserts the fields it expects.
  body: any;
}

/**
 * The whole system for a test file: a real Temporal dev server, a fresh Postgres database, a
 * worker and the API on a loopback port.
 */
export class Harness {
  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly db: TestDatabase,
    readonly taskQueue: string,
    private worker: CallhookWorker,
    private workerRun: Promise<void>,
    private readonly server: Server,
    /** The RSA key ring the API publishes and the worker signs with (generated in `keysDir`). */
    readonly signingKeys: SigningKeyRing,
    private readonly keysDir: string,
    private readonly destinations: Destinations,
    private readonly bookkeepingPool: Pool,
    /** The Temporal client the API and worker use: `env.client`, or one with the payload codec (`payloadEncryptionKey`). */
    readonly client: Client,
    /** What the harness's API was built with; `startApi` starts others from it. */
    readonly appDeps: AppDeps,
  ) {}

  /** APIs started by `startApi`, stopped with the harness. */
  private readonly extraServers: Server[] = [];

  /**
   * Another API on this harness's database, Temporal and worker, built with `overrides` (e.g.
   * keys required: `{ auth: { mode: 'on', adminKeys: [...] } }`); stopped with the harness.
   */
  async startApi(overrides: Partial<AppDeps> = {}): Promise<{ base: string; server: Server }> {
    const server = await listen(createApp({ ...this.appDeps, ...overrides }), 0, '127.0.0.1');
    this.extraServers.push(server);
    return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    if (!runtimeInstalled) {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
      runtimeInstalled = true;
    }
    configureSecretsKeyRing(TEST_SECRETS_KEY_RING);
    const [env, db, workflows] = await Promise.all([
      startDevServer({ ...(options.devServerArgs && { extraArgs: options.devServerArgs }), ...(options.uiPort !== undefined && { uiPort: options.uiPort }) }),
      createTestDatabase(),
      options.tracing ? bundleWorkflows(new DefaultLogger('WARN'), { traced: true }) : workflowBundle(),
    ]);
    const taskQueue = `test-${randomBytes(4).toString('hex')}`;
    const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callhook-harness-keys-'));
    const signingKeys = loadOrCreateSigningKeys({ dataDir: keysDir, overlapMs: options.signingKeyOverlapMs ?? 24 * 3_600_000 });
    const destinations = createDestinations(
      {
        RETRY_AFTER_MAX: options.retryAfterMaxMs ?? 5_000,
        RESPONSE_EXCERPT_BYTES: 256,
        BRAND_NAME: options.brand ?? 'Recho',
        TIME_ZONE: options.timeZone ?? 'UTC',
        SMTP_URL: options.smtpUrl,
        EMAIL_FROM: options.emailFrom ?? 'Recho <no-reply@localhost>',
        DELIVERY_ATTEMPT_TIMEOUT: options.settings?.attemptTimeoutMs ?? FAST_SETTINGS.attemptTimeoutMs,
        // Receivers run on loopback; test/network-policy.test.ts turns the guard on.
        ALLOW_PRIVATE_NETWORKS: options.allowPrivateNetworks ?? true,
      },
      signingKeys,
    );
    const serviceUrl = options.databaseUrlRewrite?.(db.url) ?? db.url;
    const bookkeepingPool = createPool(serviceUrl, DEFAULT_BOOKKEEPING_SLOTS);
    const pool = serviceUrl === db.url ? db.pool : createPool(serviceUrl, 20);
    const settings = { ...FAST_SETTINGS, ...options.settings };
    const payloadCodec = payloadCodecFrom({ PAYLOAD_ENCRYPTION_KEY: options.payloadEncryptionKey }, pool);
    const dataConverter = payloadCodec && { payloadCodecs: [payloadCodec] };
    const client =
      dataConverter || options.tracing
        ? new Client({ connection: env.connection, namespace: env.namespace ?? 'default', ...(dataConverter && { dataConverter }), ...tracingClientInterceptors(options.tracing ?? null) })
        : env.client;
    // Accepted events reach their workflows through the outbox relay, as in a configured process.
    const outbox = new OutboxRelay({
      pool,
      temporal: client,
      taskQueue,
      logger,
      deliverySettings: settings,
      pollMs: options.outboxPollMs ?? 250,
      maxPending: options.outboxMaxPending ?? 100_000,
      signalTimeoutMs: 5_000,
    });
    outbox.start();
    // A factory, so restartWorker() can build the same worker again (same deps, bundle and task queue).
    const makeWorker = () => createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: workflows,
      ...(options.maxCachedWorkflows !== undefined && { maxCachedWorkflows: options.maxCachedWorkflows }),
      ...(options.activitySlots !== undefined && { activitySlots: options.activitySlots }),
      ...(options.bookkeepingSlots !== undefined && { bookkeepingSlots: options.bookkeepingSlots }),
      ...(dataConverter && { dataConverter }),
      ...(options.tracing && { tracing: options.tracing }),
      deps: {
        pool,
        bookkeepingPool,
        destinations: destinations.registry,
        settings,
        health: { circuitBreakerCalls: 0, circuitCooldownMs: 60_000, disableAfterMs: 0, ...options.endpointHealth },
        logger,
        temporal: client,
        outbox,
      },
    });
    const worker = await makeWorker();
    const workerRun = worker.run();
    if (options.reconcile) {
      await ensureReconcileSchedule(client, { taskQueue, every: options.reconcile.everyMs, graceMs: options.reconcile.graceMs }, logger);
    }
    const appDeps: AppDeps = {
      pool,
      temporal: client,
      taskQueue,
      allowHttpUrls: true,
      allowPrivateNetworks: options.allowPrivateNetworks ?? true,
      maxBodyBytes: 65_536,
      signingKeys,
      hmacSecretOverlapMs: options.hmacSecretOverlapMs ?? 24 * 3_600_000,
      outbox,
      portal: { tokens: new PortalTokens(TEST_SECRETS_KEY_RING) },
      ...(payloadCodec && { payloadCodec, codecCorsOrigins: options.uiPort !== undefined ? devServerUiOrigins(options.uiPort) : [] }),
    };
    const app = createApp(appDeps);
    const server = await listen(app, options.apiPort ?? 0, '127.0.0.1');
    const harness = new Harness(env, db, taskQueue, worker, workerRun, server, signingKeys, keysDir, destinations, bookkeepingPool, client, appDeps);
    harness.makeWorker = makeWorker;
    harness.outbox = outbox;
    return harness;
  }

  /** The outbox relay of the harness's API (and worker); set by `start`, stopped with the harness. */
  outbox!: OutboxRelay;

  /** Builds a worker like the one `start` made; set by `start`. */
  private makeWorker: () => Promise<CallhookWorker> = () => Promise.reject(new Error('the harness has not started'));

  /**
   * Restarts the worker as a deploy would: shuts it down (polling stops, activities under way are
   * cancelled and finish), then runs a new one on the same task queue with the same dependencies.
   * Resolves once the new worker runs; calls meanwhile wait (their tasks stay queued in Temporal).
   */
  async restartWorker(): Promise<void> {
    await this.stopWorker();
    await this.startWorker();
  }

  /** Stops the worker (as a crash or a deploy would leave it): calls' tasks wait in Temporal until `startWorker`. */
  async stopWorker(): Promise<void> {
    this.worker.shutdown();
    await this.workerRun;
  }

  /** Runs a new worker after `stopWorker`, with the same dependencies and task queue. */
  async startWorker(): Promise<void> {
    this.worker = await this.makeWorker();
    this.workerRun = this.worker.run();
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  /** Registers an endpoint through the API and returns its id. */
  async createEndpoint(fields: Record<string, unknown>): Promise<string> {
    const response = await this.api('POST', '/v1/endpoints', { clientId: 'client-1', kind: 'custom', events: ['*'], ...fields });
    if (response.status !== 201) throw new Error(`endpoint not created: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  }

  /** Submits a call event through the API; expects 202. */
  async emit(callId: string, eventType: string, extra: { id?: string; clientId?: string; data?: object; errors?: object[] } = {}): Promise<string> {
    const response = await this.api('POST', '/v1/events', {
      ...(extra.id && { id: extra.id }),
      eventType,
      body: {
        data: { callId, clientId: extra.clientId ?? 'client-1', ...extra.data },
        ...(extra.errors && { errors: extra.errors }),
      },
    });
    if (response.status !== 202) throw new Error(`event not accepted: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  }

  /** The call's whole delivery log, page after page. */
  async deliveries(callId: string): Promise<DeliveryLogEntry[]> {
    const log: DeliveryLogEntry[] = [];
    for (let after: string | null = ''; after !== null; ) {
      const response = await this.api('GET', `/v1/calls/${encodeURIComponent(callId)}/deliveries${after ? `?after=${after}` : ''}`);
      if (response.status !== 200) throw new Error(`delivery log not read: ${response.status} ${JSON.stringify(response.body)}`);
      log.push(...(response.body.data as DeliveryLogEntry[]));
      after = response.body.nextCursor as string | null;
    }
    return log;
  }

  /** Polls the call's delivery log until `done` holds; fails with the last log after `timeoutMs`. */
  async waitForDeliveries(
    callId: string,
    done: (log: DeliveryLogEntry[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<DeliveryLogEntry[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await this.deliveries(callId);
      if (done(log)) return log;
      if (Date.now() > deadline) throw new Error(`delivery log did not settle: ${JSON.stringify(log, null, 1)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    try {
      await Receiver.stopAll();
      for (const server of this.extraServers) await closeServer(server);
      await closeServer(this.server);
      await this.outbox.stop();
      this.worker.shutdown();
      await this.workerRun;
      this.destinations.close();
      await this.bookkeepingPool.end();
      if (this.appDeps.pool !== this.db.pool) await this.appDeps.pool.end();
      await this.env.teardown();
      await this.db.drop();
    } finally {
      fs.rmSync(this.keysDir, { recursive: true, force: true });
    }
  }
}

export const ended = (log: DeliveryLogEntry[], count: number) =>
  log.length === count && log.every((d) => d.status !== 'pending');
