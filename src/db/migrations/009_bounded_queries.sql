-- Bounded work per run (issue 15): indexes for queries whose cost grew with the table or with a call's events.
-- test/query-plans.test.ts explains every hot query of src/db over a filled database and fails on a Seq Scan.

-- GET /v1/endpoints/:id/deliveries pages an endpoint's deliveries in seq order after a cursor (listDeliveryLog).
-- (endpoint_id, created_at) gives them in another order: every page sorted all of the endpoint's deliveries.
CREATE INDEX IF NOT EXISTS deliveries_endpoint_seq_idx ON deliveries (endpoint_id, seq);

-- loadCallSummary (a run that starts without knowing its call) reads, per event type, a call's first and last
-- event and its latest callStatus: one probe each here, where events_call_idx would read every event of the call.
CREATE INDEX IF NOT EXISTS events_call_type_idx ON events (call_id, event_type, received_at);
