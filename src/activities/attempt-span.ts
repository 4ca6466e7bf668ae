/**
 * The span of one delivery attempt (tracing on): `callhook.attempt <kind>`, a client span in the trace of the
 * event it delivers. Its parent is the activity's own span when that is in the event's trace already (the
 * lane ran the activity in it: src/workflows/event-trace.ts); otherwise (a batch's later events, an event
 * accepted before tracing was on) the event's stored context, linked to the activity's span. Attributes are
 * ids, the kind, the attempt number, the status code and the outcome: never the URL (a Slack or Teams URL
 * is a secret), a header, the body or the receiver's answer.
 */
import { SpanKind, SpanStatusCode, context, trace, type Context, type Link } from '@opentelemetry/api';
import type { DeliveryContext } from '../db/deliveries-repo';
import type { AttemptResult } from '../destinations/destination';
import { contextFromTraceparent, traceIdOf, traceparentOf } from '../observability/trace-context';
import { activeTracing, tracer } from '../observability/tracing';
import { parseTraceparent } from '../schemas/traceparent';

export interface AttemptSpan {
  /** The context to attempt in. */
  context: Context;
  /** What a receiver that asked for it gets as its `traceparent` header; null with tracing off. */
  traceparent: string | null;
  /** Recorded with the attempt (the delivery log shows it); null with tracing off. */
  traceId: string | null;
  end(result: AttemptResult): void;
}

const NO_SPAN: AttemptSpan = { context: context.active(), traceparent: null, traceId: null, end: () => undefined };

export function startAttemptSpan(ctx: DeliveryContext, attemptNumber: number): AttemptSpan {
  if (!activeTracing()) return NO_SPAN;
  const activitySpan = trace.getActiveSpan();
  const eventTraceId = parseTraceparent(ctx.traceparent)?.traceId;
  const inEventTrace = eventTraceId === undefined || traceIdOf(activitySpan) === eventTraceId;
  const links: Link[] = !inEventTrace && activitySpan ? [{ context: activitySpan.spanContext() }] : [];
  const span = tracer().startSpan(
    `callhook.attempt ${ctx.endpoint.kind}`,
    {
      kind: SpanKind.CLIENT,
      links,
      attributes: {
        'callhook.delivery.id': ctx.deliveryId,
        'callhook.call.id': ctx.callId,
        'callhook.event.id': ctx.event.id,
        'callhook.event.type': ctx.event.eventType,
        'callhook.endpoint.id': ctx.endpoint.id,
        'callhook.endpoint.kind': ctx.endpoint.kind,
        'callhook.attempt.number': attemptNumber,
      },
    },
    inEventTrace ? context.active() : contextFromTraceparent(ctx.traceparent),
  );
  return {
    context: trace.setSpan(context.active(), span),
    traceparent: traceparentOf(span),
    traceId: traceIdOf(span),
    end(result) {
      if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
      span.setAttribute('callhook.attempt.outcome', result.outcome);
      // The error text can quote the receiver's answer: only its class goes into the span.
      if (result.outcome !== 'succeeded') span.setStatus({ code: SpanStatusCode.ERROR, message: result.statusCode === null ? 'no answer' : `HTTP ${result.statusCode}` });
      span.end();
    },
  };
}
