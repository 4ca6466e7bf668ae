/**
 * `GET /openapi.json`: the API's OpenAPI 3.0.3 document, built from the route definitions
 * (src/api/routes/index.ts lists them; each declares its own method, path, docs, the zod schemas
 * its handler parses path parameters, query and body with, and its response schemas from
 * src/schemas/responses.ts), by zod's own `z.toJSONSchema`. This module adds what every route
 * shares: the components' names, the errors every route, body or admin route may answer, and
 * the security of the /v1 routes.
 */
import { z } from 'zod';
import { CALLHOOK_VERSION } from '../process/version';
import { submitEventBatchSchema, submitEventSchema } from '../schemas/call-event';
import { createEndpointSchema, updateEndpointSchema } from '../schemas/endpoint';
import { createApiKeySchema } from '../schemas/api-key';
import { createPortalLinkBody, createdPortalLinkSchema, portalLinkListSchema, portalLinkSchema } from '../schemas/portal-link';
import { createEventTypeBody, eventTypeSchema, patchEventTypeBody } from '../schemas/event-type';
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
import { isGuarded, type ErrorStatus } from './route';
import { API_ROUTES } from './routes/index';
import { endpointStateBody, rotateSecretBody } from './routes/endpoints';
import { filterMatchSchema, recoverBody, redeliverCallBody, testEndpointBody, testFilterBody } from './routes/operations';

type JsonSchema = Record<string, unknown>;

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

/** The 403 of every admin route (`admin: true`): client keys are refused before the request is read. */
const ADMIN_ONLY = 'a client key: this needs an admin key (forbidden)';

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

/** A type alias, not an interface: only an alias is assignable to the index-signed type of openApiDocumentSchema, which GET /openapi.json answers with. */
export type OpenApiDocument = {
  openapi: '3.0.3';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
};

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
  for (const op of API_ROUTES) {
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
      ...(op.admin && { 403: ADMIN_ONLY }),
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
    tags: [...new Set(API_ROUTES.map((op) => op.tag))].map((name) => ({ name })),
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

/** The document serialized, once: the bytes GET /openapi.json answers with (its route's `res.json` writes the same). */
export function openApiJson(): string {
  openApiDocument();
  return cached!.json;
}
