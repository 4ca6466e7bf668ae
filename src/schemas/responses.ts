/**
 * What the API answers with, as zod schemas: the one source of the responses in `GET /openapi.json`
 * (each route names its response schemas: src/api/route.ts) and of the TypeScript types the code
 * answers with (`z.output<typeof …Schema>`, in the api and db layers). A route's `reply` takes a
 * body of the documented schema only, so what is answered and what is documented cannot drift apart.
 */
import { z } from 'zod';
import { rejectedMessageSchema } from './call-workflow-messages';
import { callEventSchema } from './call-event';
import { eventTypeSchema, schemaErrorSchema } from './event-type';
import { portalCapabilitiesSchema, portalThemeSchema } from './portal-link';
import { endpointKindSchema, OAUTH2_METHODS } from './endpoint';
import { endpointFilterSchema } from './endpoint-filter';
import { retryScheduleSchema } from './endpoint-options';

/** An instant as the API writes it: ISO 8601 with `Z` or an offset (Postgres writes `+00:00`). */
const timestamp = z.iso.datetime({ offset: true });
const cursor = z.string().nullable().describe('pass as `after` to get the next page; null on the last page');

// ---- errors

export const validationIssueSchema = z.strictObject({
  path: z.string().describe('the bad field: `body.…`, `query.…` or `path.…`'),
  pointer: z.string().optional().describe('where a JSON Schema of the event catalog found the problem: an RFC 6901 pointer into the request body (`/body/data/appointmentAt`)'),
  message: z.string(),
});

/** Every 4xx and 5xx: `{ "error": { "code", "message", "details" } }` (src/api/errors.ts). */
export const errorEnvelopeSchema = z.strictObject({
  error: z.strictObject({
    code: z
      .string()
      .describe(
        'invalid_request, invalid_json, bad_request, not_found, idempotency_conflict, not_retryable, no_secret_to_rotate, ' +
          'signing_key_configured, payload_too_large, unsupported_media_type, temporal_unavailable, test_timeout, internal',
      ),
    message: z.string(),
    details: z.array(validationIssueSchema).nullable().describe('invalid_request: every bad field; otherwise null'),
  }),
});

// ---- endpoints

const noAuthView = z.strictObject({ type: z.literal('none') });
const rsaAuthView = z.strictObject({ type: z.literal('rsa') });

const oauth2PublicFields = {
  tokenUrl: z.string(),
  clientId: z.string(),
  scope: z.string().optional(),
  audience: z.string().optional(),
  method: z.enum(OAUTH2_METHODS),
};

/** Auth as shown after creation: type and hints, never a secret. */
export const authViewSchema = z.discriminatedUnion('type', [
  noAuthView,
  rsaAuthView,
  z.strictObject({ type: z.literal('bearer'), tokenHint: z.string().describe('`…` and at most 4 characters, never more than a quarter of the token') }),
  z.strictObject({ type: z.literal('basic'), username: z.string(), passwordHint: z.string().describe('`…` and at most 4 characters of the password') }),
  z.strictObject({ type: z.literal('oauth2'), ...oauth2PublicFields, clientSecretHint: z.string() }),
  z.strictObject({
    type: z.literal('hmac'),
    secretHint: z.string(),
    previousSecrets: z
      .array(z.strictObject({ secretHint: z.string(), expiresAt: timestamp }))
      .describe('secrets rotated out that still sign, beside the current one, until expiresAt'),
  }),
  z.strictObject({ type: z.literal('hmac-hex'), header: z.string(), secretHint: z.string() }),
]);

/** Auth as shown once, in the creation response: the secret in full. */
export const revealedAuthSchema = z.discriminatedUnion('type', [
  noAuthView,
  rsaAuthView,
  z.strictObject({ type: z.literal('bearer'), token: z.string() }),
  z.strictObject({ type: z.literal('basic'), username: z.string(), password: z.string() }),
  z.strictObject({ type: z.literal('oauth2'), ...oauth2PublicFields, clientSecret: z.string() }),
  z.strictObject({ type: z.literal('hmac'), secret: z.string().describe('generated when none was given') }),
  z.strictObject({ type: z.literal('hmac-hex'), header: z.string(), secret: z.string() }),
]);

