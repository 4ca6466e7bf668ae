import pg from 'pg';
import { logger } from '../observability/logger';

export type Pool = pg.Pool;
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * How long a new connection may take before the query fails: with Postgres unreachable, API
 * requests answer 503 (and activities fail, to be retried) within this, instead of hanging.
 */
export const CONNECTION_TIMEOUT_MS = 5_000;

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => logger.error({ err }, 'postgres idle client error'));
  return pool;
}

/** Runs `work` in a transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no listener of the pool's: its connection dropping (Postgres gone) would
  // be an unhandled 'error' event, a crash. The query under way fails with it and the caller sees that.
  const onConnectionError = (err: Error) => logger.warn({ err }, 'postgres connection lost during a transaction');
  client.on('error', onConnectionError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) =>
      logger.error({ err: rollbackErr }, 'rollback failed after an error'),
    );
    throw err;
  } finally {
    client.removeListener('error', onConnectionError);
    // A client whose connection broke is not given back to the pool (pg-pool drops non-queryable ones).
    client.release();
  }
}
