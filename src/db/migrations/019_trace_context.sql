-- OpenTelemetry (issue 19): the W3C trace context an event was accepted in (its API request's span), so the
-- relay, the workflow and the delivery attempts of that event join the same trace however late they run;
-- the trace id of each attempt, for the delivery log and the call view; and an endpoint's opt-in to receive
-- a `traceparent` header with each attempt.
ALTER TABLE events ADD COLUMN trace_parent text;
ALTER TABLE delivery_attempts ADD COLUMN trace_id text;
ALTER TABLE endpoints ADD COLUMN send_traceparent boolean NOT NULL DEFAULT false;
