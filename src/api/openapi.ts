/**
 * `GET /openapi.json`: the API's OpenAPI 3.0.3 document, generated from the zod schemas the
 * handlers parse with (path parameters, query, body) and the response schemas in
 * src/schemas/responses.ts, by zod's own `z.toJSONSchema`. `operations` below is the route
 * registry: one entry per route the app answers (test/openapi.test.ts checks it against the
 * Express router, both ways).
 */
import { z } from 'zod';
import { CALLHOOK_VERSION } from '../process/version';
import { submitEventBatchSchema, submitEventSchema } from '../schemas/call-event';
import { createEndpointSchema, updateEndpointSchema } from '../schemas/endpoint';
import { apiKeyIdParams, createApiKeySchema, listApiKeysQuery } from '../schemas/api-key';
import { createPortalLinkBody, createdPortalLinkSchema, listPortalLinksQuery, portalLinkIdParams, portalLinkListSchema, portalLinkSchema } from '../schemas/portal-link';
import { archiveEventTypeQuery, createEventTypeBody, eventTypeNameParams, eventTypeSchema, patchEventTypeBody } from '../schemas/event-type';
import {
  acceptedEventSchema,
  batchAcceptedSchema,
  apiKeyListSchema,
  apiKeySchema,
  createdApiKeySchema,
  authViewSchema,
  callDeliveriesSchema,
  createdEndpointSchema,
  deliveryActionSchema,
  deliveryAttemptSchema,
  deliveryLogEntrySchema,
  deliveryPageSchema,
  endpointDeletedSchema,
  endpointListSchema,
  endpointViewSchema,
  errorEnvelopeSchema,
  eventDetailSchema,
  eventTypeCatalogSchema,
  healthSchema,
  publishedSigningKeySchema,
  readinessSchema,
  recoverAcceptedSchema,
  redeliverAcceptedSchema,
  retryAcceptedSchema,
  revealedAuthSchema,
  rotatedSecretSchema,
  signingKeyListSchema,
  testResultSchema,
  validationIssueSchema,
  principalViewSchema,
  endpointHealthSchema,
  endpointHealthListSchema,
  circuitViewSchema,
  callEventSummarySchema,
  callViewSchema,
  callErasureSchema,
} from '../schemas/responses';
import { callViewQuery } from './routes/call-view';
import { endpointHealthListQuery, endpointHealthQuery } from './routes/endpoint-health';
import { callDeliveriesQuery, callIdParams } from './routes/calls';
import { endpointIdParams, endpointStateBody, listEndpointsQuery, rotateSecretBody } from './routes/endpoints';
import { eventIdParams } from './routes/events';
import { deliveryIdParams, endpointDeliveriesQuery, filterMatchSchema, recoverBody, redeliverCallBody, testEndpointBody, testFilterBody } from './routes/operations';

type Method = 'get' | 'post' | 'patch' | 'delete';
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 415 | 429 | 500 | 503 | 504;
type JsonSchema = Record<string, unknown>;

interface ResponseSpec {
  status: 200 | 201 | 202 | 503;
  description: string;
  /** A JSON body; or `text` for a body of another media type. */
  schema?: z.ZodType;
  text?: string;
  headers?: Record<string, string>;
}

export interface ApiOperation {
  method: Method;
  /** OpenAPI style: `/v1/endpoints/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** The schemas the handler parses `req.params`, `req.query` and `req.body` with. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: { schema: z.ZodType; required: boolean };
  responses: ResponseSpec[];
  /** The error statuses the route answers besides the ones every route or every body may get. */
  errors?: Partial<Record<ErrorStatus, string>>;
}

/** Named request schemas (converted as input: what a client may send). */
const requestSchemas = {
  CreateEndpoint: createEndpointSchema,
  UpdateEndpoint: updateEndpointSchema,
  SubmitEvent: submitEventSchema,
  SubmitEventBatch: submitEventBatchSchema,
  CreateEventType: createEventTypeBody,
  TestEndpointRequest: testEndpointBody,
  TestFilterRequest: testFilterBody,
  CreatePortalLink: createPortalLinkBody,
  UpdateEventType: patchEventTypeBody,
  RotateSecretRequest: rotateSecretBody,
  EndpointStateRequest: endpointStateBody,
  RedeliverCallRequest: redeliverCallBody,
  RecoverRequest: recoverBody,
  CreateApiKey: createApiKeySchema,
} satisfies Record<string, z.ZodType>;

