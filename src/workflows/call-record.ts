/**
 * What a call's workflow knows of its call beyond the lanes: who it is, what it reported last,
 * its totals, and its latest events and failures — each with a fixed cap, so what continue-as-new
 * carries has a bound whatever the call's length. The full record is in Postgres.
 */
import { ERROR_CHARS, FAILURES_KEPT, type CallSummary, type FailureSummary, type RejectedMessage } from '../schemas/call-workflow-messages';
import type { CallTotals, CarriedState, EventSummary } from './messages';

export { ERROR_CHARS, FAILURES_KEPT };

export const RECENT_EVENTS_KEPT = 20;
/** Messages the workflow refused, the latest kept. */
export const REJECTED_KEPT = 20;
/** Ids are at most 200 characters (schemas), event types are short: the caps bound the carried size. */

export class CallRecord implements CarriedState {
  clientId: string | null;
  callStatus: string | null;
  lastEventType: string | null;
  terminalSeen: boolean;
  failedCount: number;
  failures: FailureSummary[];
  recentEvents: EventSummary[];
  totals: CallTotals;
  rejected: RejectedMessage[];

  constructor(carried?: CarriedState) {
    this.clientId = carried?.clientId ?? null;
    this.callStatus = carried?.callStatus ?? null;
    this.lastEventType = carried?.lastEventType ?? null;
    this.terminalSeen = carried?.terminalSeen ?? false;
    this.failedCount = carried?.failedCount ?? 0;
    this.failures = [...(carried?.failures ?? [])];
    this.recentEvents = [...(carried?.recentEvents ?? [])];
    this.totals = { ...(carried?.totals ?? { events: 0, succeeded: 0, failed: 0 }) };
    this.rejected = [...(carried?.rejected ?? [])];
  }

  /** A run that starts without a carried record (a new call, a late event, a redelivery) learns it from Postgres. */
  learn(summary: CallSummary): void {
    this.clientId ??= summary.clientId;
    this.callStatus ??= summary.callStatus;
    this.lastEventType ??= summary.lastEventType;
    this.terminalSeen ||= summary.terminalSeen;
    this.failedCount = summary.failedCount;
    this.failures = summary.failures.slice(-FAILURES_KEPT);
  }

  noteEvent(summary: EventSummary): void {
    this.recentEvents.push(summary);
    if (this.recentEvents.length > RECENT_EVENTS_KEPT) this.recentEvents.shift();
  }

  noteFailure(failure: FailureSummary): void {
    this.totals.failed++;
    this.failedCount++;
    this.failures.push({ ...failure, error: failure.error.slice(0, ERROR_CHARS) });
    if (this.failures.length > FAILURES_KEPT) this.failures.shift();
  }

  noteRejected(rejected: RejectedMessage): void {
    this.rejected.push(rejected);
    if (this.rejected.length > REJECTED_KEPT) this.rejected.shift();
  }

  /** Deliveries reopened by a redelivery are no longer failed; Postgres says how many still are. */
  noteRedelivered(reopened: Set<string>, failedCount: number): void {
    this.failures = this.failures.filter((f) => !reopened.has(f.deliveryId));
    this.failedCount = failedCount;
  }

  toCarried(): CarriedState {
    return {
      clientId: this.clientId,
      callStatus: this.callStatus,
      lastEventType: this.lastEventType,
      terminalSeen: this.terminalSeen,
      failedCount: this.failedCount,
      failures: this.failures,
      recentEvents: this.recentEvents,
      totals: this.totals,
      // Absent while empty: carried inputs stay as they were before messages were validated.
      ...(this.rejected.length > 0 && { rejected: this.rejected }),
    };
  }
}
