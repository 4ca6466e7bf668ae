import { Router } from 'express';
import { registry } from '../../metrics';
import { logger } from '../../logger';

/**
 * GET /metrics: this process's metrics in Prometheus text format, followed by the Temporal SDK
 * worker metrics when `temporalMetricsUrl` points at the SDK runtime's Prometheus endpoint.
 */
export function metricsRouter(deps: { temporalMetricsUrl?: string }): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
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
    res.type(registry.contentType).send(text);
  });
  return router;
}