/** Named response schemas (converted as output: what the API writes). */
const responseSchemas = {
  Error: errorEnvelopeSchema,
  ValidationIssue: validationIssueSchema,
  AuthView: authViewSchema,
  RevealedAuth: revealedAuthSchema,
  Endpoint: endpointViewSchema,
  CreatedEndpoint: createdEndpointSchema,
  EndpointList: endpointListSchema,
  EndpointDeleted: endpointDeletedSchema,
  RotatedSecret: rotatedSecretSchema,
  DeliveryAttempt: deliveryAttemptSchema,
  DeliveryAction: deliveryActionSchema,
  DeliveryLogEntry: deliveryLogEntrySchema,
  CallDeliveries: callDeliveriesSchema,
  DeliveryPage: deliveryPageSchema,
  AcceptedEvent: acceptedEventSchema,
  BatchAccepted: batchAcceptedSchema,
  EventDetail: eventDetailSchema,
  EventTypeCatalog: eventTypeCatalogSchema,
  EventType: eventTypeSchema,
  PortalLink: portalLinkSchema,
  CreatedPortalLink: createdPortalLinkSchema,
  PortalLinkList: portalLinkListSchema,
  RetryAccepted: retryAcceptedSchema,
  RedeliverAccepted: redeliverAcceptedSchema,
  RecoverAccepted: recoverAcceptedSchema,
  TestResult: testResultSchema,
  FilterMatch: filterMatchSchema,
  Health: healthSchema,
  Readiness: readinessSchema,
  SigningKey: publishedSigningKeySchema,
  SigningKeyList: signingKeyListSchema,
  ApiKey: apiKeySchema,
  CreatedApiKey: createdApiKeySchema,
  ApiKeyList: apiKeyListSchema,
  PrincipalView: principalViewSchema,
  EndpointHealth: endpointHealthSchema,
  EndpointHealthList: endpointHealthListSchema,
  CircuitView: circuitViewSchema,
  CallEventSummary: callEventSummarySchema,
  CallView: callViewSchema,
  CallErasure: callErasureSchema,
} satisfies Record<string, z.ZodType>;

const openApiDocumentShape = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }) });

const BAD_ENDPOINT_ID = 'the id is not an endpoint id';
const NO_ENDPOINT = "no such endpoint (or it was deleted, or it is another client's)";
const ADMIN_ONLY = 'a client key: this needs an admin key (forbidden)';
const OTHER_CLIENT = "the body or query names another client than the client key's (forbidden)";
const TEMPORAL_DOWN = 'Temporal is unreachable: nothing was signalled; retry later';

