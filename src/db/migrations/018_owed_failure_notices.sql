-- A delivery's failed round whose WEBHOOK_DELIVERY_FAILED notice was not planned yet when the delivery
-- was redelivered (its run was reset or terminated first): the redelivery gives the delivery a new
-- lane_seq, so without this row the old round, and the notice it owes, would be forgotten.
CREATE TABLE owed_failure_notices (
  delivery_id text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  lane_seq    bigint NOT NULL,
  call_id     text NOT NULL,
  error       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (delivery_id, lane_seq)
);
CREATE INDEX owed_failure_notices_call_idx ON owed_failure_notices (call_id);
