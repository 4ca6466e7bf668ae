import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { loadConfig, type Config } from './config';
import { createPool } from './db/pool';
import { migrate } from './db/migrate';
import { deliverySettingsFrom } from './delivery-settings';
import { createDestinations } from './destinations';
import { logger } from './logger';

export const WORKFLOWS_PATH = require.resolve('./workflows');

export interface CallhookWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per suite); otherwise the workflows are bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createWorker(options: CallhookWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(options.deps),
  });
}

/** The activity dependencies a configured process uses. */
export function activityDepsFrom(config: Config, pool: ActivityDeps['pool']): ActivityDeps {
  return { pool, destinations: createDestinations(config), settings: deliverySettingsFrom(config), logger };
}

/** `npm run worker`: a worker alone, against TEMPORAL_ADDRESS and DATABASE_URL. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL) {
    throw new Error('npm run worker needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs everything with embedded defaults)');
  }
  const pool = createPool(config.DATABASE_URL);
  await migrate(pool);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: activityDepsFrom(config, pool),
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker running');
  await worker.run();
  await connection.close();
  await pool.end();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
