import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Pool } from '../db/pool';
import type { SigningKeyRing } from '../destinations/signing/signing-keys';
import type { AppDeps } from './app';
import { deliverySettingsFrom } from '../delivery-settings';

/** The API's dependencies as a configured process (npm start, npm run api) builds them. */
export function appDepsFrom(
  config: Config,
  services: { pool: Pool; temporal: Client; signingKeys: SigningKeyRing; temporalMetricsUrl?: string | undefined },
): AppDeps {
  return {
    pool: services.pool,
    temporal: services.temporal,
    signingKeys: services.signingKeys,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    allowHttpUrls: config.ALLOW_HTTP_URLS,
    allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
    maxBodyBytes: config.MAX_BODY_BYTES,
    hmacSecretOverlapMs: config.HMAC_SECRET_OVERLAP,
    // The first attempt of a test event ends within the attempt timeout; the rest is slack.
    testWaitMs: config.DELIVERY_ATTEMPT_TIMEOUT + 10_000,
    apiKeys: config.API_KEYS,
    deliverySettings: deliverySettingsFrom(config),
    ...(services.temporalMetricsUrl && { temporalMetricsUrl: services.temporalMetricsUrl }),
  };
}
