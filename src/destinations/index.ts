import type { DestinationRegistry } from './destination';
import { customDestination } from './custom';

export interface DestinationsConfig {
  RETRY_AFTER_MAX: number;
  RESPONSE_EXCERPT_BYTES: number;
}

/** Every destination kind this build delivers to, configured. */
export function createDestinations(config: DestinationsConfig): DestinationRegistry {
  return {
    custom: customDestination({ retryAfterMaxMs: config.RETRY_AFTER_MAX, excerptBytes: config.RESPONSE_EXCERPT_BYTES }),
  };
}
