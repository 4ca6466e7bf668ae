/**
 * GET /openapi.json: a valid OpenAPI 3.0 document, documenting exactly the routes Express
 * answers, generated from the schemas the handlers validate with — so the document accepts and
 * rejects what the API accepts and rejects, and the API's answers match the documented responses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import packageJson from '../package.json';
import { createApp } from '../src/api/app';
import { PortalTokens } from '../src/auth/portal-tokens';
import { KeyRing } from '../src/crypto/key-ring';
import { openApiDocument, openApiJson } from '../src/api/openapi';
import { API_ROUTES } from '../src/api/routes/index';
import type { Pool } from '../src/db/pool';
import type { SigningKeyRing } from '../src/destinations/signing/signing-keys';
import { EVENT_TYPE_NAME_PATTERN } from '../src/schemas/call-event';
import { endpointKindSchema } from '../src/schemas/endpoint';
import { Harness, ended, type ApiResponse } from './helpers/harness';
import { Receiver } from './helpers/receiver';

type Json = Record<string, any>;

/** Every route of the app, by hand: a route added without documenting it fails below. */
const ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /v1/event-types',
  'GET /v1/event-types/{name}',
  'POST /v1/event-types',
  'PATCH /v1/event-types/{name}',
  'DELETE /v1/event-types/{name}',
  'POST /v1/events',
  'POST /v1/events/batch',
  'GET /v1/events/{id}',
  'GET /v1/calls/{callId}/deliveries',
  'POST /v1/calls/{callId}/redeliver',
  'DELETE /v1/calls/{callId}/content',
  'POST /v1/endpoints',
  'GET /v1/endpoints',
  'GET /v1/endpoints/{id}',
  'PATCH /v1/endpoints/{id}',
  'DELETE /v1/endpoints/{id}',
  'POST /v1/endpoints/{id}/rotate-secret',
  'POST /v1/endpoints/{id}/pause',
  'POST /v1/endpoints/{id}/resume',
  'POST /v1/endpoints/{id}/recover',
  'POST /v1/endpoints/{id}/test',
  'POST /v1/endpoints/{id}/test-filter',
  'GET /v1/endpoints/{id}/deliveries',
  'POST /v1/deliveries/{id}/retry',
  'GET /v1/signing-key',
  'GET /v1/signing-keys',
  'POST /v1/signing-keys/rotate',
  'POST /v1/api-keys',
  'GET /v1/api-keys',
  'DELETE /v1/api-keys/{id}',
  'POST /v1/portal-links',
  'GET /v1/portal-links',
  'DELETE /v1/portal-links/{id}',
  'GET /v1/me',
  'GET /v1/calls/{callId}',
  'GET /v1/endpoints/{id}/health',
  'GET /v1/endpoint-health',
].sort();

/**
 * The Webhooks page's own routes: its HTML and its assets. Express answers them, but they are a
 * web page, not the API, so the document leaves them out (test/webhooks-page.test.ts covers them).
 */
