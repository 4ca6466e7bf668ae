import type { Queryable } from './pool';
import type { EventTypeStatus, ValidationMode } from '../schemas/event-type';

/** A registered (not built-in) event type as stored. */
export interface EventTypeRecord {
  name: string;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
  status: EventTypeStatus;
  validation: ValidationMode;
  createdAt: string;
  updatedAt: string;
}

interface EventTypeRow {
  name: string;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
  status: EventTypeStatus;
  validation: ValidationMode;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'name, description, schema, example, status, validation, created_at, updated_at';

const toRecord = (row: EventTypeRow): EventTypeRecord => ({
  name: row.name,
  description: row.description,
  schema: row.schema,
  example: row.example,
  status: row.status,
  validation: row.validation,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export async function listEventTypes(db: Queryable): Promise<EventTypeRecord[]> {
  const { rows } = await db.query<EventTypeRow>(`SELECT ${COLUMNS} FROM event_types ORDER BY name`);
  return rows.map(toRecord);
}

/** Registers a type; undefined if the name is taken. */
export async function insertEventType(
  db: Queryable,
  type: Pick<EventTypeRecord, 'name' | 'description' | 'schema' | 'example' | 'status' | 'validation'>,
): Promise<EventTypeRecord | undefined> {
  const { rows } = await db.query<EventTypeRow>(
    `INSERT INTO event_types (name, description, group_name, schema, example, status, validation)
     VALUES ($1, $2, 'custom', $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
    [type.name, type.description, JSON.stringify(type.schema), JSON.stringify(type.example), type.status, type.validation],
  );
  return rows[0] && toRecord(rows[0]);
}

/** Changes the given fields of a type; undefined if there is no such type. */
export async function updateEventType(
  db: Queryable,
  name: string,
  changes: Partial<Pick<EventTypeRecord, 'description' | 'schema' | 'example' | 'status' | 'validation'>>,
): Promise<EventTypeRecord | undefined> {
  const { rows } = await db.query<EventTypeRow>(
    `UPDATE event_types SET
       description = COALESCE($2, description),
       schema = COALESCE($3::jsonb, schema),
       example = COALESCE($4::jsonb, example),
       status = COALESCE($5, status),
       validation = COALESCE($6, validation),
       updated_at = now()
     WHERE name = $1 RETURNING ${COLUMNS}`,
    [
      name,
      changes.description ?? null,
      changes.schema ? JSON.stringify(changes.schema) : null,
      changes.example ? JSON.stringify(changes.example) : null,
      changes.status ?? null,
      changes.validation ?? null,
    ],
  );
  return rows[0] && toRecord(rows[0]);
}

/** Live endpoints subscribed to a type by name (not through `*`). */
export async function countSubscribers(db: Queryable, name: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM endpoints WHERE deleted_at IS NULL AND $1 = ANY (events)',
    [name],
  );
  return rows[0]!.n;
}
