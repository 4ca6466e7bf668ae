-- The reconciler reads each terminated call run's history once (a Terminate, or the run a Reset replaced), to
-- signal again the events a platform service emitted through its Temporal client that the run never planned.
CREATE TABLE recovered_runs (
  run_id         text PRIMARY KEY,
  call_id        text NOT NULL,
  events_resent  integer NOT NULL,
  -- The events signalled again, in their order: they reach their endpoints after the events the call received since.
  event_ids      text[] NOT NULL DEFAULT '{}',
  recovered_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recovered_runs_recovered_idx ON recovered_runs (recovered_at);
