import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from './pool';
import { inTransaction } from './pool';
import { logger } from '../observability/logger';

const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
/** Any constant works; it keeps two processes from migrating at once. */
const MIGRATION_LOCK = 7_364_001;

/**
 * Applies the SQL files in db/migrations in name order, each once, all in one transaction.
 * Safe to run from several processes at once and on every start.
 */
export async function migrate(pool: Pool): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
      try {
        await client.query(sql);
      } catch (err) {
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
    }
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    return applied;
  });
}
