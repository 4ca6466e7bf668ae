-- Endpoint health (GET /v1/endpoints/:id/health, the Webhooks page) reads the attempts of the last hours:
-- without this index that is a scan of every attempt ever made. delivery_attempts is insert-only, so the
-- index costs one append per attempt.
CREATE INDEX delivery_attempts_started_idx ON delivery_attempts (started_at);
