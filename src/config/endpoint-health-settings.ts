/** How callhook watches an endpoint's health across calls (the delivery activities read it). */
export interface EndpointHealthSettings {
  /** Distinct calls failing since the endpoint's last success that open its circuit; 0: no circuit breaker. */
  circuitBreakerCalls: number;
  /** How long an open circuit sends nothing before one probe may go. */
  circuitCooldownMs: number;
  /** Every delivery failing for this long disables the endpoint; 0: never. */
  disableAfterMs: number;
}

export function endpointHealthSettingsFrom(config: {
  CIRCUIT_BREAKER_CALLS: number;
  CIRCUIT_BREAKER_COOLDOWN: number;
  ENDPOINT_DISABLE_AFTER: number;
}): EndpointHealthSettings {
  return {
    circuitBreakerCalls: config.CIRCUIT_BREAKER_CALLS,
    circuitCooldownMs: config.CIRCUIT_BREAKER_COOLDOWN,
    disableAfterMs: config.ENDPOINT_DISABLE_AFTER,
  };
}

/** The defaults of the configuration (ENDPOINT_DISABLE_AFTER 5 d, CIRCUIT_BREAKER_CALLS 5, CIRCUIT_BREAKER_COOLDOWN 1 min). */
export const DEFAULT_ENDPOINT_HEALTH: EndpointHealthSettings = { circuitBreakerCalls: 5, circuitCooldownMs: 60_000, disableAfterMs: 5 * 86_400_000 };
