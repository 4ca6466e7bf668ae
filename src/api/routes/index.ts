/**
 * Every route of the API, in the order of the README's table (and so of the OpenAPI document):
 * app.ts mounts them, openapi.ts documents them. A route declared in a routes file but left out
 * here is neither answered nor documented (test/openapi.test.ts lists the routes by hand).
 */
import type { ApiRoute } from '../route';
import { createApiKeyRoute, listApiKeysRoute, revokeApiKeyRoute } from './api-keys';
import { eraseCallContentRoute } from './call-content';
import { getCallRoute } from './call-view';
import { listCallDeliveriesRoute } from './calls';
import { getEndpointHealthRoute, listEndpointHealthRoute } from './endpoint-health';
import {
  createEndpointRoute,
  deleteEndpointRoute,
  getEndpointRoute,
  listEndpointsRoute,
  pauseEndpointRoute,
  resumeEndpointRoute,
  rotateEndpointSecretRoute,
  updateEndpointRoute,
} from './endpoints';
import { archiveEventTypeRoute, createEventTypeRoute, getEventTypeRoute, listEventTypesRoute, updateEventTypeRoute } from './event-types';
import { getEventRoute, submitEventRoute, submitEventsRoute } from './events';
import { getPrincipalRoute } from './me';
import {
  listEndpointDeliveriesRoute,
  recoverEndpointRoute,
  redeliverCallRoute,
  retryDeliveryRoute,
  testEndpointFilterRoute,
  testEndpointRoute,
} from './operations';
import { PORTAL_LINK_ROUTES } from './portal-links';
import { getSigningKeyRoute, listSigningKeysRoute, rotateSigningKeyRoute } from './signing-keys';
import { livenessRoute, metricsRoute, openApiRoute, readinessRoute } from './system';

export { PORTAL_LINK_ROUTES };

export const API_ROUTES: readonly ApiRoute[] = [
  submitEventRoute,
  submitEventsRoute,
  getEventRoute,
  listCallDeliveriesRoute,
  redeliverCallRoute,
  eraseCallContentRoute,
  createEndpointRoute,
  listEndpointsRoute,
  getEndpointRoute,
  updateEndpointRoute,
  deleteEndpointRoute,
  rotateEndpointSecretRoute,
  pauseEndpointRoute,
  resumeEndpointRoute,
  recoverEndpointRoute,
  testEndpointRoute,
  testEndpointFilterRoute,
  listEndpointDeliveriesRoute,
  retryDeliveryRoute,
  listEventTypesRoute,
  getEventTypeRoute,
  createEventTypeRoute,
  updateEventTypeRoute,
  archiveEventTypeRoute,
  getSigningKeyRoute,
  listSigningKeysRoute,
  rotateSigningKeyRoute,
  createApiKeyRoute,
  listApiKeysRoute,
  revokeApiKeyRoute,
  ...PORTAL_LINK_ROUTES,
  // What the Webhooks page reads (the page itself, at `/`, is not an API route).
  getPrincipalRoute,
  getCallRoute,
  getEndpointHealthRoute,
  listEndpointHealthRoute,
  // Outside /v1: open, answered before the key check.
  livenessRoute,
  readinessRoute,
  metricsRoute,
  openApiRoute,
];
