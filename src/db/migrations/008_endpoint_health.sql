-- Endpoint health (issue 10). What an operator sets on an endpoint, and what callhook learns of it.
--  paused_at / paused_by: paused (POST /v1/endpoints/:id/pause, or the call workflow's pauseEndpoint signal); its
--    deliveries wait, neither attempted nor failed, until resumed.
--  disabled_reason / disabled_at: why callhook (or an operator) disabled it; cleared when it is enabled again.
--  rate_limit: requests per second at the most, across every call; NULL for no limit.
ALTER TABLE endpoints
  ADD COLUMN paused_at timestamptz,
  ADD COLUMN paused_by text,
  ADD COLUMN disabled_reason text,
  ADD COLUMN disabled_at timestamptz,
  ADD COLUMN rate_limit integer CHECK (rate_limit IS NULL OR rate_limit > 0);

-- The circuit breaker across calls. failing_since: the first failed attempt since the last success (NULL: the last
-- attempt succeeded); failing_calls: the distinct calls that failed since then (capped). state: closed (attempts go),
-- open (no attempt until retry_at), probing (one attempt, probe_delivery_id's, decides; probe_until bounds it).
CREATE TABLE endpoint_circuits (
  endpoint_id       text PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  state             text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'probing')),
  failing_since     timestamptz,
  failing_calls     text[] NOT NULL DEFAULT '{}',
  opened_at         timestamptz,
  retry_at          timestamptz,
  probe_delivery_id text,
  probe_until       timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The per-endpoint rate limit: next_at is the earliest time the next request may go (a GCRA's theoretical arrival time).
CREATE TABLE endpoint_pacing (
  endpoint_id text PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  next_at     timestamptz NOT NULL
);

-- Calls whose lane of an endpoint waits for it (paused, circuit open): woken by a signal when it may go again.
CREATE TABLE endpoint_holds (
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  call_id     text NOT NULL,
  held_since  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (endpoint_id, call_id)
);
