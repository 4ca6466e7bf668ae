/**
 * What the Temporal UI shows of a call: its search attributes (upserted only when they change),
 * the "current details" line, and the `state` query's answer.
 *
 * Each upsert is a billed Temporal action. Runs before the `fewer-actions` patch upsert at every
 * publish whose attributes differ from the last upsert's. Later runs (`lean`) upsert at `flush`
 * only — where the workflow is about to wait — and only the attributes that differ from what the
 * run has (workflowInfo): those its starter set (the outbox relay's signal-with-start) or an
 * earlier run left (continue-as-new) count as published.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { CallStatus, ClientId, DeliveryState, LastEventType, type DeliveryStateValue } from '../temporal/search-attributes';
import type { CallRecord } from './call-record';
import type { Lane } from './lanes';
import type { CallStateView } from './messages';

const QUEUED_LISTED = 20;

export function deliveryState(record: CallRecord, lanes: Iterable<Lane>): DeliveryStateValue {
  if (record.failedCount > 0) return 'failed';
  let held = false;
  for (const lane of lanes) {
    if (lane.retry?.lastError) return 'retrying';
    // Waiting out a rate limit is delivering, not held.
    if (lane.held && lane.held.reason !== 'rate_limited') held = true;
  }
  return held ? 'held' : 'ok';
}

export class CallView {
  private published = '';

  constructor(
    private readonly callId: string,
    private readonly record: CallRecord,
    private readonly lanes: Map<string, Lane>,
    /** Upsert at `flush` only, and only what differs from what the run has (see above). */
    private readonly lean: boolean,
  ) {}

  /** The call's search attributes as they should be now (those it knows nothing of yet left out). */
  private searchAttributes(state: DeliveryStateValue): { key: typeof ClientId; value: string }[] {
    const { record } = this;
    return [
      ...(record.clientId ? [{ key: ClientId, value: record.clientId }] : []),
      ...(record.callStatus ? [{ key: CallStatus, value: record.callStatus }] : []),
      ...(record.lastEventType ? [{ key: LastEventType, value: record.lastEventType }] : []),
      { key: DeliveryState, value: state },
    ];
  }

  /**
   * Brings the details line up to date, and (runs before the patch) the search attributes; cheap when nothing
   * changed. A lean run's search attributes wait for `flush`.
   */
  publish(waitingEvents: number, idleFinish: 'idle' | 'abandon' | null): void {
    const { record } = this;
    if (!this.lean) {
      const state = deliveryState(record, this.lanes.values());
      const key = JSON.stringify([record.clientId, record.callStatus, record.lastEventType, state]);
      if (key !== this.published) {
        this.published = key;
        upsertSearchAttributes(this.searchAttributes(state));
      }
    }
    const lanes = [...this.lanes.values()];
    const inFlight = lanes.filter((lane) => lane.current).length;
    const queued = lanes.reduce((n, lane) => n + lane.items.length, 0);
    const more = lanes.some((lane) => lane.more) ? '+' : '';
    const lines = [
      `**${inFlight}** lanes delivering, **${queued}${more}** deliveries queued, **${waitingEvents}** events waiting.`,
      ...lanes
        .filter((lane) => lane.retry?.lastError)
        .map((lane) => `- retrying \`${lane.retry!.deliveryId}\`: attempt ${lane.retry!.attempts} failed: ${lane.retry!.lastError}`),
      ...lanes
        .filter((lane) => lane.held && lane.held.reason !== 'rate_limited')
        .map((lane) => `- waiting: ${lane.held!.message}${lane.held!.reason === 'paused' ? ' (resume it to deliver)' : ''}`),
      record.failedCount > 0 ? `**${record.failedCount}** failed deliveries: signal \`redeliver\` with \`{}\` to send them again.` : '',
      idleFinish ? `Idle: finishes after the ${idleFinish} period unless an event or a signal arrives.` : '',
    ];
    setCurrentDetails(lines.filter(Boolean).join('\n'));
  }

  /** A lean run's search attributes brought up to date: one upsert of those that differ from the run's, if any. */
  flush(): void {
    if (!this.lean) return;
    const current = workflowInfo().typedSearchAttributes;
    const changed = this.searchAttributes(deliveryState(this.record, this.lanes.values())).filter(({ key, value }) => current.get(key) !== value);
    if (changed.length > 0) upsertSearchAttributes(changed);
  }

  state(waitingEvents: number): CallStateView {
    const { record } = this;
    return {
      callId: this.callId,
      clientId: record.clientId,
      deliveryState: deliveryState(record, this.lanes.values()),
      terminalSeen: record.terminalSeen,
      waitingEvents,
      recentEvents: record.recentEvents,
      lanes: [...this.lanes.values()].map((lane) => {
        const head = lane.items[0];
        const busy = head && (lane.current?.deliveryIds.includes(head.deliveryId) || lane.retry?.deliveryId === head.deliveryId);
        const retry = lane.retry?.deliveryId === head?.deliveryId ? lane.retry : null;
        const queued = lane.items.slice(busy ? 1 : 0);
        return {
          endpointId: lane.endpointId,
          inFlight:
            head && busy
              ? {
                  deliveryId: head.deliveryId,
                  eventType: head.eventType,
                  lastAttempt: retry?.attempts ?? null,
                  lastError: retry?.lastError ?? null,
                  nextAttemptAt: retry?.nextAttemptAt ? new Date(retry.nextAttemptAt).toISOString() : null,
                }
              : null,
          queued: queued.slice(0, QUEUED_LISTED).map((item) => item.deliveryId),
          queuedCount: queued.length,
          more: lane.more,
          held: lane.held && { reason: lane.held.reason, message: lane.held.message, until: lane.held.until === null ? null : new Date(lane.held.until).toISOString() },
        };
      }),
      failures: [...record.failures].reverse(),
      failedCount: record.failedCount,
      totals: record.totals,
      rejected: [...record.rejected].reverse(),
    };
  }
}
