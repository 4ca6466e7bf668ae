/**
 * The events the benchmark sends: ids, event types, and the JSON a receiver gets — callhook's
 * delivery body, which the wire baseline posts as is and the floor carries as its signal payload,
 * so all three move the same bytes.
 */
import type { BenchEvent } from './types';
import { range } from './stats';

export const NON_TERMINAL_EVENT_TYPE = 'OUTBOUND_CALL_CONNECTED';
export const TERMINAL_EVENT_TYPE = 'OUTBOUND_CALL_COMPLETED';

export const eventTypeOf = (event: BenchEvent): string => (event.terminal ? TERMINAL_EVENT_TYPE : NON_TERMINAL_EVENT_TYPE);

/** The JSON callhook POSTs to a custom endpoint (see the README, "What a custom endpoint receives"). */
export interface DeliveredEvent {
  id: string;
  eventType: string;
  occurredAt: string;
  body: { data: { callId: string; clientId: string; seq: number }; errors: never[] };
}

export function deliveredEvent(event: BenchEvent, clientId: string): DeliveredEvent {
  return {
    id: event.id,
    eventType: eventTypeOf(event),
    occurredAt: new Date().toISOString(),
    body: { data: { callId: event.callId, clientId, seq: event.seq }, errors: [] },
  };
}

/** What a receiver needs from a request body to check order and measure latency. */
export interface DeliveryKey {
  id: string;
  callId: string;
  seq: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Reads id, callId and seq from a delivered body; undefined when it is not one of ours. */
export function deliveryKeyOf(json: unknown): DeliveryKey | undefined {
  if (!isRecord(json) || typeof json.id !== 'string' || !isRecord(json.body)) return undefined;
  const data = json.body.data;
  if (!isRecord(data) || typeof data.callId !== 'string' || typeof data.seq !== 'number') return undefined;
  return { id: json.id, callId: data.callId, seq: data.seq };
}

/** `calls` calls of `eventsPerCall` events each; ids start with `tag`; the last event of each call is terminal. */
export function callsOf(tag: string, calls: number, eventsPerCall: number, terminalLast = true): BenchEvent[][] {
  return range(calls).map((call) => {
    const callId = `${tag}-c${call}`;
    return range(eventsPerCall).map((seq) => ({
      id: `${callId}-e${seq}`,
      callId,
      seq,
      terminal: terminalLast && seq === eventsPerCall - 1,
    }));
  });
}