const endpointFields = {
  id: z.string().describe('`ep_` and 32 hex digits'),
  clientId: z.string(),
  kind: endpointKindSchema,
  url: z.string().nullable(),
  email: z.string().nullable(),
  events: z.array(z.string()).describe('subscribed event types, or `["*"]` for every non-system type'),
  description: z.string().nullable(),
  active: z.boolean(),
  rateLimit: z.number().int().nullable().describe('requests per second at the most, across every call; null: no limit'),
  headers: z
    .array(
      z.discriminatedUnion('secret', [
        z.strictObject({ name: z.string(), secret: z.literal(false), value: z.string() }),
        z.strictObject({ name: z.string(), secret: z.literal(true), valueHint: z.string().describe('`…` and at most 4 characters of the value') }),
      ]),
    )
    .describe('sent with every request; a secret one is shown by a hint only'),
  filter: endpointFilterSchema.nullable().describe('only events that match are delivered here; null: every event subscribed to'),
  retry: retryScheduleSchema.nullable().describe("the endpoint's own retry schedule; null: the configured default"),
  sendTraceparent: z.boolean().describe("whether each attempt carries a W3C `traceparent` header (custom endpoints, tracing on)"),
  tls: z
    .strictObject({
      subject: z.string(),
      issuer: z.string(),
      notBefore: z.string(),
      notAfter: z.string(),
      fingerprint256: z.string(),
      expiry: z.enum(['valid', 'expiring', 'expired']).describe('expiring: within 14 days'),
      ca: z.boolean().describe('CAs of its own are trusted for the receiver'),
    })
    .nullable()
    .describe('the client certificate presented for mutual TLS (never its key); null: none'),
  pausedAt: timestamp.nullable().describe('paused since: its deliveries wait, neither attempted nor failed, until it is resumed'),
  pausedBy: z.string().nullable().describe('who paused it (api, temporal-ui, or the key name)'),
  disabledReason: z.string().nullable().describe('why it is disabled: a 410 Gone, failing for ENDPOINT_DISABLE_AFTER, or the API; null while active'),
  disabledAt: timestamp.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
};

export const endpointViewSchema = z.strictObject({ ...endpointFields, auth: authViewSchema });
export const createdEndpointSchema = z.strictObject({ ...endpointFields, auth: revealedAuthSchema });
export const endpointListSchema = z.strictObject({ data: z.array(endpointViewSchema), nextCursor: cursor });
export const endpointDeletedSchema = z.strictObject({ id: z.string(), deleted: z.literal(true) });

export const rotatedSecretSchema = z.strictObject({
  id: z.string(),
  secret: z.string().describe('the new secret, in full: shown only here'),
  previousSecretExpiresAt: timestamp.nullable().describe('hmac: until when the old secret keeps signing; hmac-hex: null'),
  auth: authViewSchema,
});

// ---- deliveries

export const deliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed', 'skipped']);
export const attemptOutcomeSchema = z
  .enum(['succeeded', 'retryable', 'final', 'cancelled'])
  .describe('`cancelled`: aborted because the delivery was skipped while it was under way; not counted as an attempt');

export const deliveryAttemptSchema = z.strictObject({
  attemptNumber: z.int().min(1),
  startedAt: timestamp,
  durationMs: z.int().min(0),
  statusCode: z.int().nullable().describe('the receiver\'s HTTP status; null when there was none (timeout, connection error)'),
  outcome: attemptOutcomeSchema,
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable()
    .describe("the OpenTelemetry trace the attempt's span is in (the event's trace); null when tracing was off"),
});

export const deliveryActionSchema = z.strictObject({
  action: z.enum(['redeliver', 'skip', 'cancel']),
  source: z.string(),
  reason: z.string().nullable(),
  at: timestamp,
});