const PAGE_ROUTES = ['GET /', 'GET /ui/{file}'];

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function documentedRoutes(doc: Json): string[] {
  return Object.entries(doc.paths as Record<string, Json>)
    .flatMap(([path, item]) => Object.keys(item).filter((m) => HTTP_METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

interface LayerLike {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: LayerLike[] };
}

/** The routes Express answers, read from the router's layers (mount path + route path). */
function expressRoutes(stack: LayerLike[], prefix = ''): string[] {
  const join = (a: string, b: string) => `${a}/${b}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return stack.flatMap((layer) => {
    const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '';
    if (layer.route) {
      const path = join(prefix, layer.route.path).replace(/:(\w+)/g, '{$1}');
      return Object.keys(layer.route.methods)
        .filter((m) => layer.route!.methods[m] && m !== '_all')
        .map((m) => `${m.toUpperCase()} ${path}`);
    }
    return Array.isArray(layer.handle.stack) ? expressRoutes(layer.handle.stack, join(prefix, mount)) : [];
  });
}

/** Every `$ref` in the document. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) => (key === '$ref' && typeof v === 'string' ? [v] : refs(v)));
  }
  return [];
}

describe('the document', () => {
  const doc = openApiDocument() as unknown as Json;

  test('is valid OpenAPI 3.0 (@seriousme/openapi-schema-validator)', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
    assert.equal(validator.version, '3.0');
    // The validator does catch a broken document.
    const broken = structuredClone(doc);
    broken.paths['/healthz'].get.responses = { 200: { content: {} } };
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  test('has the info, servers and components asked for', () => {
    assert.equal(doc.openapi, '3.0.3');
    assert.deepEqual(doc.info.title, 'callhook');
    assert.equal(doc.info.version, packageJson.version);
    assert.deepEqual(doc.servers, [{ url: '/' }]);
    for (const name of ['Error', 'Endpoint', 'CreatedEndpoint', 'EndpointList', 'DeliveryLogEntry', 'AcceptedEvent', 'TestResult', 'SubmitEvent', 'CreateEndpoint']) {
      assert.ok(doc.components.schemas[name], `components.schemas.${name}`);
    }
    // No JSON Schema keywords that OpenAPI 3.0 schema objects lack.
    const text = JSON.stringify(doc);
    for (const keyword of ['"$id"', '"$schema"', '"$defs"', '"const"', '"prefixItems"']) assert.ok(!text.includes(keyword), keyword);
  });

  test('every $ref resolves, and every component is used', () => {
    const used = refs(doc);
    assert.ok(used.length > 20);
    const names = new Set(Object.keys(doc.components.schemas));
    for (const ref of used) {
      const name = ref.replace('#/components/schemas/', '');
      assert.ok(ref.startsWith('#/components/schemas/') && names.has(name), `unresolved ${ref}`);
    }
    for (const name of names) assert.ok(used.includes(`#/components/schemas/${name}`), `${name} is never referenced`);
  });

  test('documents exactly the routes the Express app answers', () => {
    const app = createApp({
      portal: { tokens: new PortalTokens(KeyRing.parse(KeyRing.generateText('k'))) },
      pool: {} as Pool,
      temporal: {} as Client,
      taskQueue: 'unused',
      allowHttpUrls: false,
      maxBodyBytes: 1024,
      signingKeys: {} as SigningKeyRing,
      hmacSecretOverlapMs: 0,
    });
    const all = expressRoutes((app as unknown as { router: { stack: LayerLike[] } }).router.stack).sort();
    for (const route of PAGE_ROUTES) assert.ok(all.includes(route), `the page route ${route} is routed`);
    const routed = all.filter((route) => !PAGE_ROUTES.includes(route));
    assert.deepEqual(routed, ROUTES);
    assert.deepEqual(documentedRoutes(doc), ROUTES);
    // The app and the document are both built from these definitions: a route answered outside them, or one left out of them, fails above.
    assert.deepEqual(API_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort(), ROUTES);
  });

  test('error responses share the error envelope; non-2xx statuses are only 4xx/5xx', () => {
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses).map(Number);
        assert.ok(statuses.some((s) => s >= 200 && s < 300), `${method} ${path} has no 2xx`);
        assert.ok(statuses.includes(500), `${method} ${path} lacks 500`);
        if (op.requestBody) for (const s of [400, 413, 415]) assert.ok(statuses.includes(s), `${method} ${path} takes a body: lacks ${s}`);
        if (op.parameters?.length) assert.ok(statuses.includes(400), `${method} ${path} has parameters: lacks 400`);
        for (const status of statuses.filter((s) => s >= 400 && !(path === '/readyz' && s === 503))) {
          assert.deepEqual(op.responses[status].content, { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } }, `${method} ${path} ${status}`);
        }
      }
    }
  });

  test('is built once and served as is', () => {
    assert.equal(openApiDocument(), openApiDocument());
    assert.equal(openApiJson(), openApiJson());
    assert.deepEqual(JSON.parse(openApiJson()), openApiDocument());
  });

  test('enums and patterns come from the zod schemas', () => {
    const submit = doc.components.schemas.SubmitEvent;
    // Which types intake takes is the catalog's to say (GET /v1/event-types); the document gives their form.
    assert.equal(submit.properties.eventType.pattern, EVENT_TYPE_NAME_PATTERN.source);
    assert.deepEqual(doc.components.schemas.CreateEndpoint.properties.kind.enum, endpointKindSchema.options);
    assert.equal(doc.components.schemas.EventType.properties.name.pattern, EVENT_TYPE_NAME_PATTERN.source);
  });
});

