-- Endpoints: where a client's events go. Soft-deleted so the delivery log keeps its history.
CREATE TABLE endpoints (
  id          text PRIMARY KEY,
  client_id   text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('custom', 'slack', 'teams', 'email')),
  url         text,
  email       text,
  events      text[] NOT NULL,
  auth        jsonb NOT NULL DEFAULT '{"type":"none"}',
  active      boolean NOT NULL DEFAULT true,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);
CREATE INDEX endpoints_client_idx ON endpoints (client_id) WHERE deleted_at IS NULL;

-- Events: every call event accepted. payload_hash tells an idempotent replay from a reused id.
CREATE TABLE events (
  id              text PRIMARY KEY,
  call_id         text NOT NULL,
  client_id       text NOT NULL,
  event_type      text NOT NULL,
  payload         json NOT NULL, -- json, not jsonb: keeps the key order it was sent with
  payload_hash    text NOT NULL,
  occurred_at     timestamptz NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  signaled_at     timestamptz,
  planned_run_id  text,
  planned_at      timestamptz
);
CREATE INDEX events_call_idx ON events (call_id, received_at);

-- Deliveries: one event to one endpoint.
CREATE TABLE deliveries (
  id               text PRIMARY KEY,
  event_id         text NOT NULL REFERENCES events (id),
  endpoint_id      text NOT NULL REFERENCES endpoints (id),
  call_id          text NOT NULL,
  seq              bigserial,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempt_count    integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  ended_at         timestamptz,
  UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_call_idx ON deliveries (call_id, seq);
CREATE INDEX deliveries_endpoint_idx ON deliveries (endpoint_id, created_at);

-- Delivery attempts: one row per try (an HTTP request, an SMTP send).
CREATE TABLE delivery_attempts (
  id               bigserial PRIMARY KEY,
  delivery_id      text NOT NULL REFERENCES deliveries (id),
  attempt_number   integer NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_ms      integer NOT NULL,
  status_code      integer,
  outcome          text NOT NULL CHECK (outcome IN ('succeeded', 'retryable', 'final')),
  error            text,
  response_excerpt text
);
CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, id);
