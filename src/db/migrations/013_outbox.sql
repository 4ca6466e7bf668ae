-- The transactional outbox: an event is accepted when it is stored and planned (signaled_at NULL); a relay in
-- each API process signals the call workflows from here and sets signaled_at. This index finds the backlog.
CREATE INDEX events_unsignaled_idx ON events (received_at, call_id) WHERE signaled_at IS NULL;

-- Events planned by a workflow (Temporal-client events, failure notices) reached it by a signal already: never
-- the relay's. Before this migration their signaled_at stayed NULL; the API's own events ('api/<id>') that are
-- still unsignalled (a crash between storing and signalling) are left for the relay.
UPDATE events SET signaled_at = COALESCE(planned_at, received_at)
WHERE signaled_at IS NULL AND (planned_run_id IS NULL OR planned_run_id NOT LIKE 'api/%');

-- Wake-ups of calls held for an endpoint (paused, circuit open) that may go again: the relay signals
-- `endpointReady` to each and deletes the row, so a wake-up is never lost while Temporal is away.
CREATE TABLE call_wakeups (
  call_id     text NOT NULL,
  endpoint_id text NOT NULL,
  queued_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (call_id, endpoint_id)
);
CREATE INDEX call_wakeups_queued_idx ON call_wakeups (queued_at);