/** Every route the app answers, in the order of the README's table. */
export const operations: ApiOperation[] = [
  {
    method: 'post',
    path: '/v1/events',
    operationId: 'submitEvent',
    summary: 'Accept a call event',
    description:
      'Answers once Postgres has the event: one statement stores it, dedupes it by `id` and plans its deliveries; the outbox relay then signals the call\'s workflow (within milliseconds while Temporal is up; when it is back otherwise). No receiver is contacted during the request. The event `id` is its idempotency key.',
    tag: 'events',
    body: { schema: submitEventSchema, required: true },
    responses: [
      {
        status: 202,
        description: 'accepted (or an idempotent replay of the same id and content)',
        schema: acceptedEventSchema,
        headers: { 'idempotent-replayed': '`true` when this id was already accepted with the same content' },
      },
    ],
    errors: {
      403: OTHER_CLIENT,
      409: "the id was already used for a different event (idempotency_conflict), or the call is another client's (call_of_another_client)",
      422: "the event type is not in the catalog (unknown_event_type), is archived (archived_event_type) or is callhook's own (system_event_type), or the body does not match the type's schema under `enforce` (schema_validation_failed: `details` has each problem's JSON pointer)",
      503: 'Postgres is unreachable, or OUTBOX_MAX_PENDING accepted events wait for Temporal (outbox_full): the event was not accepted; retry with the same id',
    },
  },
  {
    method: 'post',
    path: '/v1/events/batch',
    operationId: 'submitEvents',
    summary: 'Accept up to 500 call events, of any calls, in one request',
    description:
      'One statement stores and plans them all, and each call\'s events go to its workflow in one signal. Each event is answered on its own, in `results` (in the order sent): `accepted`, `duplicate` (its id was accepted before with the same content), or `refused` with the reason (an invalid event, another client\'s call, an id reused for another event); a refused event changes nothing and does not stop the others. A call\'s events are delivered in the order they appear. The body may be up to 4 MiB; each event up to MAX_BODY_BYTES.',
    tag: 'events',
    body: { schema: submitEventBatchSchema, required: true },
    responses: [{ status: 200, description: 'every event answered (check each result)', schema: batchAcceptedSchema }],
    errors: {
      400: 'the body is not `{ "events": [...] }` with 1 to 500 items',
      503: 'Postgres is unreachable, or the outbox is full (outbox_full): nothing was accepted; retry',
    },
  },
  {
    method: 'get',
    path: '/v1/events/{id}',
    operationId: 'getEvent',
    summary: 'An event and its deliveries, with every attempt',
    tag: 'events',
    params: eventIdParams,
    responses: [{ status: 200, description: 'the event', schema: eventDetailSchema }],
    errors: { 400: 'the id is not a valid event id', 404: "no such event (or it is another client's)" },
  },
  {
    method: 'get',
    path: '/v1/calls/{callId}/deliveries',
    operationId: 'listCallDeliveries',
    summary: "The call's delivery log, in order, with attempts",
    tag: 'calls',
    params: callIdParams,
    query: callDeliveriesQuery,
    responses: [{ status: 200, description: 'a page of the delivery log (empty for a call unknown to an admin key)', schema: callDeliveriesSchema }],
    errors: { 400: 'the callId is not valid', 404: "a client key: the call is unknown or another client's" },
  },
  {
    method: 'post',
    path: '/v1/calls/{callId}/redeliver',
    operationId: 'redeliverCall',
    summary: "Send a call's failed deliveries again",
    description: 'The call workflow sends them again in their original order; `endpointId` limits it to one endpoint.',
    tag: 'calls',
    params: callIdParams,
    body: { schema: redeliverCallBody, required: false },
    responses: [{ status: 202, description: 'the failed deliveries to send again (none: nothing was signalled)', schema: redeliverAcceptedSchema }],
    errors: { 404: "a client key: the call is unknown or another client's", 503: TEMPORAL_DOWN },
  },
  {
    method: 'delete',
    path: '/v1/calls/{callId}/content',
    operationId: 'eraseCallContent',
    summary: "Erase a call's content: its event bodies, what quotes them, and (with payload encryption) its Temporal history",
    description:
      "Removes the body of every event of the call from Postgres, and everything derived from it: validation errors, the attempts' response excerpts and error texts, the deliveries' last errors. The delivery log keeps ids, event types, times, status codes and statuses; the events show `body: null` and `erasedAt`. Deliveries still pending end as skipped (`the call's content was erased`), and the call's workflow is stopped: nothing more is sent. With PAYLOAD_ENCRYPTION_KEY the call's payloads in Temporal history were encrypted under a data key of its own, which is destroyed: the history no longer decodes anywhere (`history: crypto-shredded`); without it the history stays readable until the namespace's retention (`history: not-encrypted`). Idempotent: erasing again answers the same with every count 0. A client key may erase its own client's calls.",
    tag: 'calls',
    params: callIdParams,
    responses: [{ status: 200, description: 'erased: what this request removed', schema: callErasureSchema }],
    errors: {
      404: "the call has no event (or it is another client's)",
      503: "Postgres is unreachable (nothing was erased), or Temporal is (the content is erased in Postgres, the workflow not stopped yet): erase it again later",
    },
  },
  {
    method: 'post',
    path: '/v1/endpoints',
    operationId: 'createEndpoint',
    summary: 'Register an endpoint',
    description: 'The only response with the secret in full.',
    tag: 'endpoints',
    body: { schema: createEndpointSchema, required: true },
    responses: [{ status: 201, description: 'created', schema: createdEndpointSchema, headers: { location: 'the new endpoint: `/v1/endpoints/{id}`' } }],
    errors: { 403: OTHER_CLIENT, 409: 'the client has MAX_ENDPOINTS_PER_CLIENT endpoints already (limit_reached)' },
  },
  {
    method: 'get',
    path: '/v1/endpoints',
    operationId: 'listEndpoints',
    summary: 'List endpoints (cursor pagination)',
    tag: 'endpoints',
    query: listEndpointsQuery,
    responses: [{ status: 200, description: "a page of endpoints (a client key: its own client's only), secrets shown as hints", schema: endpointListSchema }],
    errors: { 403: OTHER_CLIENT },
  },
  {
    method: 'get',
    path: '/v1/endpoints/{id}',
    operationId: 'getEndpoint',
    summary: 'One endpoint (secrets shown as a hint)',
    tag: 'endpoints',
    params: endpointIdParams,
    responses: [{ status: 200, description: 'the endpoint', schema: endpointViewSchema }],
    errors: { 400: BAD_ENDPOINT_ID, 404: NO_ENDPOINT },
  },
  {
    method: 'patch',
    path: '/v1/endpoints/{id}',
    operationId: 'updateEndpoint',
    summary: 'Change url, email, events, auth, description, active or rateLimit',
    description: 'Changes apply from the next event on; a retry reads the endpoint afresh.',
    tag: 'endpoints',
    params: endpointIdParams,
    body: { schema: updateEndpointSchema, required: true },
    responses: [{ status: 200, description: 'the endpoint as changed', schema: endpointViewSchema }],
    errors: { 404: NO_ENDPOINT },
  },
  {
    method: 'delete',
    path: '/v1/endpoints/{id}',
    operationId: 'deleteEndpoint',
    summary: 'Delete an endpoint (its delivery log is kept)',
    tag: 'endpoints',
    params: endpointIdParams,
    responses: [{ status: 200, description: 'deleted', schema: endpointDeletedSchema }],
    errors: { 400: BAD_ENDPOINT_ID, 404: NO_ENDPOINT },
  },
  {
    method: 'post',
    path: '/v1/endpoints/{id}/rotate-secret',
    operationId: 'rotateEndpointSecret',
    summary: 'A new secret for an hmac or hmac-hex endpoint',
    description: 'The new secret is given in the body or generated, and returned in full here only. hmac: the old secret keeps signing beside it for HMAC_SECRET_OVERLAP.',
    tag: 'endpoints',
    params: endpointIdParams,
    body: { schema: rotateSecretBody, required: false },
    responses: [{ status: 200, description: 'rotated', schema: rotatedSecretSchema }],
    errors: { 404: NO_ENDPOINT, 409: 'the endpoint has no secret to rotate (auth is not hmac or hmac-hex)' },
  },
  {
    method: 'post',
    path: '/v1/endpoints/{id}/pause',
    operationId: 'pauseEndpoint',
    summary: 'Pause an endpoint: its deliveries wait, neither attempted nor failed, until it is resumed',
    description:
      'Idempotent: pausing a paused endpoint keeps the first pause (pausedAt, pausedBy). pausedBy is `api` when keys are not required, else `api-key:<key name>`. Attempts under way finish; the next ones wait.',
    tag: 'endpoints',
    params: endpointIdParams,
    body: { schema: endpointStateBody, required: false },
    responses: [{ status: 200, description: 'the endpoint, paused', schema: endpointViewSchema }],
    errors: { 404: NO_ENDPOINT },
  },
  {
    method: 'post',
    path: '/v1/endpoints/{id}/resume',
    operationId: 'resumeEndpoint',
    summary: 'Resume a paused endpoint: the deliveries that waited go, in order',
    description:
      'Idempotent: resuming an endpoint that is not paused changes nothing. The calls waiting for it are told at once; one not reached looks again on its own within minutes.',
    tag: 'endpoints',
    params: endpointIdParams,
    body: { schema: endpointStateBody, required: false },
    responses: [{ status: 200, description: 'the endpoint, no longer paused', schema: endpointViewSchema }],
    errors: { 404: NO_ENDPOINT },
  },
  {
    method: 'post',
    path: '/v1/endpoints/{id}/recover',
    operationId: 'recoverEndpoint',
    summary: "Send an endpoint's failed deliveries in a time range again",
    tag: 'endpoints',
    params: endpointIdParams,
    description:
      'Answers at once: a recovery workflow (`recover-<endpointId>-…`, visible in the Temporal UI) asks each call with failed deliveries in [since, until) to send them again, 100 calls at a time; each call resends them in its original order.',
    body: { schema: recoverBody, required: true },
    responses: [{ status: 202, description: 'what the range holds, and the recovery workflow started for it', schema: recoverAcceptedSchema }],
    errors: { 404: NO_ENDPOINT, 503: TEMPORAL_DOWN },
  },
  {
    method: 'post',
    path: '/v1/endpoints/{id}/test',
    operationId: 'testEndpoint',
    summary: 'Send a WEBHOOK_TEST event (or a catalog type\'s example) to this endpoint and wait for the first attempt',
    description:
      'With `{ "eventType": "X" }`, sends the example body of type X from the catalog instead, as a test: to this endpoint only (whatever it subscribes to, even paused or disabled), in a call whose id starts with `webhook-test-`, with `data.clientId` the endpoint\'s client.',
    tag: 'endpoints',
    params: endpointIdParams,
    body: { schema: testEndpointBody, required: false },
    responses: [{ status: 200, description: "the first attempt's outcome", schema: testResultSchema }],
    errors: { 400: BAD_ENDPOINT_ID, 404: NO_ENDPOINT, 503: TEMPORAL_DOWN, 504: 'no attempt finished in time; the event id is in the message' },
  },
  {
    method: 'post',
    path: '/v1/endpoints/{id}/test-filter',
    operationId: 'testEndpointFilter',
    summary: 'Evaluate a filter (the endpoint\'s own, or one given) against a sample event or a catalog type\'s example; nothing is sent',
    tag: 'endpoints',
    params: endpointIdParams,
    body: { schema: testFilterBody, required: true },
    responses: [{ status: 200, description: 'whether the event matches, and why', schema: filterMatchSchema }],
    errors: { 400: 'a bad filter (the path names the operator or path) or event', 404: NO_ENDPOINT },
  },
  {
    method: 'get',
    path: '/v1/endpoints/{id}/deliveries',
    operationId: 'listEndpointDeliveries',
    summary: "The endpoint's delivery log, filtered (cursor pagination)",
    tag: 'endpoints',
    params: endpointIdParams,
    query: endpointDeliveriesQuery,
    responses: [{ status: 200, description: 'a page of the delivery log', schema: deliveryPageSchema }],
    errors: { 404: NO_ENDPOINT },
  },
  {
    method: 'post',
    path: '/v1/deliveries/{id}/retry',
    operationId: 'retryDelivery',
    summary: 'Send one failed or skipped delivery again',
    tag: 'deliveries',
    params: deliveryIdParams,
    responses: [{ status: 202, description: 'the call workflow was signalled', schema: retryAcceptedSchema }],
    errors: {
      400: 'the id is not a delivery id',
      404: "no such delivery (or it is another client's)",
      409: "the delivery is pending or succeeded, or its call's content was erased",
      503: TEMPORAL_DOWN,
    },
  },
  {
    method: 'get',
    path: '/v1/event-types',
    operationId: 'listEventTypes',
    summary: 'The event catalog: every type with its description, body schema and example',
    description: 'Built-in types first, then the types an admin registered. Client keys see the types in use (archived ones are left out).',
    tag: 'event types',
    responses: [{ status: 200, description: 'every event type', schema: eventTypeCatalogSchema }],
  },
  {
    method: 'get',
    path: '/v1/event-types/{name}',
    operationId: 'getEventType',
    summary: 'One event type, with its JSON Schema and example body',
    tag: 'event types',
    params: eventTypeNameParams,
    responses: [{ status: 200, description: 'the type', schema: eventTypeSchema }],
    errors: { 400: 'not an event type name', 404: 'no such type (or archived, for a client key)' },
  },
  {
    method: 'post',
    path: '/v1/event-types',
    operationId: 'createEventType',
    summary: 'Register an event type (admin keys only)',
    description:
      'Takes effect in every API process within 5 s. `schema` is a JSON Schema (draft 2020-12) of the event `body`; `example` must validate against it. `validation` says what intake does with a body the schema refuses: `off` (nothing), `warn` (accepted; the event and the delivery log say what failed), `enforce` (422 with each problem\'s JSON pointer; nothing stored).',
    tag: 'event types',
    body: { schema: createEventTypeBody, required: true },
    responses: [{ status: 201, description: 'registered', schema: eventTypeSchema, headers: { location: 'the type: `/v1/event-types/{name}`' } }],
    errors: { 400: 'an invalid body, schema (invalid_schema) or example (invalid_example, with pointers)', 403: ADMIN_ONLY, 409: 'the name is taken (event_type_exists)' },
  },
  {
    method: 'patch',
    path: '/v1/event-types/{name}',
    operationId: 'updateEventType',
    summary: 'Change a registered event type (admin keys only)',
    description: 'Any of description, schema, example, validation and status; a new schema or example is checked as at registration. `status: archived` is refused while endpoints subscribe to the type, unless `?force=true`.',
    tag: 'event types',
    params: eventTypeNameParams,
    body: { schema: patchEventTypeBody, required: true },
    responses: [{ status: 200, description: 'the type as it is now', schema: eventTypeSchema }],
    errors: { 400: 'an invalid body, schema or example', 403: ADMIN_ONLY, 404: 'no such type', 409: 'a built-in type (builtin_event_type), or in use (event_type_in_use)' },
  },
  {
    method: 'delete',
    path: '/v1/event-types/{name}',
    operationId: 'archiveEventType',
    summary: 'Archive a registered event type (admin keys only)',
    description: 'New events of it are refused and endpoints can no longer subscribe to it; past events and their deliveries stay. Refused while endpoints subscribe to it by name, unless `?force=true`.',
    tag: 'event types',
    params: eventTypeNameParams,
    query: archiveEventTypeQuery,
    responses: [{ status: 200, description: 'the archived type', schema: eventTypeSchema }],
    errors: { 403: ADMIN_ONLY, 404: 'no such type', 409: 'a built-in type (builtin_event_type), or in use (event_type_in_use)' },
  },
  {
    method: 'get',
    path: '/v1/signing-key',
    operationId: 'getSigningKey',
    summary: 'The current RSA public key, as PEM',
    tag: 'signing keys',
    responses: [
      { status: 200, description: 'the public key', text: 'application/x-pem-file', headers: { 'x-recho-key-id': 'the key id, as in signed requests' } },
    ],
  },
  {
    method: 'get',
    path: '/v1/signing-keys',
    operationId: 'listSigningKeys',
    summary: 'Every published public key: the current one and those rotated out but within their overlap',
    tag: 'signing keys',
    responses: [{ status: 200, description: 'the published keys', schema: signingKeyListSchema }],
  },
  {
    method: 'post',
    path: '/v1/signing-keys/rotate',
    operationId: 'rotateSigningKey',
    summary: 'A new current signing key (generated keys only)',
    tag: 'signing keys',
    responses: [{ status: 201, description: 'the new current key', schema: publishedSigningKeySchema }],
    errors: { 403: ADMIN_ONLY, 409: 'the key comes from SIGNING_KEY_PEM / SIGNING_KEY_FILE: rotate it there' },
  },
  {
    method: 'post',
    path: '/v1/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key (admin keys only)',
    description: 'A client key acts for one clientId; an admin key for every client. The key is in this response only.',
    tag: 'api keys',
    body: { schema: createApiKeySchema, required: true },
    responses: [{ status: 201, description: 'created', schema: createdApiKeySchema, headers: { location: 'the new key: `/v1/api-keys/{id}`' } }],
    errors: { 403: ADMIN_ONLY },
  },
  {
    method: 'get',
    path: '/v1/api-keys',
    operationId: 'listApiKeys',
    summary: 'List API keys, without the keys (admin keys only)',
    tag: 'api keys',
    query: listApiKeysQuery,
    responses: [{ status: 200, description: 'a page of keys', schema: apiKeyListSchema }],
    errors: { 403: ADMIN_ONLY },
  },
  {
    method: 'delete',
    path: '/v1/api-keys/{id}',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key (admin keys only)',
    description: 'At once on the API process that answers; within 5 s on other API processes (their key cache).',
    tag: 'api keys',
    params: apiKeyIdParams,
    responses: [{ status: 200, description: 'the revoked key', schema: apiKeySchema }],
    errors: { 403: ADMIN_ONLY, 404: 'no such key' },
  },
  {
    method: 'post',
    path: '/v1/portal-links',
    operationId: 'createPortalLink',
    summary: 'Create a portal link: the Webhooks page as one client, with no API key (admin keys only)',
    description:
      'The `url` opens the page as the client (the token rides in its fragment: it reaches no server log and no Referer). The `token` also works as `Authorization: Bearer <token>` on /v1, exactly as a client key of that client: `read` links can read everything and change nothing (403 read_only_link), `manage` links can do what a client key can. The link stops working when it expires (401 portal_link_expired) or is revoked.',
    tag: 'portal links',
    body: { schema: createPortalLinkBody, required: true },
    responses: [{ status: 201, description: 'created; the token is in this response only', schema: createdPortalLinkSchema, headers: { location: 'the link: `/v1/portal-links/{id}`' } }],
    errors: { 403: ADMIN_ONLY },
  },
  {
    method: 'get',
    path: '/v1/portal-links',
    operationId: 'listPortalLinks',
    summary: 'The portal links that still work (admin keys only)',
    tag: 'portal links',
    query: listPortalLinksQuery,
    responses: [{ status: 200, description: 'live links, newest first, without their tokens', schema: portalLinkListSchema }],
    errors: { 403: ADMIN_ONLY },
  },
  {
    method: 'delete',
    path: '/v1/portal-links/{id}',
    operationId: 'revokePortalLink',
    summary: 'Revoke a portal link (admin keys only)',
    description: 'At once on the API process that answers; within 5 s on the others.',
    tag: 'portal links',
    params: portalLinkIdParams,
    responses: [{ status: 200, description: 'the revoked link', schema: portalLinkSchema }],
    errors: { 403: ADMIN_ONLY, 404: 'no such link' },
  },
  // ---- for the Webhooks page (served at `/`, not part of this document)
  {
    method: 'get',
    path: '/v1/me',
    operationId: 'getPrincipal',
    summary: 'Who the API key acts as, and whether keys are required',
    description: 'With AUTH=off every request acts as an admin (`authRequired: false`).',
    tag: 'api keys',
    responses: [{ status: 200, description: 'the key\'s role and client', schema: principalViewSchema }],
  },
  {
    method: 'get',
    path: '/v1/calls/{callId}',
    operationId: 'getCall',
    summary: "A call: a page of its events in order, their deliveries, and its workflow in the Temporal Web UI",
    tag: 'calls',
    params: callIdParams,
    query: callViewQuery,
    responses: [{ status: 200, description: 'the call', schema: callViewSchema }],
    errors: { 404: "the call has no event (or it is another client's)" },
  },
  {
    method: 'get',
    path: '/v1/endpoints/{id}/health',
    operationId: 'getEndpointHealth',
    summary: "An endpoint's attempts per hour (succeeded, failed, p50/p95 duration), failed deliveries waiting, latest delivery, circuit breaker state",
    tag: 'endpoints',
    params: endpointIdParams,
    query: endpointHealthQuery,
    responses: [{ status: 200, description: 'the endpoint\'s health', schema: endpointHealthSchema }],
    errors: { 404: NO_ENDPOINT },
  },
  {
    method: 'get',
    path: '/v1/endpoint-health',
    operationId: 'listEndpointHealth',
    summary: 'The health of a page of endpoints, paged as GET /v1/endpoints pages them',
    tag: 'endpoints',
    query: endpointHealthListQuery,
    responses: [{ status: 200, description: "a page of endpoints' health (a client key: its own client's only)", schema: endpointHealthListSchema }],
    errors: { 403: OTHER_CLIENT },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'liveness',
    summary: 'Liveness',
    tag: 'system',
    responses: [{ status: 200, description: 'the process answers', schema: healthSchema }],
  },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readiness',
    summary: 'Readiness: Postgres and Temporal answer',
    tag: 'system',
    responses: [
      { status: 200, description: 'ready', schema: readinessSchema },
      { status: 503, description: 'Postgres or Temporal does not answer', schema: readinessSchema },
    ],
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics (and the Temporal SDK worker metrics when configured)',
    tag: 'system',
    responses: [{ status: 200, description: 'Prometheus text exposition format', text: 'text/plain' }],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    tag: 'system',
    responses: [{ status: 200, description: 'the OpenAPI 3.0.3 document', schema: openApiDocumentShape }],
  },
];

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'invalid input: every bad field named in `details` (invalid_request)',
  401: 'keys are required and the request has no valid `Authorization: Bearer <key>` (unauthorized)',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  413: 'the body is larger than MAX_BODY_BYTES (payload_too_large)',
  422: 'the request is well formed but cannot be taken (the code says why)',
  415: 'the body is not application/json (unsupported_media_type)',
  429: "the key's rate limit is reached (rate_limited); retry after `Retry-After` seconds",
  500: 'internal error (internal); see the server log',
  503: 'Temporal is unreachable',
  504: 'timed out',
};

