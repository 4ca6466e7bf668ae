import type { Client } from '@temporalio/client';
import type { Config } from '../config/config';
import type { Pool } from '../db/pool';
import type { SigningKeyRing } from '../destinations/signing/signing-keys';
import type { AppDeps } from './app';
import { devServerUiOrigins } from '../temporal/dev-server';
import { payloadCodecFrom } from '../temporal/payload-codec';
import { EventCatalog } from '../catalog/event-catalog';
import { PortalTokens } from '../auth/portal-tokens';
import { secretsKeyRing } from '../crypto/secrets-key-ring';
import { logger } from '../observability/logger';

/** The API's dependencies as a configured process (npm start, npm run api) builds them. */
export function appDepsFrom(
  config: Config,
  services: {
    pool: Pool;
    temporal: Client;
    signingKeys: SigningKeyRing;
    auth: NonNullable<AppDeps['auth']>;
    temporalMetricsUrl?: string | undefined;
    outbox?: AppDeps['outbox'];
  },
): AppDeps {
  // The process's pool holds the calls' data keys (erasable): /codec decodes a call's payloads with them.
  const payloadCodec = payloadCodecFrom(config, services.pool);
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
    auth: services.auth,
    maxEndpointsPerClient: config.MAX_ENDPOINTS_PER_CLIENT,
    temporalUiUrl: config.TEMPORAL_UI_URL,
    catalog: new EventCatalog(services.pool, { ttlMs: 5_000, allowUnknownTypes: config.CATALOG_ALLOW_UNKNOWN_TYPES, logger }),
    // Portal tokens are signed with keys derived from the secrets key ring (configured at start): they rotate with it.
    portal: { tokens: new PortalTokens(secretsKeyRing()), frameAncestors: config.PORTAL_FRAME_ANCESTORS, baseUrl: config.PORTAL_BASE_URL },
    ...(services.outbox && { outbox: services.outbox }),
    ...(services.temporalMetricsUrl && { temporalMetricsUrl: services.temporalMetricsUrl }),
    ...(payloadCodec && { payloadCodec, codecCorsOrigins: config.CODEC_CORS_ORIGINS ?? devServerUiOrigins(config.TEMPORAL_UI_PORT) }),
  };
}
