import type { CallEvent } from '../schemas/call-event';
import type { AttemptRequest, AttemptResult, Destination } from './destination';
import { postAndClassify } from './http';

/** Header names a receiver can rely on, in the seed contract's `x-recho-` family. */
export const HEADERS = {
  eventId: 'x-recho-event-id',
  deliveryId: 'x-recho-delivery-id',
  attempt: 'x-recho-attempt',
} as const;

/**
 * The JSON a custom endpoint receives: the seeds' `{ eventType, body: { data, errors } }`
 * (errors always an array), plus the event's id and time.
 */
export function renderCustomBody(event: CallEvent): string {
  return JSON.stringify({
    id: event.id,
    eventType: event.eventType,
    occurredAt: event.occurredAt,
    body: { data: event.body.data, errors: event.body.errors },
  });
}

export interface CustomDestinationOptions {
  retryAfterMaxMs: number;
  excerptBytes: number;
}

export function customDestination(options: CustomDestinationOptions): Destination {
  return {
    kind: 'custom',
    async attempt(request: AttemptRequest): Promise<AttemptResult> {
      const { endpoint, event } = request;
      if (!endpoint.url) return { outcome: 'final', statusCode: null, error: 'endpoint has no url', responseExcerpt: null };
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [HEADERS.eventId]: event.id,
        [HEADERS.deliveryId]: request.deliveryId,
        [HEADERS.attempt]: String(request.attemptNumber),
      };
      if (endpoint.auth.type === 'bearer') headers.authorization = `Bearer ${endpoint.auth.token}`;
      return postAndClassify(
        { url: endpoint.url, headers, body: renderCustomBody(event), signal: request.signal, excerptBytes: options.excerptBytes },
        options.retryAfterMaxMs,
      );
    },
  };
}
