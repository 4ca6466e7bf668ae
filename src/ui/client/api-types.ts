/**
 * The API's request and response types, as the page uses them: inferred from the zod schemas the
 * API validates and documents with (type-only imports: no server code is bundled).
 */
import type { z } from 'zod';
import type { createEndpointSchema, updateEndpointSchema } from '../../schemas/endpoint';
import type {
  callViewSchema,
  circuitViewSchema,
  createdEndpointSchema,
  deliveryLogEntrySchema,
  deliveryPageSchema,
  endpointHealthListSchema,
  endpointHealthSchema,
  endpointListSchema,
  endpointViewSchema,
  errorEnvelopeSchema,
  eventTypeCatalogSchema,
  principalViewSchema,
  recoverAcceptedSchema,
  retryAcceptedSchema,
  rotatedSecretSchema,
  testResultSchema,
} from '../../schemas/responses';

export type PrincipalView = z.infer<typeof principalViewSchema>;
export type EndpointView = z.infer<typeof endpointViewSchema>;
export type CreatedEndpoint = z.infer<typeof createdEndpointSchema>;
export type EndpointList = z.infer<typeof endpointListSchema>;
export type EndpointKind = EndpointView['kind'];
export type AuthView = EndpointView['auth'];
export type EndpointHealth = z.infer<typeof endpointHealthSchema>;
export type EndpointHealthList = z.infer<typeof endpointHealthListSchema>;
export type CircuitView = z.infer<typeof circuitViewSchema>;
export type DeliveryLogEntry = z.infer<typeof deliveryLogEntrySchema>;
export type DeliveryPage = z.infer<typeof deliveryPageSchema>;
export type DeliveryStatus = DeliveryLogEntry['status'];
export type EventTypeCatalog = z.infer<typeof eventTypeCatalogSchema>;
export type EventTypeInfo = EventTypeCatalog['data'][number];
export type TestResult = z.infer<typeof testResultSchema>;
export type RetryAccepted = z.infer<typeof retryAcceptedSchema>;
export type RecoverAccepted = z.infer<typeof recoverAcceptedSchema>;
export type RotatedSecret = z.infer<typeof rotatedSecretSchema>;
export type CallView = z.infer<typeof callViewSchema>;
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;
export type ValidationIssue = NonNullable<ErrorEnvelope['error']['details']>[number];

export type CreateEndpointBody = z.input<typeof createEndpointSchema>;
export type UpdateEndpointBody = z.input<typeof updateEndpointSchema>;
export type AuthInput = NonNullable<CreateEndpointBody['auth']>;
/** An event type an endpoint subscribes to, or `*`. */
export type Subscription = CreateEndpointBody['events'][number];
