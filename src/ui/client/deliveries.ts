/** What the page says and allows about a delivery, wherever it is shown (delivery log, call view). */
import type { DeliveryLogEntry, EndpointKind } from './api-types';
import { statusLabel } from './format';

/** Only a failed or skipped delivery can be sent again (POST /v1/deliveries/:id/retry). */
export function canRetry(delivery: Pick<DeliveryLogEntry, 'status'>): boolean {
  return delivery.status === 'failed' || delivery.status === 'skipped';
}

/** The receiver's last answer: `HTTP 410: gone`, `SMTP 550: …`, or a connection error alone. */
export function lastResult(delivery: Pick<DeliveryLogEntry, 'lastStatusCode' | 'lastError'>, kind: EndpointKind | undefined): string {
  return [statusLabel(kind, delivery.lastStatusCode), delivery.lastError ?? ''].filter(Boolean).join(': ') || '—';
}
