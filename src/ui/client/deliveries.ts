/** What the page says and allows about a delivery, wherever it is shown (delivery log, call view). */
import type { DeliveryLogEntry, EndpointKind } from './api-types';
import { statusLabel } from './format';

/** Only a failed or skipped delivery can be sent again (POST /v1/deliveries/:id/retry). */
export function canRetry(delivery: Pick<DeliveryLogEntry, 'status'>): boolean {
  return delivery.status === 'failed' || delivery.status === 'skipped';
}

/** A pending delivery waiting out its backoff: it can be attempted now. */
export function canRetryNow(delivery: Pick<DeliveryLogEntry, 'status' | 'nextAttemptAt'>): boolean {
  return delivery.status === 'pending' && delivery.nextAttemptAt !== null;
}

/** The receiver's last answer: `HTTP 410: gone`, `SMTP 550: …`, or a connection error alone. */
export function lastResult(delivery: Pick<DeliveryLogEntry, 'lastStatusCode' | 'lastError'>, kind: EndpointKind | undefined): string {
  const status = statusLabel(kind, delivery.lastStatusCode);
  const error = delivery.lastError ?? '';
  // The error often names the status itself ("HTTP 500", "HTTP 500: upstream down"): said once.
  if (status && error.startsWith(status)) return error;
  return [status, error].filter(Boolean).join(': ') || '—';
}