export interface OpenApiDocument {
  openapi: '3.0.3';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

/** The /v1 routes need an API key when API_KEYS is set (src/api/api-keys.ts). */
const isGuarded = (path: string) => path.startsWith('/v1/');

const SCHEMA_REF = '#/components/schemas/';
const options = (io: 'input' | 'output') => ({ target: 'openapi-3.0' as const, io, unrepresentable: 'any' as const });

function components(named: Record<string, z.ZodType>, io: 'input' | 'output'): { refs: Map<z.ZodType, string>; schemas: Record<string, JsonSchema> } {
  const registry = z.registry<{ id: string }>();
  const refs = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries(named)) {
    registry.add(schema, { id });
    refs.set(schema, id);
  }
  const { schemas } = z.toJSONSchema(registry, { ...options(io), uri: (id) => `${SCHEMA_REF}${id}` });
  // `$id` is JSON Schema, not an OpenAPI 3.0 schema object keyword.
  const cleaned = Object.fromEntries(Object.entries(schemas).map(([id, { $id: _id, $schema: _s, ...schema }]) => [id, schema as JsonSchema]));
  return { refs, schemas: cleaned };
}

function parameters(schema: z.ZodObject, where: 'path' | 'query'): JsonSchema[] {
  const json = z.toJSONSchema(schema, options('input')) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, { description, ...propertySchema }]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(typeof description === 'string' && { description }),
    schema: propertySchema,
  }));
}

