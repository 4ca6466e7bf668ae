import type { z } from 'zod';
import type { apiKeySchema } from '../schemas/responses';
import type { Queryable } from './pool';

/** An API key as stored and as the API shows it (its response schema's type): never the key itself, only its hash (not returned) and a hint. */
export type ApiKeyRecord = z.output<typeof apiKeySchema>;

export type ApiKeyKind = ApiKeyRecord['kind'];

interface ApiKeyRow {
  id: string;
  kind: ApiKeyKind;
  client_id: string | null;
  name: string;
  key_hint: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, kind, client_id, name, key_hint, created_at, last_used_at, revoked_at';

const toRecord = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  kind: row.kind,
  clientId: row.client_id,
  name: row.name,
  keyHint: row.key_hint,
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

export async function insertApiKey(
  db: Queryable,
  key: { id: string; kind: ApiKeyKind; clientId: string | null; name: string; keyHash: Buffer; keyHint: string },
): Promise<ApiKeyRecord> {
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, kind, client_id, name, key_hash, key_hint) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [key.id, key.kind, key.clientId, key.name, key.keyHash, key.keyHint],
  );
  return toRecord(rows[0]!);
}

/** The unrevoked key with this hash, if any. */
export async function findActiveApiKey(db: Queryable, keyHash: Buffer): Promise<ApiKeyRecord | undefined> {
  const { rows } = await db.query<ApiKeyRow>({
    name: 'find-api-key',
    text: `SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    values: [keyHash],
  });
  return rows[0] && toRecord(rows[0]);
}

export async function getApiKey(db: Queryable, id: string): Promise<ApiKeyRecord | undefined> {
  const { rows } = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return rows[0] && toRecord(rows[0]);
}

export async function listApiKeys(
  db: Queryable,
  filter: { clientId?: string; includeRevoked: boolean; limit: number; after?: string },
): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys
     WHERE ($1::text IS NULL OR client_id = $1) AND ($2 OR revoked_at IS NULL) AND ($3::text IS NULL OR id > $3)
     ORDER BY id LIMIT $4`,
    [filter.clientId ?? null, filter.includeRevoked, filter.after ?? null, filter.limit],
  );
  return rows.map(toRecord);
}

/** Revokes a key (once); the revoked record, or undefined when no such key exists. */
export async function revokeApiKey(db: Queryable, id: string): Promise<ApiKeyRecord | undefined> {
  const { rows } = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] && toRecord(rows[0]);
}

/** Records use; called at most once a minute per key, so it costs no write per request. */
export async function touchApiKeys(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY ($1::text[])', [ids]);
}

export async function countActiveApiKeys(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL');
  return rows[0]!.n;
}
