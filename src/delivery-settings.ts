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
