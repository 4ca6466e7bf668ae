import type { KeyRing } from '../crypto/key-ring';
import { secretsKeyRing } from '../crypto/secrets-key-ring';
import type { z } from 'zod';
import { endpointAuthSchema, type Endpoint, type EndpointKind } from '../schemas/endpoint';
import { endpointFilterSchema } from '../schemas/endpoint-filter';
import { clientTlsSchema, customHeadersSchema, retryScheduleSchema } from '../schemas/endpoint-options';
import { openEndpointSecrets, sealEndpointSecrets, type SealedEndpointColumns } from './endpoint-secrets';
import type { Queryable } from './pool';

export interface EndpointRow {
  id: string;
  client_id: string;
  kind: EndpointKind;
  url: string | null;
  email: string | null;
  events: string[];
  /** The auth without its secrets (see endpoint-secrets.ts). */
  auth: unknown;
  /** The sealed secrets; null on a row written before they were encrypted. */
  secrets: string | null;
  active: boolean;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  paused_at: Date | null;
  paused_by: string | null;
  disabled_reason: string | null;
  disabled_at: Date | null;
  rate_limit: number | null;
  /** The custom headers, secret ones without their value. */
  headers: unknown;
  filter: unknown;
  retry: unknown;
  /** The client certificate and CAs, without the private key. */
  tls: unknown;
  send_traceparent: boolean;
}

export const ENDPOINT_COLUMNS =
  'id, client_id, kind, url, email, events, auth, secrets, active, description, created_at, updated_at, paused_at, paused_by, disabled_reason, disabled_at, rate_limit, headers, filter, retry, tls, send_traceparent';

/** A column (secrets opened) read through its schema: a row written by an older or broken build fails loudly, naming the endpoint. */
function stored<S extends z.ZodType>(endpointId: string, column: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // The issues name paths and rules only, never the secret values.
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || `(${column})`}: ${i.message}`).join('; ');
  throw new Error(`endpoint ${endpointId} has invalid stored ${column}: ${issues}`);
}

/** An endpoint as stored, its secrets opened with `ring` (default: the process's secrets key ring). */
export function toEndpoint(row: EndpointRow, ring: KeyRing = secretsKeyRing()): Endpoint {
  const opened = openEndpointSecrets(row, ring);
  return {
    id: row.id,
    clientId: row.client_id,
    kind: row.kind,
    url: opened.url,
    email: row.email,
    events: row.events,
    auth: stored(row.id, 'auth', endpointAuthSchema, opened.auth),
    description: row.description,
    active: row.active,
    rateLimit: row.rate_limit,
    headers: stored(row.id, 'headers', customHeadersSchema, opened.headers),
    filter: row.filter === null ? null : stored(row.id, 'filter', endpointFilterSchema, row.filter),
    retry: row.retry === null ? null : stored(row.id, 'retry', retryScheduleSchema, row.retry),
    tls: opened.tls === null ? null : stored(row.id, 'tls', clientTlsSchema, opened.tls),
    sendTraceparent: row.send_traceparent,
    pausedAt: row.paused_at?.toISOString() ?? null,
    pausedBy: row.paused_by,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** What creating an endpoint sets; the state fields (paused, disabled) start empty, and the traceparent header off unless asked for. */
export type NewEndpoint = Omit<Endpoint, 'createdAt' | 'updatedAt' | EndpointStateField | 'sendTraceparent'> & { sendTraceparent?: boolean };
type EndpointStateField = 'pausedAt' | 'pausedBy' | 'disabledReason' | 'disabledAt';

export async function insertEndpoint(db: Queryable, endpoint: NewEndpoint): Promise<Endpoint> {
  const ring = secretsKeyRing();
  const sealed = sealEndpointSecrets(endpoint, ring);
  const { rows } = await db.query<EndpointRow>(
    `INSERT INTO endpoints (id, client_id, kind, url, email, events, auth, secrets, active, description, rate_limit, headers, filter, retry, tls, send_traceparent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING ${ENDPOINT_COLUMNS}`,
    [
      endpoint.id,
      endpoint.clientId,
      endpoint.kind,
      sealed.url,
      endpoint.email,
      endpoint.events,
      JSON.stringify(sealed.auth),
      sealed.secrets,
      endpoint.active,
      endpoint.description,
      endpoint.rateLimit,
      ...optionColumns(endpoint, sealed),
      endpoint.sendTraceparent ?? false,
    ],
  );
  return toEndpoint(rows[0]!, ring);
}

/** The headers, filter, retry and tls columns' values, as JSON text (null stays SQL NULL). */
function optionColumns(endpoint: Pick<Endpoint, 'filter' | 'retry'>, sealed: SealedEndpointColumns): (string | null)[] {
  return [JSON.stringify(sealed.headers), json(endpoint.filter), json(endpoint.retry), json(sealed.tls)];
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** A live (not deleted) endpoint, or undefined. `forUpdate` locks the row for a read-modify-write. */
export async function getEndpoint(db: Queryable, id: string, forUpdate = false): Promise<Endpoint | undefined> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE id = $1 AND deleted_at IS NULL${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toEndpoint(rows[0]);
}

export async function listEndpoints(
  db: Queryable,
  filter: { clientId?: string; limit: number; after?: string },
): Promise<Endpoint[]> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM endpoints
     WHERE deleted_at IS NULL AND ($1::text IS NULL OR client_id = $1) AND ($2::text IS NULL OR id > $2)
     ORDER BY id LIMIT $3`,
    [filter.clientId ?? null, filter.after ?? null, filter.limit],
  );
  return rows.map((row) => toEndpoint(row));
}