describe('against the running API', () => {
  let h: Harness;
  const doc = JSON.parse(openApiJson()) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: doc.components });
  const queryAjv = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
  addFormats(queryAjv);

  const compile = (schema: Json): ValidateFunction =>
    ajv.compile(typeof schema.$ref === 'string' ? { $ref: `openapi.json${schema.$ref}` } : schema);

  function operation(method: string, template: string): Json {
    const op = doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not documented`);
    return op;
  }

  /** Whether the documented request body schema accepts `body`. */
  function documentedBodyAccepts(method: string, template: string, body: unknown): boolean {
    return compile(operation(method, template).requestBody.content['application/json'].schema)(body);
  }

  /** Whether the documented query parameters (and no others) accept `query`. */
  function documentedQueryAccepts(method: string, template: string, query: Record<string, string>): boolean {
    const params = (operation(method, template).parameters as Json[]).filter((p) => p.in === 'query');
    const schema = {
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema])),
      required: params.filter((p) => p.required).map((p) => p.name),
      additionalProperties: false,
    };
    return queryAjv.validate(schema, { ...query });
  }

  /** The response's status is documented for the operation, and its body matches the documented schema. */
  function assertConforms(method: string, template: string, response: ApiResponse): void {
    const documented = operation(method, template).responses[String(response.status)];
    assert.ok(documented, `${method} ${template} answered ${response.status}, which is not documented: ${JSON.stringify(response.body)}`);
    const [mediaType, content] = Object.entries(documented.content as Record<string, Json>)[0]!;
    assert.ok((response.headers.get('content-type') ?? '').startsWith(mediaType), `${method} ${template}: ${response.headers.get('content-type')} is not ${mediaType}`);
    if (mediaType === 'application/json') {
      const validate = compile(content.schema);
      assert.ok(validate(response.body), `${method} ${template} ${response.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(response.body)}`);
    } else {
      assert.equal(content.schema.type, 'string');
      assert.ok(typeof response.body === 'string' && response.body.length > 0);
    }
  }

  /** Like `h.api`, but a body that is not JSON (metrics, PEM) is kept as text. */
  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${h.baseUrl}${path}`, init);
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: response.status, headers: response.headers, body: json && text ? JSON.parse(text) : text };
  }

  async function call(method: string, template: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    const response = await api(method, path, body, headers);
    assertConforms(method, template, response);
    return response;
  }

  /** The API and the document agree on `body`: both accept it, or both reject it. */
  async function agreeOnBody(method: string, template: string, path: string, body: unknown, valid: boolean): Promise<ApiResponse> {
    const what = `${method} ${path} ${JSON.stringify(body)}`;
    assert.equal(documentedBodyAccepts(method, template, JSON.parse(JSON.stringify(body))), valid, `the document ${valid ? 'rejects' : 'accepts'} ${what}`);
    const response = await call(method, template, path, body);
    const refused = response.status === 400 && response.body.error.code === 'invalid_request';
    assert.equal(!refused, valid, `the API ${valid ? 'refuses' : 'accepts'} ${what}: ${response.status} ${JSON.stringify(response.body)}`);
    return response;
  }

  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    await h?.stop();
  });

  test('GET /openapi.json serves the document', async () => {
    const response = await call('GET', '/openapi.json', '/openapi.json');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, openApiDocument());
  });

  test('every documented operation is routed (not the unknown-route 404)', async () => {
    const isUnknownRoute = (r: ApiResponse) => r.status === 404 && /^no route for /.test(r.body?.error?.message ?? '');
    // The check can fail: an undocumented path gets the unknown-route 404.
    assert.ok(isUnknownRoute(await api('GET', '/v1/nothing-here')));
    assert.ok(isUnknownRoute(await api('PUT', '/v1/endpoints')));
    for (const op of API_ROUTES) {
      // Ids that fail validation: nothing is changed, except a signing key rotation.
      const path = op.path.replace(/\{(\w+)\}/g, 'not a valid id');
      const response = await api(op.method.toUpperCase(), encodeURI(path));
      assert.ok(!isUnknownRoute(response), `${op.method.toUpperCase()} ${op.path} is documented but not routed`);
      assertConforms(op.method, op.path, response);
    }
  });

  test('POST /v1/endpoints: the documented body schema accepts and rejects what the API does', async () => {
    const valid = { clientId: 'oa-client-1', kind: 'custom', url: 'https://example.com/hook', events: ['*'], auth: { type: 'bearer', token: 'a-long-token' } };
    const created = await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', valid, true);
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.auth, { type: 'bearer', token: 'a-long-token' });

    const badKind = await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, kind: 'ftp' }, false);
    assert.ok(badKind.body.error.details.some((d: Json) => d.path === 'body.kind'));
    assert.ok(!doc.components.schemas.CreateEndpoint.properties.kind.enum.includes('ftp'));

    await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, colour: 'red' }, false);
    await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, events: ['not a type'] }, false);
    // Which types exist is the catalog's (it changes at run time): the document gives their form, the API checks the rest.
    for (const events of [['NOT_A_TYPE'], ['WEBHOOK_TEST']]) {
      const refused = await api('POST', '/v1/endpoints', { ...valid, events });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.error.details.map((d: Json) => d.path), ['body.events.0']);
    }
    await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, clientId: undefined }, false);
    await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, auth: { type: 'bearer', token: 'short' } }, false);
    await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, auth: { type: 'magic' } }, false);
    await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, active: 'yes' }, false);
    await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, kind: 'email', url: undefined, email: 'not an email' }, false);
    const hmac = await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, auth: { type: 'hmac' } }, true);
    assert.equal(hmac.body.auth.type, 'hmac');
    const email = await agreeOnBody('POST', '/v1/endpoints', '/v1/endpoints', { ...valid, kind: 'email', url: undefined, auth: undefined, email: 'ops@example.com' }, true);
    assert.equal(email.status, 201);

    // PATCH: the update schema.
    const path = `/v1/endpoints/${created.body.id}`;
    await agreeOnBody('PATCH', '/v1/endpoints/{id}', path, { active: 'yes' }, false);
    await agreeOnBody('PATCH', '/v1/endpoints/{id}', path, { kind: 'slack' }, false);
    await agreeOnBody('PATCH', '/v1/endpoints/{id}', path, { events: [] }, false);
    const patched = await agreeOnBody('PATCH', '/v1/endpoints/{id}', path, { description: null, active: false }, true);
    assert.equal(patched.status, 200);
    assert.equal(patched.body.active, false);
    assert.equal(patched.body.auth.tokenHint, '…ken', 'at most a quarter of a 12-character token');
  });

  test('POST /v1/events: the documented body schema accepts and rejects what the API does', async () => {
    const valid = {
      eventType: 'OUTBOUND_CALL_CALLING',
      body: { data: { callId: `oa-call-${Date.now()}`, clientId: 'oa-nobody', anything: 'else' }, errors: [{ code: 'E', message: 'm' }] },
    };
    const accepted = await agreeOnBody('POST', '/v1/events', '/v1/events', valid, true);
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body.callId, valid.body.data.callId);
    await agreeOnBody('POST', '/v1/events', '/v1/events', { ...valid, eventType: 'call started' }, false);
    // The catalog's refusals (a type it does not have, callhook's own) are documented as 422.
    for (const eventType of ['WEBHOOK_TEST', 'CALL_STARTED']) {
      const refused = await api('POST', '/v1/events', { ...valid, eventType });
      assert.equal(refused.status, 422);
      assertConforms('post', '/v1/events', refused);
    }
    await agreeOnBody('POST', '/v1/events', '/v1/events', { ...valid, body: { data: { ...valid.body.data, callId: 'has space' } } }, false);
    await agreeOnBody('POST', '/v1/events', '/v1/events', { ...valid, body: { data: valid.body.data, errors: [{ message: 'no code' }] } }, false);
    await agreeOnBody('POST', '/v1/events', '/v1/events', { ...valid, body: { data: valid.body.data, extra: 1 } }, false);
    await agreeOnBody('POST', '/v1/events', '/v1/events', { ...valid, occurredAt: 'yesterday' }, false);
    await agreeOnBody('POST', '/v1/events', '/v1/events', { ...valid, id: 'bad id!' }, false);
    await agreeOnBody('POST', '/v1/events', '/v1/events', { ...valid, surplus: true }, false);

    // Every type of the catalog has the documented form (the document cannot list them: admins add types at run time).
    const catalog = await call('GET', '/v1/event-types', '/v1/event-types');
    const pattern = new RegExp(doc.components.schemas.SubmitEvent.properties.eventType.pattern);
    for (const type of catalog.body.data) assert.match(type.name, pattern);
  });

  test('query parameters: the documented ones accept and reject what the API does', async () => {
    const cases: [Record<string, string>, boolean][] = [
      [{ limit: '5' }, true],
      [{ clientId: 'oa-client-1', limit: '200' }, true],
      [{ limit: '0' }, false],
      [{ limit: '201' }, false],
      [{ limit: 'many' }, false],
      [{ colour: 'red' }, false],
    ];
    for (const [query, valid] of cases) {
      assert.equal(documentedQueryAccepts('GET', '/v1/endpoints', query), valid, JSON.stringify(query));
      const response = await call('GET', '/v1/endpoints', `/v1/endpoints?${new URLSearchParams(query)}`);
      assert.equal(response.status, valid ? 200 : 400, `${JSON.stringify(query)}: ${JSON.stringify(response.body)}`);
    }
    const id = await h.createEndpoint({ clientId: 'oa-client-q', url: 'https://example.com/q' });
    const deliveryCases: [Record<string, string>, boolean][] = [
      [{ status: 'failed', since: '2026-01-01T00:00:00Z', after: '12' }, true],
      [{ status: 'lost' }, false],
      [{ since: 'last week' }, false],
      [{ after: 'abc' }, false],
    ];
    for (const [query, valid] of deliveryCases) {
      assert.equal(documentedQueryAccepts('GET', '/v1/endpoints/{id}/deliveries', query), valid, JSON.stringify(query));
      const response = await call('GET', '/v1/endpoints/{id}/deliveries', `/v1/endpoints/${id}/deliveries?${new URLSearchParams(query)}`);
      assert.equal(response.status, valid ? 200 : 400, `${JSON.stringify(query)}: ${JSON.stringify(response.body)}`);
    }
  });

  test('responses match the documented schemas: endpoints, deliveries with attempts and actions, operator actions', async () => {
    const clientId = `oa-client-${Date.now()}`;
    const receiver = await Receiver.start(() => ({ status: 200, body: 'ok' }));
    const endpoint = await call('POST', '/v1/endpoints', '/v1/endpoints', { clientId, kind: 'custom', url: receiver.url, events: ['*'], auth: { type: 'hmac' } });
    assert.equal(endpoint.status, 201);
    const id = endpoint.body.id as string;
    const epPath = `/v1/endpoints/${id}`;
    assert.equal((await call('GET', '/v1/endpoints/{id}', epPath)).body.auth.type, 'hmac');
    assert.equal((await call('GET', '/v1/endpoints', `/v1/endpoints?clientId=${clientId}&limit=1`)).body.nextCursor, id);
    const rotated = await call('POST', '/v1/endpoints/{id}/rotate-secret', `${epPath}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.auth.previousSecrets.length, 1);
    assert.equal((await call('POST', '/v1/endpoints/{id}/test', `${epPath}/test`)).status, 200);
    const paused = await call('POST', '/v1/endpoints/{id}/pause', `${epPath}/pause`);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.pausedBy, 'api');
    assert.equal((await call('POST', '/v1/endpoints/{id}/resume', `${epPath}/resume`, {})).body.pausedAt, null);
    assert.equal((await call('POST', '/v1/endpoints/{id}/pause', `${epPath}/pause`, { by: 'me' })).status, 400);
    assert.equal((await call('GET', '/v1/endpoints/{id}/health', `${epPath}/health`)).body.circuit.state, 'closed');

    // A failing receiver: a final 400, then a retry (an operator action in the log) that succeeds.
    receiver.setResponder(() => ({ status: 400, body: 'no' }));
    const callId = `oa-call-${Date.now()}`;
    const eventId = await h.emit(callId, 'OUTBOUND_CALL_COMPLETED', { clientId });
    await h.waitForDeliveries(callId, (log) => ended(log, 1));
    const failed = await call('GET', '/v1/calls/{callId}/deliveries', `/v1/calls/${callId}/deliveries`);
    assert.equal(failed.body.data[0].status, 'failed');
    assert.equal(failed.body.data[0].attempts[0].statusCode, 400);
    const deliveryId = failed.body.data[0].id as string;
    receiver.setResponder(() => ({ status: 200, body: 'ok' }));
    assert.equal((await call('POST', '/v1/deliveries/{id}/retry', `/v1/deliveries/${deliveryId}/retry`)).status, 202);
    const log = await h.waitForDeliveries(callId, (l) => l[0]?.status === 'succeeded');
    assert.equal(log[0]!.actions.length, 1);
    const detail = await call('GET', '/v1/events/{id}', `/v1/events/${eventId}`);
    assert.equal(detail.body.deliveries[0].attempts.length, 2);
    assert.equal(detail.body.deliveries[0].actions[0].action, 'redeliver');
    await call('GET', '/v1/calls/{callId}/deliveries', `/v1/calls/${callId}/deliveries`);
    const page = await call('GET', '/v1/endpoints/{id}/deliveries', `${epPath}/deliveries?limit=1`);
    assert.equal(page.body.data.length, 1);
    assert.equal(typeof page.body.nextCursor, 'string');

    assert.equal((await call('POST', '/v1/calls/{callId}/redeliver', `/v1/calls/${callId}/redeliver`)).status, 202);
    assert.equal((await call('POST', '/v1/endpoints/{id}/recover', `${epPath}/recover`, { since: '2020-01-01T00:00:00Z' })).status, 202);
    assert.equal((await call('POST', '/v1/deliveries/{id}/retry', `/v1/deliveries/${deliveryId}/retry`)).status, 409);
    assert.equal((await call('POST', '/v1/events', '/v1/events', 'not json')).status, 400);
    assert.equal((await call('POST', '/v1/events', '/v1/events', { eventType: 'x'.repeat(70_000) })).status, 413);
    assert.equal((await call('POST', '/v1/events', '/v1/events', 'eventType=x', { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await call('DELETE', '/v1/endpoints/{id}', epPath)).status, 200);
    assert.equal((await call('GET', '/v1/endpoints/{id}', epPath)).status, 404);
    await receiver.stop();
  });

  test("erasing a call's content: the answer, and the erased event, delivery log and call, match the documented schemas", async () => {
    const receiver = await Receiver.start();
    const clientId = `oa-erase-${Date.now()}`;
    const callId = `oa-erase-call-${Date.now()}`;
    await h.createEndpoint({ clientId, url: receiver.url });
    const eventId = await h.emit(callId, 'OUTBOUND_CALL_CALLING', { clientId, data: { note: 'personal' } });
    await h.waitForDeliveries(callId, (l) => ended(l, 1));
    const path = `/v1/calls/${callId}/content`;
    const erased = await call('DELETE', '/v1/calls/{callId}/content', path);
    assert.equal(erased.status, 200);
    // No PAYLOAD_ENCRYPTION_KEY in this harness: Postgres is erased, Temporal history is not reached.
    assert.deepEqual({ ...erased.body, erasedAt: undefined }, { callId, erasedAt: undefined, events: 1, attempts: 1, skipped: 0, historyKeysDestroyed: 0, history: 'not-encrypted' });
    const again = await call('DELETE', '/v1/calls/{callId}/content', path);
    assert.deepEqual(again.body, { ...erased.body, events: 0, attempts: 0 });
    const event = await call('GET', '/v1/events/{id}', `/v1/events/${eventId}`);
    assert.equal(event.body.payload.body, null);
    assert.equal((await call('GET', '/v1/calls/{callId}/deliveries', `/v1/calls/${callId}/deliveries`)).body.data[0].erasedAt, erased.body.erasedAt);
    assert.equal((await call('GET', '/v1/calls/{callId}', `/v1/calls/${callId}`)).body.erasedAt, erased.body.erasedAt);
    assert.equal((await call('DELETE', '/v1/calls/{callId}/content', '/v1/calls/oa-no-such-call/content')).status, 404);
    assert.equal((await call('DELETE', '/v1/calls/{callId}/content', '/v1/calls/has%20space/content')).status, 400);
    await receiver.stop();
  });

  test('responses match the documented schemas: health, metrics, signing keys', async () => {
    assert.equal((await call('GET', '/healthz', '/healthz')).status, 200);
    assert.equal((await call('GET', '/readyz', '/readyz')).status, 200);
    const metrics = await call('GET', '/metrics', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const pem = await call('GET', '/v1/signing-key', '/v1/signing-key');
    assert.equal(pem.status, 200);
    assert.match(pem.body, /^-----BEGIN PUBLIC KEY-----/);
    assert.ok(pem.headers.get('x-recho-key-id'));
    assert.ok(doc.paths['/v1/signing-key'].get.responses['200'].headers['x-recho-key-id']);
    const rotated = await call('POST', '/v1/signing-keys/rotate', '/v1/signing-keys/rotate');
    assert.equal(rotated.status, 201);
    const keys = await call('GET', '/v1/signing-keys', '/v1/signing-keys');
    assert.ok(keys.body.data.some((k: Json) => k.status === 'retiring' && typeof k.expiresAt === 'string'));
  });
});
