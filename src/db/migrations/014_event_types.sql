-- The event catalog's registered types (the built-in ones live in code: src/catalog/builtin-event-types.ts).
CREATE TABLE event_types (
  name         text PRIMARY KEY CHECK (name ~ '^[A-Z][A-Z0-9_]{2,63}$'),
  description  text NOT NULL,
  group_name   text NOT NULL,
  schema       jsonb NOT NULL,
  example      jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated', 'archived')),
  validation   text NOT NULL DEFAULT 'warn' CHECK (validation IN ('off', 'warn', 'enforce')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- What the catalog found wrong with an event accepted under `warn` (JSON pointers and messages); NULL when nothing was.
ALTER TABLE events ADD COLUMN validation_errors jsonb;
