-- An attempt aborted because its delivery was skipped while it was under way is logged with
-- outcome 'cancelled': it is no attempt of the round (attempt_count is not raised), counts toward
-- no circuit breaker, and schedules no backoff.
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_outcome_check;
ALTER TABLE delivery_attempts ADD CONSTRAINT delivery_attempts_outcome_check
  CHECK (outcome IN ('succeeded', 'retryable', 'final', 'cancelled'));
