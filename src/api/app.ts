import express, { Router, type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Pool } from '../db/pool';
import type { SigningKeyRing } from '../destinations/signing/signing-keys';
import { EventCatalog } from '../catalog/event-catalog';
import { logger } from '../observability/logger';
import { authenticator } from './auth/authenticate';
import { denyWritesOfReadOnlyLinks, requireAdmin } from './auth/principal';
import { portalLinksRouter } from './routes/portal-links';
import type { PortalTokens } from '../auth/portal-tokens';
import { codecRouter } from './routes/codec';
import { apiKeysRouter } from './routes/api-keys';
import { errorHandler, requireJson, unknownRoute } from './errors';
import { openApiJson } from './openapi';
import { callsRouter } from './routes/calls';
import { endpointsRouter } from './routes/endpoints';
import { eventsRouter } from './routes/events';
import { healthRouter } from './routes/health';
import { signingKeysRouter } from './routes/signing-keys';
import { metricsRouter } from '../observability/metrics-router';
import { operationsRouter } from './routes/operations';
import { callViewRouter } from './routes/call-view';
import { callContentRouter } from './routes/call-content';
import { endpointHealthRouter } from './routes/endpoint-health';
import { meRouter } from './routes/me';
import { webhooksPageRouter } from './routes/webhooks-page';
import { eventTypesRouter } from './routes/event-types';

import type { Outbox } from './accept-event';
import type { OutboxStatus } from '../outbox/relay';

export interface AppDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  allowHttpUrls: boolean;
  /** False: endpoint urls on private or special-purpose IP addresses are refused (default true). */
  allowPrivateNetworks?: boolean;
  maxBodyBytes: number;
  /** The RSA keys rsa endpoints are signed with; the API publishes their public halves. */
  signingKeys: SigningKeyRing;
  /** How long an hmac secret replaced by rotate-secret keeps signing (HMAC_SECRET_OVERLAP). */
  hmacSecretOverlapMs: number;
  /** How long a request waits on Temporal before answering 503; default 5 s. */
  temporalTimeoutMs?: number;
  /** How long `POST /v1/endpoints/:id/test` waits for the first attempt; default 20 s. */
  testWaitMs?: number;
  /** The Temporal SDK runtime's Prometheus endpoint, appended to GET /metrics. */
  temporalMetricsUrl?: string;
  /**
   * Who may call /v1: `on` needs a key (ADMIN_API_KEYS from the configuration, or a key in
   * Postgres); `off` (the default here) lets every request act as an admin.
   */
  auth?: { mode: 'on' | 'off'; adminKeys?: readonly string[]; rateLimits?: { client: number; admin: number } };
  /** Endpoints one client may have (MAX_ENDPOINTS_PER_CLIENT); default 100. */
  maxEndpointsPerClient?: number;
  /** The codec of Temporal payloads (PAYLOAD_ENCRYPTION_KEY): served at /codec, for admin keys, to the Web UI and CLI. */
  payloadCodec?: PayloadCodec;
  /** Browser origins (the Temporal Web UI) allowed to call /codec (CODEC_CORS_ORIGINS). */
  codecCorsOrigins?: readonly string[];
  /** The Temporal Web UI (TEMPORAL_UI_URL): the call view links a call's workflow there. Absent: no link. */
  temporalUiUrl?: string;
  /**
   * This process's outbox relay (src/outbox/relay.ts): told of each accepted event, and asked whether
   * the backlog has room. Absent (tests of other routes): accepted events wait for another process's relay.
   */
  outbox?: Outbox & { status(): OutboxStatus };
  /** A batch's body at the most (POST /v1/events/batch); default 4 MiB. Each of its events is held to maxBodyBytes. */
  maxBatchBodyBytes?: number;
  /** The event catalog (types, schemas, validation modes); one that reads `pool` every 5 s and refuses unknown types unless given. */
  catalog?: EventCatalog;
  /**
   * Portal links: their tokens (signed with keys derived from the secrets key ring), the origins that
   * may frame the page (PORTAL_FRAME_ANCESTORS) and the page's public address (PORTAL_BASE_URL).
   * Without them there are no portal links (the routes answer 404).
   */
  portal?: { tokens: PortalTokens; frameAncestors?: readonly string[]; baseUrl?: string | undefined };
}

const NO_RELAY: Outbox & { status(): OutboxStatus } = {
  nudge: () => undefined,
  status: () => ({ backlog: 0, oldestAt: null, temporalReachable: true, lastError: null, full: false }),
};