function buildOpenApiDocument(): OpenApiDocument {
  const requests = components(requestSchemas, 'input');
  const responses = components(responseSchemas, 'output');
  const clash = Object.keys(requests.schemas).filter((id) => id in responses.schemas);
  if (clash.length > 0) throw new Error(`component names used for a request and a response schema: ${clash.join(', ')}`);
  const refOrInline = (schema: z.ZodType, { refs }: { refs: Map<z.ZodType, string> }, io: 'input' | 'output'): JsonSchema => {
    const id = refs.get(schema);
    return id ? { $ref: `${SCHEMA_REF}${id}` } : (z.toJSONSchema(schema, options(io)) as JsonSchema);
  };
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: `${SCHEMA_REF}Error` } } },
  });

  const paths: OpenApiDocument['paths'] = {};
  for (const op of operations) {
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is registered twice`);
    const documented: Record<string, unknown> = {};
    for (const r of op.responses) {
      documented[r.status] = {
        description: r.description,
        ...(r.headers && {
          headers: Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])),
        }),
        ...(r.schema && { content: { 'application/json': { schema: refOrInline(r.schema, responses, 'output') } } }),
        ...(r.text && { content: { [r.text]: { schema: { type: 'string' } } } }),
      };
    }
    const errors: Partial<Record<ErrorStatus, string>> = {
      // A /v1 route that takes no body still reads one that is sent: it must be JSON and fit MAX_BODY_BYTES.
      ...(isGuarded(op.path) &&
        !op.body && {
          400: `${op.params || op.query ? `${ERROR_DESCRIPTIONS[400]}, or` : 'a'} body was sent that is not valid JSON (invalid_json)`,
          413: ERROR_DESCRIPTIONS[413],
          415: ERROR_DESCRIPTIONS[415],
        }),
      ...(!isGuarded(op.path) && (op.params || op.query) && { 400: ERROR_DESCRIPTIONS[400] }),
      ...(op.body && {
        400: `${ERROR_DESCRIPTIONS[400]}, or the body is not valid JSON (invalid_json)`,
        413: ERROR_DESCRIPTIONS[413],
        415: ERROR_DESCRIPTIONS[415],
      }),
      ...op.errors,
      ...(isGuarded(op.path) && { 401: ERROR_DESCRIPTIONS[401], 429: ERROR_DESCRIPTIONS[429] }),
      500: ERROR_DESCRIPTIONS[500],
    };
    for (const [status, description] of Object.entries(errors)) documented[status] = errorResponse(description);
    item[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description && { description: op.description }),
      tags: [op.tag],
      ...(isGuarded(op.path) && { security: [{ apiKey: [] }] }),
      ...((op.params || op.query) && {
        parameters: [...(op.params ? parameters(op.params, 'path') : []), ...(op.query ? parameters(op.query, 'query') : [])],
      }),
      ...(op.body && {
        requestBody: {
          required: op.body.required,
          content: { 'application/json': { schema: refOrInline(op.body.schema, requests, 'input') } },
        },
      }),
      responses: Object.fromEntries(Object.entries(documented).sort(([a], [b]) => Number(a) - Number(b))),
    };
  }

  return {
    openapi: '3.0.3',
    info: {
      title: 'callhook',
      version: CALLHOOK_VERSION,
      description:
        'Webhook delivery for voice-AI call platforms, built on Temporal. Errors are `{ "error": { "code", "message", "details" } }`. Generated from the zod schemas the API validates with.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...requests.schemas, ...responses.schemas },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'One of API_KEYS; required on /v1 routes when API_KEYS is set' },
      },
    },
  };
}

let cached: { document: OpenApiDocument; json: string } | undefined;

/** The document, built on first use and kept: the schemas do not change while the process runs. */
export function openApiDocument(): OpenApiDocument {
  cached ??= (() => {
    const document = buildOpenApiDocument();
    return { document, json: JSON.stringify(document) };
  })();
  return cached.document;
}

/** The document as served: serialized once. */
export function openApiJson(): string {
  openApiDocument();
  return cached!.json;
}
