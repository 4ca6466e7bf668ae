/**
 * Endpoints as tests write them straight to Postgres (or hand to a destination): every field at its
 * plain default — a custom endpoint with no auth and no options, subscribed to everything — with only
 * what a test is about given.
 */
import { newId } from '../../src/domain/ids';
import type { NewEndpoint } from '../../src/db/endpoints-repo';
import type { Endpoint } from '../../src/schemas/endpoint';

export function newEndpoint(fields: Partial<NewEndpoint> = {}): NewEndpoint {
  return {
    id: newId('ep'),
    clientId: 'client-1',
    kind: 'custom',
    url: 'https://receiver.example/hook',
    email: null,
    events: ['*'],
    auth: { type: 'none' },
    description: null,
    active: true,
    rateLimit: null,
    headers: [],
    filter: null,
    retry: null,
    tls: null,
    sendTraceparent: false,
    ...fields,
  };
}

/** An endpoint as stored (for a destination's attempt): a new one, never paused or disabled. */
export function storedEndpoint(fields: Partial<Endpoint> = {}): Endpoint {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    ...newEndpoint(),
    sendTraceparent: false,
    pausedAt: null,
    pausedBy: null,
    disabledReason: null,
    disabledAt: null,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}
