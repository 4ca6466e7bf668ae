import { Router } from 'express';
import { countEndpointStates } from '../db/endpoint-state-repo';
import type { Pool } from '../db/pool';
import { endpointsByState, registry } from './metrics';
import { logger } from './logger';

/**
 * GET /metrics of the worker process (the API declares its own GET /metrics route with metricsText:
 * src/api/routes/system.ts).
 */
export function metricsRouter(deps: { temporalMetricsUrl?: string; pool?: Pool }): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await metricsText(deps));
  });
  return router;
}

/**
 * This process's metrics in Prometheus text format (of media type `registry.contentType`), followed by
 * the Temporal SDK worker metrics when `temporalMetricsUrl` points at the SDK runtime's Prometheus endpoint.
 */
export async function metricsText(deps: { temporalMetricsUrl?: string | undefined; pool?: Pool }): Promise<string> {
  if (deps.pool) {
    try {
      const counts = await countEndpointStates(deps.pool);
      endpointsByState.set({ state: 'paused' }, counts.paused);
      endpointsByState.set({ state: 'disabled' }, counts.disabled);
      endpointsByState.set({ state: 'circuit_open' }, counts.circuitOpen);
    } catch (err) {
      // Postgres away: the other metrics are still served; these gauges are left out rather than stale.
      endpointsByState.reset();
      logger.warn({ err }, 'endpoint state gauges unavailable; serving the other metrics');
    }
  }
  let text = await registry.metrics();
  if (deps.temporalMetricsUrl) {
    try {
      const response = await fetch(deps.temporalMetricsUrl, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text += `\n# Temporal SDK worker metrics\n${await response.text()}`;
    } catch (err) {
      logger.warn({ err, url: deps.temporalMetricsUrl }, 'Temporal SDK metrics unavailable; serving callhook metrics only');
    }
  }
  return text;
}
