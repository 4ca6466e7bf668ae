/**
 * Which workflow ids are calls. A call's workflow id is its callId; callhook's own workflows have ids of their own:
 * the retention and reconcile schedules (`callhook-retention`, `callhook-reconcile`, and their runs: the id and the
 * time they fired) and endpoint recoveries (`recover-<endpointId>-<uuid>`). The payload codec encrypts a call's
 * payloads under the call's data key (erasable), and the others' under the payload key ring.
 */

/** The schedules' ids (src/temporal/retention-schedule.ts, reconcile-schedule.ts); test/payload-codec.test.ts checks they agree. */
export const SYSTEM_SCHEDULE_IDS = ['callhook-retention', 'callhook-reconcile'] as const;

const SCHEDULED = new RegExp(`^(?:${SYSTEM_SCHEDULE_IDS.join('|')})(?:-.*)?$`);
/** `recover-<endpointId>-<uuid>` (src/api/routes/operations.ts). */
const RECOVERY = /^recover-ep_[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a workflow id is a call's (its callId), not one of callhook's own workflows. */
export function isCallWorkflowId(workflowId: string): boolean {
  return workflowId !== '' && !SCHEDULED.test(workflowId) && !RECOVERY.test(workflowId);
}
