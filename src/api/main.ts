/**
 * `npm run api`: the API alone, for deployments that run API and worker apart (docker-compose).
 * Needs TEMPORAL_ADDRESS and DATABASE_URL; `npm start` runs everything on embedded defaults.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { signingKeysFrom } from '../destinations/signing/from-config';
import { logger } from '../logger';
import { onShutdownSignal } from '../shutdown';
import { createApp } from './app';
import { appDepsFrom } from './app-deps';
import { closeServer, listen } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL) {
    throw new Error('npm run api needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs everything with embedded defaults)');
  }
  const signingKeys = signingKeysFrom(config);
  const pool = createPool(config.DATABASE_URL, config.DB_POOL_SIZE);
  await migrate(pool);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = createApp(appDepsFrom(config, { pool, temporal, signingKeys }));
  const server = await listen(app, config.PORT, config.HOST);
  logger.info({ api: `http://${config.HOST}:${config.PORT}`, temporal: config.TEMPORAL_ADDRESS }, 'callhook API running');
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await closeServer(server);
    await connection.close();
    await pool.end();
    process.exit(0);
  };
  onShutdownSignal(stop);
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'callhook API failed to start');
  process.exit(1);
});