/** One event to one endpoint: its status, every attempt and every operator action, oldest first. */
export const deliveryLogEntrySchema = z.strictObject({
  id: z.string().describe('`dlv_` and 32 hex digits; the x-recho-delivery-id header'),
  eventId: z.string(),
  eventType: z.string(),
  endpointId: z.string(),
  callId: z.string(),
  status: deliveryStatusSchema,
  attemptCount: z.int().min(0),
  lastStatusCode: z.int().nullable(),
  lastError: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  endedAt: timestamp.nullable(),
  nextAttemptAt: timestamp.nullable().describe('a pending delivery that failed an attempt: when the next one is due; null otherwise'),
  validationErrors: z.array(schemaErrorSchema).nullable().describe("what the event type's schema found wrong with the body (validation `warn`); null when nothing was"),
  erasedAt: timestamp
    .nullable()
    .describe("when the call's content was erased (DELETE /v1/calls/{callId}/content): its attempts' response excerpts and errors and its last error are gone, the rest stays; null when it was not"),
  actions: z.array(deliveryActionSchema),
  attempts: z.array(deliveryAttemptSchema),
});

export const callDeliveriesSchema = z.strictObject({ callId: z.string(), data: z.array(deliveryLogEntrySchema), nextCursor: cursor });
export const deliveryPageSchema = z.strictObject({ data: z.array(deliveryLogEntrySchema), nextCursor: cursor });

// ---- events

export const acceptedEventSchema = z.strictObject({
  id: z.string().describe('the event id: the one sent, or a generated `evt_…`'),
  callId: z.string(),
  workflowId: z.string().describe('the call\'s Temporal workflow id (= callId)'),
  validationErrors: z.array(schemaErrorSchema).optional().describe("what the type's schema found wrong with the body, when its validation is `warn` (accepted all the same)"),
});

export const batchItemResultSchema = z.strictObject({
  index: z.number().int().describe('its position in the request'),
  id: z.string().nullable().describe('the event id (sent or generated); null for an item too malformed to have one'),
  callId: z.string().nullable(),
  status: z.enum(['accepted', 'duplicate', 'refused']).describe('`duplicate`: this id was accepted before with the same content (delivered once)'),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional().describe('why it was refused'),
  validationErrors: z.array(schemaErrorSchema).optional().describe("accepted under `warn`: what the type's schema found wrong"),
});
export const batchAcceptedSchema = z.strictObject({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  refused: z.number().int(),
  results: z.array(batchItemResultSchema).describe('one per event, in the order sent'),
});

/** An erased event as GET /v1/events/{id} shows it: what it was and when, not what it said. */
export const erasedEventPayloadSchema = z.strictObject({
  id: z.string(),
  eventType: z.string(),
  occurredAt: timestamp,
  body: z.null().describe("erased with the call's content"),
});

export const eventDetailSchema = z.strictObject({
  id: z.string(),
  callId: z.string(),
  clientId: z.string(),
  eventType: z.string(),
  receivedAt: timestamp,
  payload: z
    .union([callEventSchema, erasedEventPayloadSchema])
    .describe('the event as accepted, every field filled in (`targetEndpointId`: test events only); after an erasure, its envelope with `body: null`'),
  validationErrors: z.array(schemaErrorSchema).nullable().describe("what the event type's schema found wrong with the body (validation `warn`); null when nothing was (or it was erased)"),
  erasedAt: timestamp.nullable().describe("when the event's content was erased (DELETE /v1/calls/{callId}/content); null when it was not"),
  deliveries: z.array(deliveryLogEntrySchema),
});

export const eventTypeCatalogSchema = z.strictObject({
  data: z.array(eventTypeSchema).describe('built-in types first, then registered ones by name; clients do not see archived ones'),
});

// ---- operator actions

