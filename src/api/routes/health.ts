import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';

/** Liveness (the process answers) and readiness (Postgres and Temporal both answer). */
export function healthRouter(deps: { pool: Pool; temporal: Client; timeoutMs: number }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [postgres, temporal] = await Promise.all([
      check(deps.pool.query('SELECT 1').then(() => undefined), deps.timeoutMs),
      check(
        deps.temporal.connection.withDeadline(Date.now() + deps.timeoutMs, () =>
          deps.temporal.connection.workflowService.getSystemInfo({}).then(() => undefined),
        ),
        deps.timeoutMs,
      ),
    ]);
    const ready = postgres.ok && temporal.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, temporal } });
  });
  return router;
}

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
