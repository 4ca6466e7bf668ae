/**
 * What the Temporal UI shows of a call: its search attributes (upserted only when they change),
 * the "current details" line, and the `state` query's answer.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
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
  ) {}

  /** Brings the search attributes and the details line up to date; cheap when nothing changed. */
  publish(waitingEvents: number, idleFinish: 'idle' | 'abandon' | null): void {
    const { record } = this;
    const state = deliveryState(record, this.lanes.values());
    const key = JSON.stringify([record.clientId, record.callStatus, record.lastEventType, state]);
    if (key !== this.published) {
      this.published = key;
      upsertSearchAttributes([
        ...(record.clientId ? [{ key: ClientId, value: record.clientId }] : []),
        ...(record.callStatus ? [{ key: CallStatus, value: record.callStatus }] : []),
        ...(record.lastEventType ? [{ key: LastEventType, value: record.lastEventType }] : []),
        { key: DeliveryState, value: state },
      ]);
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