export const retryAcceptedSchema = z.strictObject({ deliveryId: z.string(), callId: z.string() });
export const redeliverAcceptedSchema = z.strictObject({
  callId: z.string(),
  deliveries: z.array(z.string()).describe('the failed deliveries sent again'),
});
export const recoverAcceptedSchema = z.strictObject({
  endpointId: z.string(),
  calls: z.int().min(0).describe('calls with failed deliveries in the range: each is asked to send them again'),
  deliveries: z.int().min(0).describe('failed deliveries in the range'),
  workflowId: z.string().nullable().describe('the recovery workflow signalling the calls (null: nothing to recover)'),
});
export const testResultSchema = z.strictObject({
  eventId: z.string(),
  deliveryId: z.string(),
  outcome: attemptOutcomeSchema.describe('of the first attempt'),
  statusCode: z.int().nullable(),
  durationMs: z.int().min(0),
  error: z.string().nullable(),
  responseExcerpt: z.string().nullable(),
});

// ---- health and signing keys

export const healthSchema = z.strictObject({ status: z.literal('ok') });
const checkSchema = z.strictObject({ ok: z.boolean(), error: z.string().optional() });
export const outboxCheckSchema = z.strictObject({
  ok: z.boolean().describe('false when the backlog is full (OUTBOX_MAX_PENDING): new events are refused'),
  backlog: z.number().int().describe('events accepted and not yet signalled to Temporal (counted up to OUTBOX_MAX_PENDING)'),
  oldestAt: z.string().nullable().describe('when the oldest of them was accepted'),
  error: z.string().optional(),
});
export const readinessSchema = z.strictObject({
  status: z.enum(['ready', 'unavailable']),
  accepting: z.boolean().describe('whether POST /v1/events takes events now: Postgres answers and the outbox has room (Temporal may be away)'),
  checks: z.strictObject({ postgres: checkSchema, temporal: checkSchema, outbox: outboxCheckSchema.optional() }),
});

export const publishedSigningKeySchema = z.strictObject({
  id: z.string().describe('`k_…`; the x-recho-key-id header of requests it signs'),
  publicKeyPem: z.string(),
  status: z.enum(['current', 'retiring']),
  expiresAt: timestamp.nullable().describe('retiring keys: until when they may still be seen'),
});
export const signingKeyListSchema = z.strictObject({ data: z.array(publishedSigningKeySchema) });

/** GET /openapi.json: only the document's frame; the document describes itself (inline, not a named component). */
export const openApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }) });

// ---- API keys

export const apiKeySchema = z.strictObject({
  id: z.string(),
  kind: z.enum(['client', 'admin']),
  clientId: z.string().nullable().describe('the client a client key acts for; null for an admin key'),
  name: z.string(),
  keyHint: z.string().describe('the last 4 characters of the key'),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable().describe('updated at most once a minute'),
  revokedAt: timestamp.nullable(),
});
export const createdApiKeySchema = apiKeySchema.extend({ key: z.string().describe('the key, in full: shown only here') }).strict();
export const apiKeyListSchema = z.strictObject({ data: z.array(apiKeySchema), nextCursor: cursor });

// ---- the Webhooks page: who the key is, endpoint health, a call's view

export const principalViewSchema = z.strictObject({
  role: z.enum(['admin', 'client']).describe('admin: acts for every client (an admin key, or anyone when keys are not required)'),
  clientId: z.string().nullable().describe('the client a client key acts for; null for an admin'),
  authRequired: z.boolean().describe('whether /v1 routes need an API key (AUTH)'),
  portal: z
    .strictObject({ linkId: z.string(), capabilities: portalCapabilitiesSchema, expiresAt: z.string(), theme: portalThemeSchema.nullable() })
    .nullable()
    .describe('the portal link the request was made with; null for an API key'),
});

const attemptStatsFields = {
  succeeded: z.int().min(0).describe('attempts that succeeded'),
  failed: z.int().min(0).describe('attempts that did not (retryable or final)'),
  p50Ms: z.int().min(0).nullable().describe('median attempt duration, ms; null without attempts'),
  p95Ms: z.int().min(0).nullable().describe('95th percentile of attempt duration, ms; null without attempts'),
};

