/**
 * The API as an Express app. Its routes are declared in src/api/routes/ (src/api/route.ts) and
 * listed in src/api/routes/index.ts; here they are mounted, in an order that matters: the open
 * routes (health, metrics, the OpenAPI document) and the Webhooks page first, then the key check
 * on /v1, the payload codec, the JSON body parsers, and the /v1 routes behind them.
 */
import express, { Router, type Express } from 'express';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Pool } from '../db/pool';
import type { SigningKeyRing } from '../destinations/signing/signing-keys';
import { EventCatalog } from '../catalog/event-catalog';
import { logger } from '../observability/logger';
import { authenticator, type Authenticator } from './auth/authenticate';
import { denyWritesOfReadOnlyLinks, requireAdmin } from './auth/principal';
import type { PortalTokens } from '../auth/portal-tokens';
import { codecRouter } from './routes/codec';
import { errorHandler, requireJson, unknownRoute } from './errors';
import { traceRequests } from './trace-requests';
import { openApiDocument } from './openapi';
import { isGuarded, routerOf } from './route';
import type { RouteDeps } from './route-deps';
import { API_ROUTES, PORTAL_LINK_ROUTES } from './routes/index';
import { webhooksPageRouter } from './routes/webhooks-page';

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

/** What the routes are given: the app's dependencies with their defaults, and the authenticator's caches. */
function routeDepsOf(deps: AppDeps, auth: Authenticator): RouteDeps {
  return {
    pool: deps.pool,
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    signalTimeoutMs: deps.temporalTimeoutMs ?? 5_000,
    outbox: deps.outbox ?? NO_RELAY,
    relay: deps.outbox ?? null,
    catalog: deps.catalog ?? new EventCatalog(deps.pool, { ttlMs: 5_000, allowUnknownTypes: false, logger }),
    signingKeys: deps.signingKeys,
    rules: { allowHttpUrls: deps.allowHttpUrls, allowPrivateNetworks: deps.allowPrivateNetworks ?? true },
    hmacSecretOverlapMs: deps.hmacSecretOverlapMs,
    maxEndpointsPerClient: deps.maxEndpointsPerClient ?? 100,
    maxEventBytes: deps.maxBodyBytes,
    testWaitMs: deps.testWaitMs ?? 20_000,
    temporalUiUrl: deps.temporalUiUrl,
    temporalMetricsUrl: deps.temporalMetricsUrl,
    // Erasure: with a payload codec (PAYLOAD_ENCRYPTION_KEY) the call's history keys are destroyed with its content.
    historyEncrypted: deps.payloadCodec !== undefined,
    authRequired: (deps.auth?.mode ?? 'off') === 'on',
    forgetApiKey: auth.forget,
    portalLinks: deps.portal && { tokens: deps.portal.tokens, baseUrl: deps.portal.baseUrl, forget: auth.forgetPortalLink },
    openApiDocument: openApiDocument(),
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(traceRequests());
  const auth = authenticator({
    mode: deps.auth?.mode ?? 'off',
    adminKeys: deps.auth?.adminKeys ?? [],
    pool: deps.pool,
    ...(deps.auth?.rateLimits && { rateLimits: deps.auth.rateLimits }),
    ...(deps.portal && { portalTokens: deps.portal.tokens }),
  });
  const routeDeps = routeDepsOf(deps, auth);
  // Without portal links configured, their routes are not mounted: they answer the unknown route's 404.
  const routes = deps.portal ? API_ROUTES : API_ROUTES.filter((route) => !PORTAL_LINK_ROUTES.includes(route));
  // The open routes (health, metrics, this document) answer before the key check and the body parsers.
  app.use(routerOf(routes.filter((route) => !isGuarded(route.path)), routeDeps));
  // The Webhooks page (`/`, `/ui/…`): public, it holds no data; it calls /v1 with the user's key.
  app.use(webhooksPageRouter({ frameAncestors: deps.portal?.frameAncestors ?? [] }));
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
  app.use(routerOf(routes.filter((route) => isGuarded(route.path)), routeDeps));
  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}
