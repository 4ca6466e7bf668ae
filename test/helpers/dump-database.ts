import assert from 'node:assert/strict';
import type { Pool } from '../../src/db/pool';

/** Every row of every table of the public schema as JSON text (what a look at the database, or a dump of it, finds). */
export async function dumpDatabase(pool: Pool): Promise<string> {
  const { rows: tables } = await pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  assert.ok(tables.some((t) => t.name === 'endpoints'));
  const parts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${name}" t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}
