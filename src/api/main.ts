/**
 * `npm run api` (compiled: `npm run api:prod`): the API alone, for deployments that run API and worker apart (docker-compose).
 * Needs TEMPORAL_ADDRESS and DATABASE_URL; `npm start` runs everything on embedded defaults.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/config';
import { configureSecretsKeyRing } from '../crypto/secrets-key-ring';
import { secretsKeyRingFrom } from '../crypto/secrets-key-ring-from-config';
import { migrate } from '../db/migrate';
import { reencryptEndpointSecrets } from '../db/reencrypt-endpoint-secrets';
import { createPool } from '../db/pool';
import { signingKeysFrom } from '../destinations/signing/from-config';
import { logger } from '../observability/logger';
import { tracingClientInterceptors, tracingFrom } from '../observability/tracing';
import { onShutdownSignal } from '../process/shutdown';
import { dataConverterFrom, rewrapCallDataKeysFrom } from '../temporal/payload-codec';
import { createApp } from './app';
import { appDepsFrom } from './app-deps';
import { resolveAuth } from './auth/auth-mode';
import { closeServer, listen } from '../process/http-server';
import { outboxRelayFrom } from '../outbox/relay';

async function main(): Promise<void> {
  const config = loadConfig();
  const tracing = tracingFrom(config, 'api', logger);
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL) {
    throw new Error('npm run api needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs everything with embedded defaults)');
  }
  const signingKeys = signingKeysFrom(config);
  const secretsKeys = secretsKeyRingFrom(config);
  configureSecretsKeyRing(secretsKeys);
  const pool = createPool(config.DATABASE_URL, config.DB_POOL_SIZE);
  await migrate(pool);
  // Rows still in plaintext (written before encryption at rest) or sealed under an older key: sealed under the current one.
  await reencryptEndpointSecrets(pool, secretsKeys);
  // Calls' data keys wrapped under an older payload key: re-wrapped under the current one (that key can then go).
  await rewrapCallDataKeysFrom(config, pool, logger);
  // Refuses to start here, before anything else runs, when keys are required and none exists.
  const auth = await resolveAuth(config, pool);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const dataConverter = dataConverterFrom(config, pool);
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, ...(dataConverter && { dataConverter }), ...tracingClientInterceptors(tracing) });
  // Accepted events are signalled from Postgres by this process's outbox relay (and by every other process's).
  const outbox = outboxRelayFrom(config, { pool, temporal, logger });
  outbox.start();
  const app = createApp(appDepsFrom(config, { pool, temporal, signingKeys, auth, outbox }));
  const server = await listen(app, config.PORT, config.HOST);
  logger.info({ api: `http://${config.HOST}:${config.PORT}`, temporal: config.TEMPORAL_ADDRESS }, 'callhook API running');
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await closeServer(server);
    await outbox.stop();
    await connection.close();
    await pool.end();
    await tracing?.shutdown();
    process.exit(0);
  };
  onShutdownSignal(stop);
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'callhook API failed to start');
  process.exit(1);
});
