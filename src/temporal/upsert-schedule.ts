/**
 * Creates a Temporal Schedule, or brings the existing one up to date (spec, action, the given
 * policies), leaving whether an operator paused it as it is. Safe from several workers at once:
 * a concurrent create makes the other one update. The retention and reconcile schedules use it.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';

export type UpsertScheduleOutcome = 'created' | 'updated';

/** `what` names the schedule in errors ("the retention schedule callhook-retention"). */
export async function upsertSchedule(
  client: Client,
  what: string,
  options: Pick<ScheduleOptions, 'scheduleId' | 'spec' | 'action' | 'policies'>,
): Promise<UpsertScheduleOutcome> {
  const { scheduleId, spec, action, policies } = options;
  try {
    await client.schedule.create({ scheduleId, spec, action, ...(policies && { policies }) });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) {
      throw new Error(`could not create ${what} ${scheduleId}: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies } }));
  } catch (updateErr) {
    throw new Error(`could not update ${what} ${scheduleId}: ${(updateErr as Error).message}`, { cause: updateErr });
  }
  return 'updated';
}
