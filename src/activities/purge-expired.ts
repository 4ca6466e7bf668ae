import type { Client } from '@temporalio/client';
import type { ClientPayloadRetention } from '../config/config';
import { callsDueForErasure } from '../db/erasure-repo';
import { purgeExpiredBatch, type PurgeCounts } from '../db/retention-repo';
import type { Pool } from '../db/pool';
import { ErasureTemporalError, eraseCall } from '../erasure/erase-call';
import type { Logger } from '../observability/logger';

/** Calls whose content one batch erases at most (per-client payload retention): each is two short transactions and a terminate. */
export const ERASE_CALLS_PER_BATCH = 100;

export interface PurgeDeps {
  pool: Pool;
  logger: Logger;
  /** Stops the workflows of the calls erased (CLIENT_PAYLOAD_RETENTION); absent: Postgres only. */
  temporal?: Client | undefined;
  /** CLIENT_PAYLOAD_RETENTION: per client, how long after a call's last event its content is erased. */
  clientPayloadRetention?: readonly ClientPayloadRetention[] | undefined;
  /** Whether Temporal payloads are encrypted (PAYLOAD_ENCRYPTION_KEY): erasing destroys the calls' history keys. */
  historyEncrypted?: boolean | undefined;
}

export interface PurgeResult extends PurgeCounts {
  /** Calls whose content this batch erased (per-client payload retention). */
  erasedCalls: number;
  /** The batch erased as many calls as it may: more may be due (the workflow goes on with another batch). */
  moreToErase: boolean;
}

/**
 * One batch of the retention purge (`retentionWorkflow`): deliveries that ended before `cutoffIso`, their attempts
 * and actions, and events before it with no delivery left. Idempotent: a retried batch deletes what is still there.
 * Then, for the clients of CLIENT_PAYLOAD_RETENTION, the content of up to ERASE_CALLS_PER_BATCH calls whose last event
 * is older than their client's retention is erased, as DELETE /v1/calls/:callId/content does.
 */
export async function purgeExpired(deps: PurgeDeps, cutoffIso: string, batchSize: number): Promise<PurgeResult> {
  const cutoff = new Date(cutoffIso);
  if (Number.isNaN(cutoff.getTime())) throw new Error(`retention cutoff "${cutoffIso}" is not a date`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`retention batch size ${batchSize} is not a positive integer`);
  const started = Date.now();
  const counts = await purgeExpiredBatch(deps.pool, cutoff, batchSize);
  deps.logger.info({ cutoff: cutoffIso, batchSize, ...counts, durationMs: Date.now() - started }, 'retention: purged a batch');
  const limit = Math.min(batchSize, ERASE_CALLS_PER_BATCH);
  const erasedCalls = await eraseDueContent(deps, limit);
  return { ...counts, erasedCalls, moreToErase: erasedCalls >= limit };
}

/** Erases the content of up to `limit` calls due under their client's payload retention, the clients in turn. */
export async function eraseDueContent(deps: PurgeDeps, limit: number, now = new Date()): Promise<number> {
  let erased = 0;
  for (const { clientId, retentionMs } of deps.clientPayloadRetention ?? []) {
    if (erased >= limit) break;
    const cutoff = new Date(now.getTime() - retentionMs).toISOString();
    const calls = await callsDueForErasure(deps.pool, { clientId, cutoff }, limit - erased);
    for (const callId of calls) {
      try {
        await eraseCall({ pool: deps.pool, temporal: deps.temporal, logger: deps.logger, historyEncrypted: deps.historyEncrypted ?? false }, callId, 'retention');
      } catch (err) {
        // Temporal did not answer: the content is erased in Postgres (nothing pending, the keys gone), the workflow not
        // stopped (it finds nothing to send). The call is no longer due: DELETE /v1/calls/:callId/content stops it.
        if (!(err instanceof ErasureTemporalError)) throw err;
        deps.logger.error({ err, callId, clientId }, "retention: a call's content was erased but its workflow could not be stopped; erase it again through the API to stop it");
      }
      erased += 1;
    }
    if (calls.length > 0) deps.logger.info({ clientId, retentionMs, cutoff, calls: calls.length }, "retention: erased the content of a client's calls past its payload retention");
  }
  return erased;
}
