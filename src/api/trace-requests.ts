/**
 * A server span per API request (tracing on only): named `METHOD /route` once the route is known, with
 * the method, path template and status code (a 5xx marks it failed) — never a body, a query value or a
 * header. A caller's `traceparent` is honoured, so a platform's own trace continues into callhook. The
 * span is the active context of the whole handler chain: an event accepted in it stores it as its
 * `trace_parent` (src/api/accept-event.ts), which is how its deliveries join this trace later.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { activeTracing, tracer } from '../observability/tracing';

/** Traced: the API under /v1 and the codec. Not: health probes, metric scrapes, the page's files (a trace every few seconds, none of them an event's). */
const TRACED = /^\/(v1|codec)(\/|$)/;

export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    if (!activeTracing() || !TRACED.test(req.path)) return next();
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.scheme': req.protocol } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    let ended = false;
    const end = (aborted: boolean) => {
      if (ended) return;
      ended = true;
      // The route as declared (`/v1/endpoints/:id`), not the path: ids would make every span name unique.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : undefined;
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (aborted) span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client closed the connection before the answer' });
      else if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', () => end(false));
    res.once('close', () => end(!res.writableFinished));
    // Body parsers resume the chain from the request's stream events, which run outside this call's
    // async context: bound, their listeners (and so the handlers after them) run in the span's context.
    context.bind(active, req);
    context.bind(active, res);
    context.with(active, next);
  };
}
