/**
 * Compile-time checks that the zod response schemas (src/schemas/responses.ts, the source of the
 * OpenAPI document) and the TypeScript types the code answers with describe the same values: each
 * assignable to the other. Nothing here runs; `tsc` fails when they drift apart. They live in the
 * api layer because the types come from api, db and destinations, which schemas must not import.
 */
import type { z } from 'zod';
import type { AttemptOutcome, DeliveryLogEntry, DeliveryStatus } from '../db/deliveries-repo';
import type { CallEventSummary, StoredEvent } from '../db/events-repo';
import type { CircuitView } from '../db/endpoint-circuit-repo';
import type { EndpointHealth } from '../db/endpoint-health-repo';
import type { PublishedSigningKey } from '../destinations/signing/signing-keys';
import type { Rotation } from '../domain/endpoint-auth';
import type { attemptOutcomeSchema, authViewSchema, callEventSummarySchema, circuitViewSchema, createdEndpointSchema, deliveryLogEntrySchema, deliveryStatusSchema, endpointHealthSchema, endpointViewSchema, eventDetailSchema, publishedSigningKeySchema, revealedAuthSchema, rotatedSecretSchema } from '../schemas/responses';
import type { AuthView, EndpointView, RevealedAuth } from './endpoint-view';

/** True when each type is assignable to the other. */
type Agree<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type ResponseTypesAgree = [
  Assert<Agree<z.infer<typeof authViewSchema>, AuthView>>,
  Assert<Agree<z.infer<typeof revealedAuthSchema>, RevealedAuth>>,
  Assert<Agree<z.infer<typeof endpointViewSchema>, EndpointView<AuthView>>>,
  Assert<Agree<z.infer<typeof createdEndpointSchema>, EndpointView<RevealedAuth>>>,
  Assert<Agree<z.infer<typeof deliveryLogEntrySchema>, DeliveryLogEntry>>,
  Assert<Agree<z.infer<typeof deliveryStatusSchema>, DeliveryStatus>>,
  Assert<Agree<z.infer<typeof attemptOutcomeSchema>, AttemptOutcome>>,
  Assert<
    Agree<
      Omit<z.infer<typeof eventDetailSchema>, 'deliveries'>,
      Pick<StoredEvent, 'id' | 'callId' | 'clientId' | 'eventType' | 'receivedAt' | 'payload' | 'validationErrors' | 'erasedAt'>
    >
  >,
  Assert<Agree<z.infer<typeof rotatedSecretSchema>['previousSecretExpiresAt'], Rotation['previousSecretExpiresAt']>>,
  Assert<Agree<z.infer<typeof publishedSigningKeySchema>, Omit<PublishedSigningKey, 'expiresAt'> & { expiresAt: string | null }>>,
];

export type WebhooksPageTypesAgree = [
  Assert<Agree<z.infer<typeof endpointHealthSchema>, EndpointHealth>>,
  Assert<Agree<z.infer<typeof circuitViewSchema>, CircuitView>>,
  Assert<Agree<z.infer<typeof callEventSummarySchema>, CallEventSummary>>,
];
