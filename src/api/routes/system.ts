/**
 * The routes outside /v1, open to anyone and answered before the key check and the body parsers:
 * liveness, readiness, metrics and the OpenAPI document.
 *
 * Ready means accepting events: Postgres answers and the outbox has room (below OUTBOX_MAX_PENDING).
 * Temporal is reported but not required: while it is away, accepted events wait in the outbox and
 * are signalled when it is back.
 */
import { metricsText } from '../../observability/metrics-router';
import { registry } from '../../observability/metrics';
import { healthSchema, openApiDocumentSchema, readinessSchema } from '../../schemas/responses';
import { defineRoute } from '../route';

export const livenessRoute = defineRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'liveness',
  summary: 'Liveness',
  tag: 'system',
  responses: [{ status: 200, description: 'the process answers', schema: healthSchema }],
  handler: ({ reply }) => reply(200, { status: 'ok' }),
});

export const readinessRoute = defineRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'readiness',
  summary: 'Readiness: Postgres and Temporal answer',
  tag: 'system',
  responses: [
    { status: 200, description: 'ready', schema: readinessSchema },
    { status: 503, description: 'Postgres or Temporal does not answer', schema: readinessSchema },
  ],
  handler: async ({ reply }, deps) => {
    const timeoutMs = deps.signalTimeoutMs;
    const [postgres, temporal] = await Promise.all([
      check(deps.pool.query('SELECT 1').then(() => undefined), timeoutMs),
      check(
        deps.temporal.connection.withDeadline(Date.now() + timeoutMs, () => deps.temporal.connection.workflowService.getSystemInfo({}).then(() => undefined)),
        timeoutMs,
      ),
    ]);
    const relay = deps.relay?.status();
    const outbox = relay && {
      ok: !relay.full,
      backlog: relay.backlog,
      oldestAt: relay.oldestAt,
      ...(relay.full && { error: 'the outbox is full (OUTBOX_MAX_PENDING): new events are refused until Temporal takes the backlog' }),
    };
    // Without a relay in this process, accepted events would wait for another's: Temporal must answer for this one to be ready.
    const ready = postgres.ok && (outbox ? outbox.ok : temporal.ok);
    return reply(ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', accepting: ready, checks: { postgres, temporal, ...(outbox && { outbox }) } });
  },
});

export const metricsRoute = defineRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics (and the Temporal SDK worker metrics when configured)',
  tag: 'system',
  responses: [{ status: 200, description: 'Prometheus text exposition format', text: 'text/plain' }],
  handler: async ({ res, reply }, deps) => {
    const text = await metricsText({ pool: deps.pool, temporalMetricsUrl: deps.temporalMetricsUrl });
    // The exposition format's own media type (text/plain with its version).
    res.type(registry.contentType);
    return reply(200, text);
  },
});

export const openApiRoute = defineRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This document',
  tag: 'system',
  responses: [{ status: 200, description: 'the OpenAPI 3.0.3 document', schema: openApiDocumentSchema }],
  handler: ({ reply }, deps) => reply(200, deps.openApiDocument),
});

async function check(probe: Promise<void>, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([probe, timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
