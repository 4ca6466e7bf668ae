import { ApplicationFailure, Context } from '@temporalio/activity';
import { requestRedelivery } from '../temporal/call-events-client';
import { failedCallsPage, type RecoverRange } from '../db/deliveries-repo';
import type { ActivityDeps } from './index';

/** Signals sent at once while recovering: enough to be quick, few enough not to crowd the frontend. */
const SIGNALS_AT_ONCE = 8;

/**
 * One page of a recovery: the next `limit` calls with failed deliveries to the endpoint in the
 * range, each asked to redeliver them (signal-with-start: a finished call's workflow runs again).
 * A retry of the page signals its calls again, which is harmless: a call redelivers only what is
 * still failed.
 */
export async function recoverPage(
  deps: ActivityDeps,
  range: RecoverRange,
  afterSeq: string,
  limit: number,
): Promise<{ signalled: number; nextAfterSeq: string | null }> {
  const temporal = deps.temporal;
  if (!temporal) throw ApplicationFailure.nonRetryable('this worker has no Temporal client to signal calls with', 'NoTemporalClient');
  const calls = await failedCallsPage(deps.pool, range, { afterSeq, limit });
  const taskQueue = Context.current().info.taskQueue;
  for (let i = 0; i < calls.length; i += SIGNALS_AT_ONCE) {
    await Promise.all(
      calls.slice(i, i + SIGNALS_AT_ONCE).map(({ callId }) =>
        requestRedelivery(temporal, callId, { endpointId: range.endpointId, since: range.since, ...(range.until && { until: range.until }), source: 'api-recover' }, { taskQueue }),
      ),
    );
    Context.current().heartbeat(i);
  }
  deps.logger.info({ endpointId: range.endpointId, calls: calls.length }, 'recovery page signalled');
  return { signalled: calls.length, nextAfterSeq: calls.length === limit ? calls[calls.length - 1]!.firstSeq : null };
}
