/**
 * What the API's route handlers are given (src/api/route.ts): the app's dependencies with their
 * defaults applied, and what createApp builds from them (the authenticator's caches, the catalog).
 * One object for every route: app.ts builds it once (routeDepsOf) and mounts every route with it.
 */
import type { z } from 'zod';
import type { PortalTokens } from '../auth/portal-tokens';
import type { EventCatalog } from '../catalog/event-catalog';
import type { Pool } from '../db/pool';
import type { SigningKeyRing } from '../destinations/signing/signing-keys';
import type { OutboxStatus } from '../outbox/relay';
import type { DestinationRules } from '../schemas/endpoint';
import type { openApiDocumentSchema } from '../schemas/responses';
import type { Outbox } from './accept-event';
import type { TemporalDeps } from './temporal-call';

export interface RouteDeps extends TemporalDeps {
  pool: Pool;
  /** Where accepted events go next: this process's relay, or one that only says there is room (no relay here). */
  outbox: Outbox;
  /** This process's outbox relay, for readiness; null when it runs none (then Temporal must answer). */
  relay: { status(): OutboxStatus } | null;
  /** The event catalog (types, schemas, validation modes). */
  catalog: EventCatalog;
  /** The RSA keys rsa endpoints are signed with; their public halves are published. */
  signingKeys: SigningKeyRing;
  /** Which endpoint urls are allowed (http, private networks). */
  rules: DestinationRules;
  /** How long an hmac secret replaced by rotate-secret keeps signing beside the new one. */
  hmacSecretOverlapMs: number;
  /** Live endpoints one client may have. */
  maxEndpointsPerClient: number;
  /** An event's JSON at the most (MAX_BODY_BYTES): in a batch, a larger one is refused alone. */
  maxEventBytes: number;
  /** How long `POST /v1/endpoints/{id}/test` waits for the first attempt. */
  testWaitMs: number;
  /** The Temporal Web UI (TEMPORAL_UI_URL), without a trailing slash; absent: the call view links no workflow. */
  temporalUiUrl: string | undefined;
  /** The Temporal SDK runtime's Prometheus endpoint, appended to GET /metrics; absent: callhook's metrics only. */
  temporalMetricsUrl: string | undefined;
  /** Whether payload encryption is on (PAYLOAD_ENCRYPTION_KEY): then erasing a call destroys its history keys. */
  historyEncrypted: boolean;
  /** Whether /v1 needs an API key (AUTH=on). */
  authRequired: boolean;
  /** Forgets an API key at once in this process's authenticator (after its revocation). */
  forgetApiKey(keyId: string): void;
  /**
   * Portal links: their tokens, the page's public address (PORTAL_BASE_URL; the request's origin
   * when absent) and the authenticator's cache. Absent: the portal-link routes are not mounted.
   */
  portalLinks: { tokens: PortalTokens; baseUrl: string | undefined; forget(linkId: string): void } | undefined;
  /** The document GET /openapi.json serves (src/api/openapi.ts). */
  openApiDocument: z.output<typeof openApiDocumentSchema>;
}
