-- Call workflow v2: Postgres is each lane's queue, so a workflow run carries only a bounded summary.
-- lane_seq orders an endpoint's deliveries of a call (a redelivery goes to the end: it gets a new one);
-- attempt_base is attempt_count when the current round began (0, or where a redelivery took over);
-- next_attempt_at is when a retrying delivery is due, so backoff survives continue-as-new.
CREATE SEQUENCE delivery_lane_seq;
ALTER TABLE deliveries
  ADD COLUMN lane_seq bigint NOT NULL DEFAULT nextval('delivery_lane_seq'),
  ADD COLUMN attempt_base integer NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at timestamptz;
ALTER SEQUENCE delivery_lane_seq OWNED BY deliveries.lane_seq;
UPDATE deliveries SET lane_seq = seq;
SELECT setval('delivery_lane_seq', GREATEST((SELECT max(seq) FROM deliveries), 1));
CREATE INDEX deliveries_pending_lane_idx ON deliveries (call_id, endpoint_id, lane_seq) WHERE status = 'pending';
CREATE INDEX deliveries_call_status_idx ON deliveries (call_id, status);

-- Operators cancelling a call's workflow end its pending deliveries as skipped, logged as 'cancel'.
ALTER TABLE delivery_actions DROP CONSTRAINT delivery_actions_action_check;
ALTER TABLE delivery_actions ADD CONSTRAINT delivery_actions_action_check CHECK (action IN ('redeliver', 'skip', 'cancel'));
