import { endpointAuthSchema, type Endpoint, type EndpointKind } from '../schemas/endpoint';
import type { Queryable } from './pool';

export interface EndpointRow {
  id: string;
  client_id: string;
  kind: EndpointKind;
  url: string | null;
  email: string | null;
  events: string[];
  auth: unknown;
  active: boolean;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

export const ENDPOINT_COLUMNS = 'id, client_id, kind, url, email, events, auth, active, description, created_at, updated_at';

/** The auth column read through its schema: a row written by an older or broken build fails loudly, naming the endpoint. */
function storedAuth(row: EndpointRow): Endpoint['auth'] {
  const parsed = endpointAuthSchema.safeParse(row.auth);
  if (parsed.success) return parsed.data;
  // The issues name paths and rules only, never the secret values.
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(auth)'}: ${i.message}`).join('; ');
  throw new Error(`endpoint ${row.id} has invalid stored auth: ${issues}`);
}

export function toEndpoint(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    clientId: row.client_id,
    kind: row.kind,
    url: row.url,
    email: row.email,
    events: row.events,
    auth: storedAuth(row),
    description: row.description,
    active: row.active,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export type NewEndpoint = Omit<Endpoint, 'createdAt' | 'updatedAt'>;

export async function insertEndpoint(db: Queryable, endpoint: NewEndpoint): Promise<Endpoint> {
  const { rows } = await db.query<EndpointRow>(
    `INSERT INTO endpoints (id, client_id, kind, url, email, events, auth, active, description)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${ENDPOINT_COLUMNS}`,
    [
      endpoint.id,
      endpoint.clientId,
      endpoint.kind,
      endpoint.url,
      endpoint.email,
      endpoint.events,
      JSON.stringify(endpoint.auth),
      endpoint.active,
      endpoint.description,
    ],
  );
  return toEndpoint(rows[0]!);
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
  return rows.map(toEndpoint);
}

export async function updateEndpoint(db: Queryable, endpoint: Endpoint): Promise<Endpoint> {
  const { rows } = await db.query<EndpointRow>(
    `UPDATE endpoints SET url = $2, email = $3, events = $4, auth = $5, active = $6, description = $7, updated_at = now()
     WHERE id = $1 AND deleted_at IS NULL RETURNING ${ENDPOINT_COLUMNS}`,
    [
      endpoint.id,
      endpoint.url,
      endpoint.email,
      endpoint.events,
      JSON.stringify(endpoint.auth),
      endpoint.active,
      endpoint.description,
    ],
  );
  return toEndpoint(rows[0]!);
}

export async function softDeleteEndpoint(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE endpoints SET deleted_at = now(), active = false, updated_at = now() WHERE id = $1 AND deleted_at IS NULL',
    [id],
  );
  return rowCount === 1;
}
