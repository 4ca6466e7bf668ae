/**
 * Moving an event's trace context across the places that do not carry it by themselves: Postgres (the
 * outbox, the delivery activity, which read the event's `trace_parent`) and the workflow's messages.
 * When tracing is off the active span is a no-op with an invalid context: every function here then
 * answers null or the context as it was, and nothing is stored.
 */
import { ROOT_CONTEXT, context as otelContext, isSpanContextValid, trace, TraceFlags, type Context, type Span } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from '../schemas/traceparent';

/** The `traceparent` of a span (the active one by default), or null when it is not a real, recording span. */
export function traceparentOf(span: Span | undefined = trace.getActiveSpan()): string | null {
  const spanContext = span?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return null;
  return formatTraceparent({ traceId: spanContext.traceId, spanId: spanContext.spanId, traceFlags: spanContext.traceFlags });
}

/** The trace id of a span (the active one by default), or null. */
export function traceIdOf(span: Span | undefined = trace.getActiveSpan()): string | null {
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : null;
}

/**
 * A context whose parent is the remote span `traceparent` names (the event's own trace, whatever is active
 * now); the active context when it names none (an event accepted with tracing off, or from another door).
 */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  const parent = parseTraceparent(traceparent);
  if (!parent) return otelContext.active();
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags & TraceFlags.SAMPLED, isRemote: true });
}
