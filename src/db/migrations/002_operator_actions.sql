-- Operators can skip a delivery stuck in retry; it ends as 'skipped'.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'succeeded', 'failed', 'skipped'));

-- What operators did to a delivery (from the Temporal UI or the API), for the delivery log.
CREATE TABLE delivery_actions (
  id          bigserial PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES deliveries (id),
  action      text NOT NULL CHECK (action IN ('redeliver', 'skip')),
  source      text NOT NULL,
  reason      text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_actions_delivery_idx ON delivery_actions (delivery_id, id);
CREATE INDEX deliveries_status_idx ON deliveries (endpoint_id, status, created_at);
