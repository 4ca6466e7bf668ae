/**
 * The event catalog as one process sees it: the built-in types (from code) and the types an admin
 * registered (Postgres), each with its compiled body schema. Read through a cache of CATALOG_TTL
 * (5 s): a change made through another API process applies here within that; one made here at once.
 */
import type { Pool } from '../db/pool';
import { listEventTypes, type EventTypeRecord } from '../db/event-types-repo';
import { BUILTIN_EVENT_TYPES } from './builtin-event-types';
import { compileBodySchema, type BodyValidator } from './json-schema';
import type { EventTypeView, SchemaError } from '../schemas/event-type';
import type { Logger } from '../observability/logger';

export interface CatalogEntry extends EventTypeView {
  /** The body's problems under this type's schema (none: it validates). */
  validate: BodyValidator;
}

/** What intake may do with an event of a type and body. */
export type IntakeVerdict =
  | { accept: true; warnings: SchemaError[] }
  | { accept: false; status: 400 | 422; code: string; message: string; errors?: SchemaError[] };

export interface EventCatalogOptions {
  /** How long a read of the catalog is used before it is read again. */
  ttlMs: number;
  /** CATALOG_ALLOW_UNKNOWN_TYPES: accept events of types the catalog does not have (delivered to `*` subscribers). */
  allowUnknownTypes: boolean;
  logger: Logger;
}

export class EventCatalog {
  private cached: { at: number; entries: Map<string, CatalogEntry> } | null = null;
  private loading: Promise<Map<string, CatalogEntry>> | null = null;

  constructor(
    private readonly pool: Pool,
    readonly options: EventCatalogOptions,
  ) {}

  /** Every type, built-in first, then registered ones by name. */
  async list(): Promise<CatalogEntry[]> {
    return [...(await this.entries()).values()];
  }

  async get(name: string): Promise<CatalogEntry | undefined> {
    return (await this.entries()).get(name);
  }

  /** Forgets the cached read: the next one goes to Postgres (after a change made by this process). */
  invalidate(): void {
    this.cached = null;
  }

  /**
   * Whether intake takes an event of `eventType` with `body`, and what its type's schema found
   * wrong with it (under `warn`). Built-in types were checked by their zod schemas already.
   */
  async check(eventType: string, body: unknown): Promise<IntakeVerdict> {
    const entry = await this.get(eventType);
    if (!entry) {
      if (this.options.allowUnknownTypes) return { accept: true, warnings: [] };
      return { accept: false, status: 422, code: 'unknown_event_type', message: `event type ${eventType} is not in the catalog (GET /v1/event-types); an admin registers it with POST /v1/event-types` };
    }
    if (entry.system) return { accept: false, status: 422, code: 'system_event_type', message: `${eventType} is sent by callhook itself and cannot be submitted` };
    if (entry.status === 'archived') return { accept: false, status: 422, code: 'archived_event_type', message: `event type ${eventType} is archived` };
    if (entry.builtin || entry.validation === 'off') return { accept: true, warnings: [] };
    const errors = entry.validate(body);
    if (errors.length === 0) return { accept: true, warnings: [] };
    if (entry.validation === 'warn') return { accept: true, warnings: errors };
    return {
      accept: false,
      status: 422,
      code: 'schema_validation_failed',
      message: `the body does not match the schema of ${eventType}: ${errors.map((e) => `${e.pointer || '(body)'} ${e.message}`).join('; ')}`.slice(0, 2_000),
      errors,
    };
  }

  private async entries(): Promise<Map<string, CatalogEntry>> {
    if (this.cached && Date.now() - this.cached.at < this.options.ttlMs) return this.cached.entries;
    // One read at a time, whoever asks meanwhile waits for it.
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<Map<string, CatalogEntry>> {
    const at = Date.now();
    const entries = new Map<string, CatalogEntry>(BUILTIN_ENTRIES.map((entry) => [entry.name, entry]));
    for (const record of await listEventTypes(this.pool)) {
      if (entries.has(record.name)) continue; // a built-in name registered by hand in the table: the built-in wins
      entries.set(record.name, this.entryOf(record));
    }
    this.cached = { at, entries };
    return entries;
  }

  private entryOf(record: EventTypeRecord): CatalogEntry {
    let validate: BodyValidator;
    try {
      validate = compileBodySchema(record.schema);
    } catch (err) {
      // Checked when registered; a schema changed in the table by hand that no longer compiles validates nothing.
      this.options.logger.error({ err, eventType: record.name }, 'the catalog schema of an event type does not compile; its events are not validated');
      validate = () => [];
    }
    return { ...record, title: titleOf(record.name), group: 'custom', builtin: false, system: false, terminal: false, validate };
  }
}

/** A registered type's title: its name in words (`APPOINTMENT_BOOKED` → Appointment booked). */
function titleOf(name: string): string {
  const words = name.toLowerCase().replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const BUILTIN_ENTRIES: CatalogEntry[] = BUILTIN_EVENT_TYPES.map((type) => ({
  ...type,
  builtin: true,
  status: 'active',
  validation: 'enforce',
  createdAt: null,
  updatedAt: null,
  validate: compileBodySchema(type.schema),
}));

/** The catalog entry as the API shows it (without its validator). */
export function eventTypeView({ validate: _validate, ...view }: CatalogEntry): EventTypeView {
  return view;
}