export function createApp(deps: AppDeps): Express {
  const app = express();
  const temporalTimeoutMs = deps.temporalTimeoutMs ?? 5_000;
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(healthRouter({ pool: deps.pool, temporal: deps.temporal, timeoutMs: temporalTimeoutMs, outbox: deps.outbox ?? null }));
  app.use(metricsRouter({ pool: deps.pool, ...(deps.temporalMetricsUrl && { temporalMetricsUrl: deps.temporalMetricsUrl }) }));
  const openapi = openApiJson();
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });
  // The Webhooks page (`/`, `/ui/…`): public, it holds no data; it calls /v1 with the user's key.
  app.use(webhooksPageRouter({ frameAncestors: deps.portal?.frameAncestors ?? [] }));
  const auth = authenticator({
    mode: deps.auth?.mode ?? 'off',
    adminKeys: deps.auth?.adminKeys ?? [],
    pool: deps.pool,
    ...(deps.auth?.rateLimits && { rateLimits: deps.auth.rateLimits }),
    ...(deps.portal && { portalTokens: deps.portal.tokens }),
  });
  // The key is checked before the body is read: an unauthenticated request costs no parsing.
  app.use('/v1', auth.middleware, denyWritesOfReadOnlyLinks);
  if (deps.payloadCodec) {
    // Before the global JSON parser: the codec router authenticates first, then reads its larger bodies itself.
    const authenticate = Router().use(auth.middleware, requireAdmin);
    app.use('/codec', codecRouter({ codec: deps.payloadCodec, corsOrigins: deps.codecCorsOrigins ?? [], authenticate }));
  }
  app.use(requireJson);
  app.use('/v1/events/batch', express.json({ limit: deps.maxBatchBodyBytes ?? 4 * 1_048_576, strict: true }));
  app.use(express.json({ limit: deps.maxBodyBytes, strict: true }));
  app.use('/v1/api-keys', apiKeysRouter({ pool: deps.pool, forget: auth.forget }));
  if (deps.portal) {
    app.use('/v1/portal-links', portalLinksRouter({ pool: deps.pool, tokens: deps.portal.tokens, baseUrl: deps.portal.baseUrl, forget: auth.forgetPortalLink }));
  }
  app.use('/v1/me', meRouter({ authRequired: (deps.auth?.mode ?? 'off') === 'on' }));
  const catalog = deps.catalog ?? new EventCatalog(deps.pool, { ttlMs: 5_000, allowUnknownTypes: false, logger });
  app.use('/v1/event-types', eventTypesRouter({ pool: deps.pool, catalog }));
  const temporalDeps = {
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    signalTimeoutMs: temporalTimeoutMs,
  };
  const outbox = deps.outbox ?? NO_RELAY;
  const operations = operationsRouter({ pool: deps.pool, ...temporalDeps, outbox, testWaitMs: deps.testWaitMs ?? 20_000, catalog });
  app.use('/v1/endpoints', operations.endpoints);
  const endpointHealth = endpointHealthRouter({ pool: deps.pool });
  app.use('/v1/endpoints', endpointHealth.endpoints);
  app.use('/v1/endpoint-health', endpointHealth.list);
  app.use(
    '/v1/endpoints',
    endpointsRouter({
      pool: deps.pool,
      outbox,
      rules: { allowHttpUrls: deps.allowHttpUrls, allowPrivateNetworks: deps.allowPrivateNetworks ?? true },
      hmacSecretOverlapMs: deps.hmacSecretOverlapMs,
      maxEndpointsPerClient: deps.maxEndpointsPerClient ?? 100,
      catalog,
    }),
  );
  app.use(signingKeysRouter({ signingKeys: deps.signingKeys }));
  app.use('/v1/events', eventsRouter({ pool: deps.pool, outbox, maxEventBytes: deps.maxBodyBytes, catalog }));
  app.use('/v1/calls', callsRouter({ pool: deps.pool }), operations.calls);
  app.use('/v1/calls', callViewRouter({ pool: deps.pool, temporal: deps.temporal, temporalUiUrl: deps.temporalUiUrl }));
  // Erasure: with a payload codec (PAYLOAD_ENCRYPTION_KEY) the call's history keys are destroyed with its content.
  app.use('/v1/calls', callContentRouter({ pool: deps.pool, temporal: deps.temporal, historyEncrypted: deps.payloadCodec !== undefined, temporalTimeoutMs }));
  app.use('/v1/deliveries', operations.deliveries);
  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}
