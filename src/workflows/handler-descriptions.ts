/**
 * What each of the call workflow's signals and queries takes, with an example input: registered
 * with the handlers, so the Temporal Web UI's "Send a Signal" dialog and `temporal workflow
 * metadata` show an operator how to use them. A message that does not fit is refused (see the
 * `rejected` list of the `state` query), never applied half-way.
 */
export const HANDLER_DESCRIPTIONS = {
  callEvent:
    'A call event, in emission order (platform services: use emitCallEvent, or POST /v1/events). ' +
    'Input: {"id":"evt_1","eventType":"OUTBOUND_CALL_CONNECTED","occurredAt":"2026-01-01T00:00:00Z","body":{"data":{"callId":"<this call>","clientId":"client-1"},"errors":[]}}',
  callEvents:
    'A call\'s events in order, up to 500, each as callEvent takes it (sent by callhook\'s outbox relay, and by emitCallEvents); ' +
    'a bad event is refused alone, the others are taken. "planned" (the deliveries planned for it) is optional. ' +
    'Input: {"events":[{"event":{"id":"evt_1","eventType":"OUTBOUND_CALL_CONNECTED","occurredAt":"2026-01-01T00:00:00Z","body":{"data":{"callId":"<this call>","clientId":"client-1"},"errors":[]}}}]}',
  redeliver:
    'Send finally-failed deliveries of this call again, in their original order. No input or {} = all of them; ' +
    'narrow with {"deliveryId":"dlv_…"} (failed or skipped), {"endpointId":"ep_…"}, "since"/"until" (ISO-8601). Unknown fields are refused.',
  retryNow:
    'A delivery of this call that waits out its backoff (DeliveryState "retrying") is attempted now; if it fails again its retries go on from there. ' +
    'Input: {"deliveryId":"dlv_…"}',
  skip: 'Give up one delivery of this call (retrying, under way, or queued) so its endpoint\'s lane moves on. Input: {"deliveryId":"dlv_…","reason":"receiver retired"}',
  pauseEndpoint:
    'Pause one of this call\'s endpoints for every call (as POST /v1/endpoints/:id/pause): its deliveries wait, neither attempted nor failed. Input: {"endpointId":"ep_…"}',
  resumeEndpoint: 'Resume a paused endpoint (as POST /v1/endpoints/:id/resume); its waiting deliveries go out, per call in order. Input: {"endpointId":"ep_…"}',
  endpointReady: 'Sent by callhook: an endpoint this call waits for may be sent to again (resumed, circuit closed). Input: {"endpointId":"ep_…"}',
  deliveryAttemptFailed:
    'Sent by callhook\'s delivery activity: an attempt failed and will be retried (shown as DeliveryState "retrying"). ' +
    'Input: {"deliveryId":"dlv_…","attemptNumber":2,"error":"HTTP 503","nextAttemptAt":1767225600000}',
  state: 'The call as its workflow sees it: events, per-endpoint lanes (in flight, queued, held), failures, and the messages it refused lately. No input.',
} as const;
