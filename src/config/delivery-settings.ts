import type { RetrySchedule } from '../schemas/endpoint-options';

/** Delivery timing the worker is configured with; the workflow reads it once per run. */
export interface DeliverySettings {
  /** Attempts in all: the first one plus the retries. */
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  attemptTimeoutMs: number;
  idleTimeoutMs: number;
  abandonTimeoutMs: number;
}

/**
 * Error types a delivery attempt throws. The retryable one is retried by Temporal with
 * backoff; the others are listed in the retry policy's nonRetryableErrorTypes, so they end
 * the delivery on the spot.
 */
export const DeliveryErrorType = {
  retryable: 'DeliveryRetryable',
  rejected: 'DeliveryRejected',
  endpointUnavailable: 'EndpointUnavailable',
  notFound: 'DeliveryNotFound',
} as const;

export const NON_RETRYABLE_DELIVERY_ERRORS = [
  DeliveryErrorType.rejected,
  DeliveryErrorType.endpointUnavailable,
  DeliveryErrorType.notFound,
];

/** The settings a worker configured by environment variables uses. */
export function deliverySettingsFrom(config: {
  RETRY_MAX_RETRIES: number;
  RETRY_INITIAL_INTERVAL: number;
  RETRY_BACKOFF_COEFFICIENT: number;
  RETRY_MAX_INTERVAL: number;
  DELIVERY_ATTEMPT_TIMEOUT: number;
  CALL_IDLE_TIMEOUT: number;
  CALL_ABANDON_TIMEOUT: number;
}): DeliverySettings {
  return {
    maxAttempts: config.RETRY_MAX_RETRIES + 1,
    initialIntervalMs: config.RETRY_INITIAL_INTERVAL,
    backoffCoefficient: config.RETRY_BACKOFF_COEFFICIENT,
    maximumIntervalMs: config.RETRY_MAX_INTERVAL,
    attemptTimeoutMs: config.DELIVERY_ATTEMPT_TIMEOUT,
    idleTimeoutMs: config.CALL_IDLE_TIMEOUT,
    abandonTimeoutMs: config.CALL_ABANDON_TIMEOUT,
  };
}

/**
 * The delay after a failed attempt of a round, by Temporal's retry-policy arithmetic: after the
 * n-th attempt (1-based) the next comes initialInterval × coefficient^(n-1) later, at most
 * maximumInterval. The workflow builds each retry policy from it, and the activity records the
 * due time with it, so a new run (continue-as-new) resumes exactly where the backoff was.
 */
export function retryDelayMs(settings: Pick<DeliverySettings, 'initialIntervalMs' | 'backoffCoefficient' | 'maximumIntervalMs'>, attempt: number): number {
  return Math.min(settings.initialIntervalMs * settings.backoffCoefficient ** Math.max(attempt - 1, 0), settings.maximumIntervalMs);
}

/** Attempts in all a delivery round has: the endpoint's own schedule's (its delays and the first), or the configured number. */
export function attemptsAllowed(settings: Pick<DeliverySettings, 'maxAttempts'>, schedule: RetrySchedule | null): number {
  return schedule ? schedule.delaysMs.length + 1 : settings.maxAttempts;
}

/** The delay after the n-th failed attempt (1-based) of a round: the endpoint's own schedule's, or the configured backoff's. */
export function scheduledDelayMs(settings: Pick<DeliverySettings, 'initialIntervalMs' | 'backoffCoefficient' | 'maximumIntervalMs'>, schedule: RetrySchedule | null, attempt: number): number {
  if (!schedule) return retryDelayMs(settings, attempt);
  const delays = schedule.delaysMs;
  return delays[Math.min(attempt, delays.length) - 1] ?? settings.initialIntervalMs;
}
