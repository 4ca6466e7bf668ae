import { purgeExpiredBatch, type PurgeCounts } from '../db/retention-repo';
import type { Pool } from '../db/pool';
import type { Logger } from '../logger';

/**
 * One batch of the retention purge (`retentionWorkflow`): deliveries that ended before `cutoffIso`, their attempts
 * and actions, and events before it with no delivery left. Idempotent: a retried batch deletes what is still there.
 */
export async function purgeExpired(deps: { pool: Pool; logger: Logger }, cutoffIso: string, batchSize: number): Promise<PurgeCounts> {
  const cutoff = new Date(cutoffIso);
  if (Number.isNaN(cutoff.getTime())) throw new Error(`retention cutoff "${cutoffIso}" is not a date`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`retention batch size ${batchSize} is not a positive integer`);
  const started = Date.now();
  const counts = await purgeExpiredBatch(deps.pool, cutoff, batchSize);
  deps.logger.info({ cutoff: cutoffIso, batchSize, ...counts, durationMs: Date.now() - started }, 'retention: purged a batch');
  return counts;
}
