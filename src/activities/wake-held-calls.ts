import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { takeHeldCalls } from '../db/endpoint-state-repo';
import type { Pool } from '../db/pool';
import type { Logger } from '../logger';
import { endpointReadySignal } from '../workflows/messages';

const PAGE = 100;
/** Signals sent at once. */
const CONCURRENCY = 20;

/**
 * Tells every call whose lane waits for this endpoint that it may go again (resumed, circuit
 * closed). A call missed here (a signal that failed) looks again on its own within a few minutes:
 * a waiting lane never depends on this signal alone. Returns how many calls were signalled.
 */
export async function wakeHeldCalls(deps: { pool: Pool; temporal: Client; logger: Logger }, endpointId: string): Promise<number> {
  let woken = 0;
  for (;;) {
    const callIds = await takeHeldCalls(deps.pool, endpointId, PAGE);
    for (let i = 0; i < callIds.length; i += CONCURRENCY) {
      await Promise.all(
        callIds.slice(i, i + CONCURRENCY).map(async (callId) => {
          try {
            await deps.temporal.workflow.getHandle(callId).signal(endpointReadySignal, { endpointId });
            woken++;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return; // the call ended meanwhile
            deps.logger.warn({ err, endpointId, callId }, 'could not wake a call waiting for its endpoint; it looks again on its own');
          }
        }),
      );
    }
    if (callIds.length < PAGE) return woken;
  }
}

/**
 * Wakes them without keeping the caller waiting (an API answer, a delivery): the outcome is
 * logged, a failure never the caller's (the calls look again on their own within minutes).
 */
export function wakeHeldCallsSoon(deps: { pool: Pool; temporal: Client; logger: Logger }, endpointId: string): void {
  wakeHeldCalls(deps, endpointId).then(
    (woken) => {
      if (woken > 0) deps.logger.info({ endpointId, woken }, 'woke the calls waiting for the endpoint');
    },
    (err: unknown) => deps.logger.warn({ err, endpointId }, 'could not wake the calls waiting for the endpoint; they look again on their own'),
  );
}
