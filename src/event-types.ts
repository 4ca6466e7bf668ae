/**
 * The event-type catalog: every event type callhook accepts, in one place.
 * `terminal` marks the events after which a call emits nothing more; the call's
 * workflow may finish once those are delivered and the call has been idle.
 * This module is pure data: the workflow bundle imports it too.
 */
export const EVENT_TYPES = {
  OUTBOUND_CALL_CALLING: { title: 'Outbound call calling', terminal: false },
  OUTBOUND_CALL_CONNECTED: { title: 'Outbound call connected', terminal: false },
  OUTBOUND_CALL_COMPLETED: { title: 'Outbound call completed', terminal: true },
  OUTBOUND_CALL_ERROR: { title: 'Outbound call error', terminal: true },
  INBOUND_CALL_ESTABLISHED: { title: 'Inbound call established', terminal: false },
  INBOUND_CALL_COMPLETED: { title: 'Inbound call completed', terminal: true },
  INBOUND_CALL_ERROR: { title: 'Inbound call error', terminal: true },
} as const satisfies Record<string, { title: string; terminal: boolean }>;

export type EventType = keyof typeof EVENT_TYPES;

export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as [EventType, ...EventType[]];

/** The subscription wildcard: an endpoint subscribed to `*` receives every event type. */
export const ALL_EVENTS = '*';

export function isTerminalEventType(eventType: string): boolean {
  return eventType in EVENT_TYPES && EVENT_TYPES[eventType as EventType].terminal;
}

export function eventTitle(eventType: string): string {
  return eventType in EVENT_TYPES ? EVENT_TYPES[eventType as EventType].title : eventType;
}
