import type { CallEvent } from '../schemas/call-event';
import type { Endpoint, EndpointKind } from '../schemas/endpoint';

/** One attempt to hand one event to one endpoint. */
export interface AttemptRequest {
  event: CallEvent;
  endpoint: Endpoint;
  deliveryId: string;
  attemptNumber: number;
  /** Aborts the attempt: its timeout, or the activity being cancelled. */
  signal: AbortSignal;
  /** The attempt's W3C trace context, for a custom endpoint that opted in to a `traceparent` header (tracing on). */
  traceparent?: string;
}

/**
 * How an attempt ended. `retryable` attempts are tried again with backoff (or after
 * `retryAfterMs` when the receiver said when); `final` ones end the delivery.
 */
export type AttemptResult =
  | { outcome: 'succeeded'; statusCode: number | null; responseExcerpt: string | null }
  | { outcome: 'retryable'; statusCode: number | null; error: string; responseExcerpt: string | null; retryAfterMs?: number }
  | { outcome: 'final'; statusCode: number | null; error: string; responseExcerpt: string | null };

/** A kind of destination: renders the event its own way, sends it, and classifies the answer. */
export interface Destination {
  readonly kind: EndpointKind;
  attempt(request: AttemptRequest): Promise<AttemptResult>;
}

export type DestinationRegistry = Partial<Record<EndpointKind, Destination>>;
