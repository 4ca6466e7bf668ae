/**
 * Runs a lane's activity in the trace of the event it delivers (tracing on): its `StartActivity` span, and
 * the worker's `RunActivity` span after it, then belong to the event's trace — begun by the API request
 * that accepted it — rather than to the trace of whatever started this run. Deterministic: the trace
 * context comes from the workflow's own state, and in a bundle without the tracing interceptors the
 * OpenTelemetry API's context is a no-op, so this only calls `fn`.
 */
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import { parseTraceparent } from '../schemas/traceparent';

export function inEventTrace<T>(traceparent: string | undefined, fn: () => T): T {
  const parent = parseTraceparent(traceparent);
  if (!parent) return fn();
  return context.with(trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }), fn);
}
