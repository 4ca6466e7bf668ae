import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import type { OutboxStatus } from '../../outbox/relay';

/**
 * Liveness (the process answers) and readiness. Ready means accepting events: Postgres answers and
 * the outbox has room (below OUTBOX_MAX_PENDING). Temporal is reported but not required: while it is
 * away, accepted events wait in the outbox and are signalled when it is back.
 */
export function healthRouter(deps: { pool: Pool; temporal: Client; timeoutMs: number; outbox: { status(): OutboxStatus } | null }): Router {
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
    const relay = deps.outbox?.status();
    const outbox = relay && {
      ok: !relay.full,
      backlog: relay.backlog,
      oldestAt: relay.oldestAt,
      ...(relay.full && { error: 'the outbox is full (OUTBOX_MAX_PENDING): new events are refused until Temporal takes the backlog' }),
    };
    // Without a relay in this process, accepted events would wait for another's: Temporal must answer for this one to be ready.
    const ready = postgres.ok && (outbox ? outbox.ok : temporal.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', accepting: ready, checks: { postgres, temporal, ...(outbox && { outbox }) } });
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
