/**
 * `npm start`: the whole system in one process — API and worker — on embedded defaults:
 * with no DATABASE_URL an embedded Postgres, with no TEMPORAL_ADDRESS a local Temporal dev
 * server (Web UI on TEMPORAL_UI_PORT). Point both at real services for production.
 * Compiled (`npm run build`), `node dist/main.js` (`npm run start:prod`, the Docker image's command) runs the same
 * with plain node; the dev server needs a dev dependency there, so production gives TEMPORAL_ADDRESS.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from './api/app';
import { appDepsFrom } from './api/app-deps';
import { resolveAuth } from './api/auth/auth-mode';
import { closeServer, listen } from './process/http-server';
import { loadConfig } from './config/config';
import { configureSecretsKeyRing } from './crypto/secrets-key-ring';
import { secretsKeyRingFrom } from './crypto/secrets-key-ring-from-config';
import { migrate } from './db/migrate';
import { reencryptEndpointSecrets } from './db/reencrypt-endpoint-secrets';
import { createPool } from './db/pool';
import { signingKeysFrom } from './destinations/signing/from-config';
import { startEmbeddedPostgres } from './process/embedded-postgres';
import { logger } from './observability/logger';
import { tracingClientInterceptors, tracingFrom } from './observability/tracing';
import { onShutdownSignal } from './process/shutdown';
import { reportStartup, startupAddresses } from './process/startup-summary';
import { cliSetupProgressOnStderr } from './temporal/cli-setup-progress';
import { startDevServer } from './temporal/dev-server';
import { assertDevServerInstalled } from './temporal/temporal-testing';
import { ensureTemporalCli } from './temporal/ensure-cli';
import { ensureRetentionSchedule } from './temporal/retention-schedule';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule';
import { dataConverterFrom, rewrapCallDataKeysFrom } from './temporal/payload-codec';
import { outboxRelayFrom } from './outbox/relay';
import { activityDepsFrom, createWorker, installTemporalRuntime, workerSizingFrom } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const temporalMetricsUrl = installTemporalRuntime(config);
  // One key ring for the API (publishes the public keys) and the worker (signs); a generated key lives in DATA_DIR.
  const signingKeys = signingKeysFrom(config);
  // Endpoint secrets in Postgres are sealed with this ring (a generated one also lives in DATA_DIR).
  const secretsKeys = secretsKeyRingFrom(config);
  configureSecretsKeyRing(secretsKeys);
  const cleanups: (() => Promise<void>)[] = [];
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    for (const cleanup of [...cleanups].reverse()) {
      await cleanup().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
    }
    logger.info('stopped');
    process.exit(0);
  };
  onShutdownSignal(shutdown);
  // Last to stop (cleanups run in reverse): the spans of everything stopping before it are exported.
  const tracing = tracingFrom(config, 'all', logger);
  if (tracing) cleanups.push(() => tracing.shutdown());

  // The local dev server needs @temporalio/testing, a dev dependency: a production install (npm ci --omit=dev) stops
  // here, asking for TEMPORAL_ADDRESS. It is loaded only as the dev server starts (startDevServer).
  if (!config.TEMPORAL_ADDRESS) assertDevServerInstalled();
  // The local dev server needs a Temporal CLI: found, else built or downloaded now (the first time: minutes), before anything starts.
  const cliSetup = new AbortController();
  cleanups.push(async () => cliSetup.abort());
  const temporalCli = config.TEMPORAL_ADDRESS ? undefined : await ensureTemporalCli({ signal: cliSetup.signal, onEvent: cliSetupProgressOnStderr(logger) });

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres(path.join(config.DATA_DIR, 'postgres'), config.EMBEDDED_PG_PORT);
    cleanups.push(embedded.stop);
    databaseUrl = embedded.url;
    logger.info({ port: config.EMBEDDED_PG_PORT }, 'embedded postgres running');
  }
  const pool = createPool(databaseUrl, config.DB_POOL_SIZE);
  cleanups.push(() => pool.end());
  const bookkeepingPool = createPool(databaseUrl, config.WORKER_BOOKKEEPING_SLOTS);
  cleanups.push(() => bookkeepingPool.end());
  await migrate(pool);
  // Rows still in plaintext (written before encryption at rest) or sealed under an older key: sealed under the current one.
  await reencryptEndpointSecrets(pool, secretsKeys);
  // Calls' data keys wrapped under an older payload key: re-wrapped under the current one (that key can then go).
  await rewrapCallDataKeysFrom(config, pool, logger);
  // Refuses to start here, before anything else runs, when keys are required and none exists.
  const auth = await resolveAuth(config, pool);

  // Payloads in Temporal history are encrypted (PAYLOAD_ENCRYPTION_KEY): by this process's client and worker alike.
  const dataConverter = dataConverterFrom(config, pool);
  let address = config.TEMPORAL_ADDRESS;
  if (!address) {
    const dev = await startDevServer({
      ...(temporalCli && { cliPath: temporalCli.path }),
      port: config.TEMPORAL_DEV_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      retentionMs: config.RETENTION,
      dbFilename: path.resolve(config.DATA_DIR, 'temporal.sqlite'),
      // The Web UI shows encrypted payloads decoded, through our codec endpoint (from the browser).
      ...(dataConverter && { uiCodecEndpoint: `${browserUrl(config.HOST, config.PORT)}/codec` }),
    });
    cleanups.push(() => dev.teardown());
    address = dev.address;
    logger.info({ address, ui: `http://localhost:${config.TEMPORAL_UI_PORT}` }, 'Temporal dev server running; Web UI ready');
  }

  const connection = await Connection.connect({ address });
  cleanups.push(() => connection.close());
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, ...(dataConverter && { dataConverter }), ...tracingClientInterceptors(tracing) });
  // Accepted events are signalled from Postgres by the outbox relay (as are wake-ups and callhook's own notices).
  const outbox = outboxRelayFrom(config, { pool, temporal, logger });
  outbox.start();
  cleanups.push(() => outbox.stop());
  const nativeConnection = await NativeConnection.connect({ address });
  const activities = activityDepsFrom(config, { pool, bookkeepingPool }, signingKeys, temporal, outbox);
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: activities.deps,
    ...workerSizingFrom(config),
    ...(dataConverter && { dataConverter }),
    tracing,
  });
  const workerDone = worker.run();
  cleanups.push(async () => {
    try {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
    } finally {
      activities.close();
      await nativeConnection.close();
    }
  });
  // Retention runs as a Temporal Schedule (Schedules page of the Web UI): created, or brought up to RETENTION and RETENTION_SCHEDULE.
  await ensureRetentionSchedule(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE, retentionMs: config.RETENTION, timing: config.RETENTION_SCHEDULE }, logger);
  // The reconciler (another Schedule) restarts terminated calls that still have deliveries in Postgres: RECONCILE_EVERY, RECONCILE_GRACE.
  await ensureReconcileSchedule(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE, every: config.RECONCILE_EVERY, graceMs: config.RECONCILE_GRACE }, logger);

  const app = createApp(appDepsFrom(config, { pool, temporal, signingKeys, auth, temporalMetricsUrl, outbox }));
  const server = await listen(app, config.PORT, config.HOST);
  cleanups.push(() => closeServer(server));
  // The last word of start-up: the addresses a user opens next (a block on a terminal, one record in JSON logs).
  reportStartup(
    startupAddresses({
      baseUrl: browserUrl(config.HOST, config.PORT),
      temporalAddress: address,
      ...(!config.TEMPORAL_ADDRESS && { temporalUi: `http://localhost:${config.TEMPORAL_UI_PORT}` }),
      dataDir: config.DATA_DIR,
    }),
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      signingKey: { id: signingKeys.current().id, source: signingKeys.source },
      email: config.SMTP_URL ? 'enabled' : 'disabled (no SMTP_URL)',
      payloadEncryption: dataConverter ? `on (codec endpoint ${browserUrl(config.HOST, config.PORT)}/codec)` : 'off',
    },
  );

  await workerDone.catch(async (err: unknown) => {
    logger.fatal({ err }, 'worker stopped');
    await shutdown('worker-failure');
  });
}

/** The API's address as a browser on this machine reaches it: a wildcard HOST is reached at localhost. */
function browserUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'callhook failed to start');
  process.exit(1);
});
