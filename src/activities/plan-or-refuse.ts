/**
 * Planning as the workflows' activities do it: events that cannot be planned fail the activity
 * non-retryably (UNPLANNABLE_EVENTS), so the call's workflow refuses them instead of retrying for
 * ever with its inbox blocked behind them. Postgres being away is no such failure: it is retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { planEvents, type EventPlan } from '../db/lanes-repo';
import type { Queryable } from '../db/pool';
import { traceparentOf } from '../observability/trace-context';
import { callEventSchema, type CallEvent } from '../schemas/call-event';
import { UNPLANNABLE_EVENTS, describeIssues } from '../schemas/call-workflow-messages';

/** SQLSTATE classes of errors in the data itself (22: data exception, e.g. a NUL character, an instant out of range; 23: integrity). */
const DATA_ERROR_CLASSES = ['22', '23'];

export async function planOrRefuse(db: Queryable, events: CallEvent[], planKey: string): Promise<EventPlan> {
  for (const [index, event] of events.entries()) {
    const parsed = callEventSchema.safeParse(event);
    if (!parsed.success) {
      throw ApplicationFailure.create({ type: UNPLANNABLE_EVENTS, nonRetryable: true, message: `event #${index} (${String((event as { id?: unknown })?.id)}): ${describeIssues(parsed.error)}` });
    }
  }
  try {
    // Events of the Temporal-client door join the trace of the activity planning them (tracing on).
    return await planEvents(db, events, planKey, { traceparent: traceparentOf() });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && DATA_ERROR_CLASSES.includes(code.slice(0, 2))) {
      throw ApplicationFailure.create({
        type: UNPLANNABLE_EVENTS,
        nonRetryable: true,
        message: `Postgres refused ${events.length === 1 ? `event ${events[0]!.id}` : `${events.length} events`}: ${(err as Error).message} (SQLSTATE ${code})`,
        cause: err as Error,
      });
    }
    throw err;
  }
}