/**
 * Writes what an update may change. Enabling an endpoint clears why it was disabled; disabling an
 * active one through the API records that as the reason.
 */
export async function updateEndpoint(db: Queryable, endpoint: Endpoint): Promise<Endpoint> {
  const ring = secretsKeyRing();
  const sealed = sealEndpointSecrets(endpoint, ring);
  const { rows } = await db.query<EndpointRow>(
    `UPDATE endpoints SET url = $2, email = $3, events = $4, auth = $5, secrets = $6, active = $7, description = $8, rate_limit = $9,
       headers = $10, filter = $11, retry = $12, tls = $13, send_traceparent = $14,
       disabled_reason = CASE WHEN $7 THEN NULL WHEN active THEN 'disabled through the API' ELSE disabled_reason END,
       disabled_at = CASE WHEN $7 THEN NULL WHEN active THEN now() ELSE disabled_at END,
       updated_at = now()
     WHERE id = $1 AND deleted_at IS NULL RETURNING ${ENDPOINT_COLUMNS}`,
    [
      endpoint.id,
      sealed.url,
      endpoint.email,
      endpoint.events,
      JSON.stringify(sealed.auth),
      sealed.secrets,
      endpoint.active,
      endpoint.description,
      endpoint.rateLimit,
      ...optionColumns(endpoint, sealed),
      endpoint.sendTraceparent,
    ],
  );
  return toEndpoint(rows[0]!, ring);
}

/** Any endpoint row, deleted or not, locked for a read-modify-write (re-encryption). */
export async function lockEndpointRow(db: Queryable, id: string): Promise<(EndpointRow & { deleted: boolean }) | undefined> {
  const { rows } = await db.query<EndpointRow & { deleted: boolean }>(
    `SELECT ${ENDPOINT_COLUMNS}, deleted_at IS NOT NULL AS deleted FROM endpoints WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return rows[0];
}

/**
 * Ids of endpoints (deleted ones too) whose secrets are not sealed under `currentKeyId`: never sealed
 * (NULL), or sealed under another key. Sealed text is `ch1.<keyId>.<data>`, so the key id is its
 * second dot-separated part (the caller checks again with sealedKeyId). A page of `limit` after `after`.
 */
export async function idsOfEndpointsNotSealedUnder(db: Queryable, currentKeyId: string, after: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM endpoints
     WHERE id > $2 AND (secrets IS NULL OR split_part(secrets, '.', 2) <> $1)
     ORDER BY id LIMIT $3`,
    [currentKeyId, after, limit],
  );
  return rows.map((r) => r.id);
}

/** Rewrites only the secret-bearing columns (re-encryption: the endpoint itself does not change, nor updated_at). */
export async function writeSealedColumns(db: Queryable, id: string, sealed: SealedEndpointColumns): Promise<void> {
  await db.query('UPDATE endpoints SET url = $2, auth = $3, secrets = $4, headers = $5, tls = $6 WHERE id = $1', [
    id,
    sealed.url,
    JSON.stringify(sealed.auth),
    sealed.secrets,
    JSON.stringify(sealed.headers),
    json(sealed.tls),
  ]);
}

export async function softDeleteEndpoint(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE endpoints SET deleted_at = now(), active = false, updated_at = now() WHERE id = $1 AND deleted_at IS NULL',
    [id],
  );
  return rowCount === 1;
}

/**
 * The client's live endpoints, counted under a lock on the client (held until the transaction
 * ends), so two creations at once cannot both pass the limit.
 */
export async function countClientEndpointsLocked(db: Queryable, clientId: string): Promise<number> {
  await db.query("SELECT pg_advisory_xact_lock(hashtextextended('endpoints:' || $1, 0))", [clientId]);
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM endpoints WHERE client_id = $1 AND deleted_at IS NULL', [clientId]);
  return rows[0]!.n;
}
