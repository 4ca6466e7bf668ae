/**
 * The outbox relay's part of each event's trace (tracing on): a `callhook.outbox.relay` span per event,
 * child of the API request that accepted it (the event's stored `trace_parent`), covering the signal that
 * hands it to its call's workflow. One signal carries several events of a call; it is sent in the first
 * event's span, so the Temporal client's signal span and the workflow's signal handling hang under that
 * event, and the others' spans link to it.
 */
import { SpanKind, SpanStatusCode, context, trace, type Context, type Link } from '@opentelemetry/api';
import type { PendingCall } from '../db/outbox-repo';
import { contextFromTraceparent } from '../observability/trace-context';
import { activeTracing, tracer } from '../observability/tracing';

export interface RelaySpans {
  /** The context to signal in. */
  context: Context;
  end(error?: string): void;
}

export function startRelaySpans(call: PendingCall): RelaySpans {
  if (!activeTracing() || call.events.length === 0) return { context: context.active(), end: () => undefined };
  const links: Link[] = [];
  const spans = call.events.map(({ event, traceparent }, i) => {
    const span = tracer().startSpan(
      'callhook.outbox.relay',
      {
        kind: SpanKind.PRODUCER,
        attributes: { 'callhook.call.id': call.callId, 'callhook.event.id': event.id, 'callhook.event.type': event.eventType, 'callhook.signal.events': call.events.length },
        links: i === 0 ? [] : links,
      },
      contextFromTraceparent(traceparent),
    );
    if (i === 0) links.push({ context: span.spanContext() });
    return span;
  });
  return {
    context: trace.setSpan(context.active(), spans[0]!),
    end(error) {
      for (const span of spans) {
        if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
        span.end();
      }
    },
  };
}