/** The circuit breaker across calls (endpoint_circuits); closed with nulls when the endpoint has not failed since its last success. */
export const circuitViewSchema = z.strictObject({
  state: z
    .enum(['closed', 'open', 'probing'])
    .describe('closed: deliveries go; open: no call attempts it until retryAt; probing: one delivery tries it, the others wait for its outcome'),
  failingSince: timestamp.nullable().describe('the first failure since the last success; null when none'),
  failingCalls: z.int().min(0).describe('distinct calls with a retryable failure since the last success'),
  openedAt: timestamp.nullable().describe('when the circuit last opened'),
  retryAt: timestamp.nullable().describe('open: when one delivery may try again (the probe)'),
});

export const endpointHealthSchema = z.strictObject({
  endpointId: z.string(),
  since: timestamp.describe('start of the first bucket (a whole hour)'),
  until: timestamp.describe('end of the last bucket (the end of the current hour)'),
  buckets: z.array(z.strictObject({ start: timestamp, ...attemptStatsFields })).describe('one per hour, oldest first'),
  totals: z.strictObject({
    ...attemptStatsFields,
    successRate: z.number().min(0).max(1).nullable().describe('succeeded / attempts over the window; null without attempts'),
  }),
  failedWaiting: z.int().min(0).describe('deliveries that finally failed and were not sent again since (retry, recover); counted up to 10 000'),
  failedWaitingCapped: z.boolean().describe('true when there are more than failedWaiting'),
  lastDelivery: deliveryLogEntrySchema
    .pick({ id: true, eventType: true, callId: true, status: true, attemptCount: true, lastStatusCode: true, lastError: true, createdAt: true, endedAt: true })
    .nullable()
    .describe('the endpoint\'s latest delivery; null when it has none'),
  circuit: circuitViewSchema,
});
export const endpointHealthListSchema = z.strictObject({ data: z.array(endpointHealthSchema), nextCursor: cursor });

export const callEventSummarySchema = z.strictObject({
  id: z.string(),
  eventType: z.string(),
  callStatus: z.string().nullable().describe('body.data.callStatus as the event reported it (null once erased)'),
  occurredAt: timestamp,
  receivedAt: timestamp,
  erasedAt: timestamp.nullable().describe("when the event's content was erased; null when it was not"),
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .nullable()
    .describe('the OpenTelemetry trace of the event, begun by the request that accepted it; null when tracing was off'),
});
export const callViewSchema = z.strictObject({
  callId: z.string(),
  clientId: z.string(),
  workflowUrl: z.string().nullable().describe("the call's workflow in the Temporal Web UI (TEMPORAL_UI_URL); null when none is configured"),
  events: z.array(callEventSummarySchema).describe('a page of the call\'s events, in the order they were received'),
  deliveries: z.array(deliveryLogEntrySchema).describe('the deliveries of the events of this page, in the order they were planned'),
  rejected: z
    .array(rejectedMessageSchema)
    .nullable()
    .describe(
      "messages (signals, the workflow input) the call's workflow refused lately, latest first: which, why, when; null when the workflow could not be asked (or the call's content was erased: its workflow was stopped)",
    ),
  erasedAt: timestamp.nullable().describe("when the call's content was erased, if every event of the call was; null otherwise"),
  nextCursor: cursor,
});

// ---- erasure

export const callErasureSchema = z.strictObject({
  callId: z.string(),
  erasedAt: timestamp.describe("when the call's content was erased (by this request, or an earlier one)"),
  events: z.int().min(0).describe('events whose body this request erased (0 when an earlier erasure did)'),
  attempts: z.int().min(0).describe('delivery attempts whose response excerpt or error this request erased'),
  skipped: z.int().min(0).describe(`deliveries still pending that this request ended as skipped ("the call's content was erased")`),
  historyKeysDestroyed: z
    .int()
    .min(0)
    .describe("the call's data keys this request destroyed: its payloads in Temporal history no longer decode anywhere"),
  history: z
    .enum(['crypto-shredded', 'not-encrypted'])
    .describe(
      "`crypto-shredded`: payload encryption is on (PAYLOAD_ENCRYPTION_KEY): the call's Temporal payloads were encrypted under its own data key, which no longer exists; `not-encrypted`: it is off, and the call's Temporal history stays readable until the namespace's retention",
    ),
});
