import { queueWakeups } from '../db/outbox-repo';
import type { Pool } from '../db/pool';
import type { Logger } from '../observability/logger';

/** Where queued wake-ups go: the outbox relay of this process, if it runs one (else another process's relay polls). */
export interface OutboxNudge {
  nudge(): void;
}

/**
 * Tells every call whose lane waits for this endpoint that it may go again (resumed, circuit
 * closed): its holds move to the outbox in one statement, and the outbox relay signals
 * `endpointReady` to each call, so no wake-up is lost while Temporal is away. A waiting lane also
 * looks again on its own within minutes. Returns how many calls were queued.
 */
export async function wakeHeldCalls(deps: { pool: Pool; outbox?: OutboxNudge | undefined }, endpointId: string): Promise<number> {
  const queued = await queueWakeups(deps.pool, endpointId);
  if (queued > 0) deps.outbox?.nudge();
  return queued;
}

/**
 * Wakes them without keeping the caller waiting (an API answer, a delivery): the outcome is
 * logged, a failure never the caller's (the calls look again on their own within minutes).
 */
export function wakeHeldCallsSoon(deps: { pool: Pool; outbox?: OutboxNudge | undefined; logger: Logger }, endpointId: string): void {
  wakeHeldCalls(deps, endpointId).then(
    (queued) => {
      if (queued > 0) deps.logger.info({ endpointId, queued }, 'queued wake-ups of the calls waiting for the endpoint');
    },
    (err: unknown) => deps.logger.warn({ err, endpointId }, 'could not queue wake-ups of the calls waiting for the endpoint; they look again on their own'),
  );
}
