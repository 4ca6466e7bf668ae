/**
 * The event-type catalog: every event type callhook knows, in one place.
 * `terminal` marks the events after which a call emits nothing more; the call's
 * workflow may finish once those are delivered and the call has been idle.
 * `system` types are emitted by callhook itself, never submitted by the platform, and are
 * not part of the `*` subscription: an endpoint subscribes to them by name.
 * This module is pure data: the workflow bundle imports it too.
 */
export const EVENT_TYPES = {
  OUTBOUND_CALL_CALLING: { title: 'Outbound call calling', terminal: false, system: false },
  OUTBOUND_CALL_CONNECTED: { title: 'Outbound call connected', terminal: false, system: false },
  OUTBOUND_CALL_COMPLETED: { title: 'Outbound call completed', terminal: true, system: false },
  OUTBOUND_CALL_ERROR: { title: 'Outbound call error', terminal: true, system: false },
  INBOUND_CALL_ESTABLISHED: { title: 'Inbound call established', terminal: false, system: false },
  INBOUND_CALL_COMPLETED: { title: 'Inbound call completed', terminal: true, system: false },
  INBOUND_CALL_ERROR: { title: 'Inbound call error', terminal: true, system: false },
  /** A delivery of this client's finally failed (the Recover seed's webhook.delivery_failed). */
  WEBHOOK_DELIVERY_FAILED: { title: 'Webhook delivery failed', terminal: false, system: true },
  /** One of this client's endpoints was disabled by callhook (410 Gone, or failing for ENDPOINT_DISABLE_AFTER). */
  WEBHOOK_ENDPOINT_DISABLED: { title: 'Webhook endpoint disabled', terminal: false, system: true },
  /** Sent by `POST /v1/endpoints/:id/test` to that endpoint only. */
  WEBHOOK_TEST: { title: 'Webhook test', terminal: true, system: true },
} as const satisfies Record<string, { title: string; terminal: boolean; system: boolean }>;

export type EventType = keyof typeof EVENT_TYPES;

export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as [EventType, ...EventType[]];

/** The types a platform submits: the catalog without the system types. */
export const CALL_EVENT_TYPE_NAMES = EVENT_TYPE_NAMES.filter((name) => !EVENT_TYPES[name].system) as [
  EventType,
  ...EventType[],
];

export const DELIVERY_FAILED_EVENT: EventType = 'WEBHOOK_DELIVERY_FAILED';
export const TEST_EVENT: EventType = 'WEBHOOK_TEST';
export const ENDPOINT_DISABLED_EVENT: EventType = 'WEBHOOK_ENDPOINT_DISABLED';

/** A test event, or a type's example sent as one (`POST /v1/endpoints/:id/test`): addressed to one endpoint. */
export function isTestEvent(event: { eventType: string; targetEndpointId?: string | undefined }): boolean {
  return event.eventType === TEST_EVENT || event.targetEndpointId !== undefined;
}

export function isSystemEventType(eventType: string): boolean {
  return eventType in EVENT_TYPES && EVENT_TYPES[eventType as EventType].system;
}

/** The subscription wildcard: an endpoint subscribed to `*` receives every event type. */
export const ALL_EVENTS = '*';

export function isTerminalEventType(eventType: string): boolean {
  return eventType in EVENT_TYPES && EVENT_TYPES[eventType as EventType].terminal;
}

export function eventTitle(eventType: string): string {
  return eventType in EVENT_TYPES ? EVENT_TYPES[eventType as EventType].title : eventType;
}
