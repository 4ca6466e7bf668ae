/**
 * Prometheus metrics of this process. The API serves them at GET /metrics, together with the
 * Temporal SDK's worker metrics when the worker runs in the same process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'callhook_process_' });

export const eventsAccepted = new Counter({
  name: 'callhook_events_accepted_total',
  help: 'Call events accepted by the API: stored and planned, answered 202 (replays of the same id not counted)',
  labelNames: ['event_type'] as const,
  registers: [registry],
});

export const deliveryAttempts = new Counter({
  name: 'callhook_delivery_attempts_total',
  help: 'Delivery attempts by destination kind and outcome (succeeded, retryable, final; cancelled: abandoned because the delivery was skipped, no attempt of its round)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const workflowMessagesRejected = new Counter({
  name: 'callhook_workflow_messages_rejected_total',
  help: 'Signals (and workflow inputs) the call workflow refused as malformed, by message name; the call state query lists the latest',
  labelNames: ['message'] as const,
  registers: [registry],
});

export const attemptDuration = new Histogram({
  name: 'callhook_delivery_attempt_duration_seconds',
  help: 'Duration of one delivery attempt, request to last byte read',
  labelNames: ['kind', 'outcome'] as const,
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const deliveriesEnded = new Counter({
  name: 'callhook_deliveries_total',
  help: 'Deliveries that ended, by destination kind and outcome (succeeded, failed, skipped)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const deliveriesHeld = new Counter({
  name: 'callhook_deliveries_held_total',
  help: 'Deliveries not attempted because their endpoint may not be sent to now, by reason (paused, circuit_open, rate_limited)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const circuitTransitions = new Counter({
  name: 'callhook_circuit_transitions_total',
  help: 'Endpoint circuit breakers opened (or opened again after a failed probe) and closed',
  labelNames: ['to'] as const,
  registers: [registry],
});

export const endpointsDisabled = new Counter({
  name: 'callhook_endpoints_disabled_total',
  help: 'Endpoints disabled by callhook, by cause (gone: a 410; failing: every delivery failed for ENDPOINT_DISABLE_AFTER)',
  labelNames: ['cause'] as const,
  registers: [registry],
});

export const endpointsByState = new Gauge({
  name: 'callhook_endpoints',
  help: 'Live endpoints that are paused, disabled, or have their circuit open (read from Postgres at each scrape)',
  labelNames: ['state'] as const,
  registers: [registry],
});

export const outboxBacklog = new Gauge({
  name: 'callhook_outbox_backlog',
  help: 'Events accepted and not yet signalled to their call workflow (counted up to OUTBOX_MAX_PENDING)',
  registers: [registry],
});

export const outboxSignals = new Counter({
  name: 'callhook_outbox_signals_total',
  help: 'Signals the outbox relay sent: callEvents (one per call and batch), endpointReady (wake-ups)',
  labelNames: ['signal'] as const,
  registers: [registry],
});

export const outboxRelayErrors = new Counter({
  name: 'callhook_outbox_relay_errors_total',
  help: 'Outbox relay rounds that failed (Postgres or Temporal unreachable); their work waits and is tried again',
  registers: [registry],
});

export const clientCertificateExpiry = new Gauge({
  name: 'callhook_client_certificate_expiry_timestamp_seconds',
  help: "When the client certificate an endpoint presents (mutual TLS) expires, Unix seconds; set as deliveries use it (alert on it minus time() < 14 days)",
  labelNames: ['endpoint_id'] as const,
  registers: [registry],
});
