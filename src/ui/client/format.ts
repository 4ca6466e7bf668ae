/** How the page writes times, durations, rates and endpoints. */
import type { AuthView, CircuitView, EndpointKind, EndpointView } from './api-types';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const hourOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function formatTime(iso: string | null): string {
  return iso === null ? '—' : dateTime.format(new Date(iso));
}

export function formatHour(iso: string): string {
  return hourOnly.format(new Date(iso));
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** `1 delivery`, `2 deliveries`. */
export function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatRate(rate: number | null): string {
  if (rate === null) return '—';
  const percent = Math.round(rate * 1000) / 10;
  return `${Number.isInteger(percent) ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

export const KIND_LABELS: Record<EndpointKind, string> = {
  custom: 'Custom',
  slack: 'Slack',
  teams: 'Microsoft Teams',
  email: 'Email',
};

export const AUTH_LABELS: Record<AuthView['type'], string> = {
  none: 'None',
  bearer: 'Bearer token',
  basic: 'Basic (username and password)',
  oauth2: 'OAuth 2.0 client credentials',
  rsa: 'RSA signature',
  hmac: 'HMAC (Standard Webhooks)',
  'hmac-hex': 'HMAC, hex digest',
};

/** A retry delay as people say it: `30 s`, `5 min`, `2 h`, `1.5 s`. */
export function formatDelay(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** An endpoint's retry schedule: the default, none, or its delays in order. */
export function retryLabel(retry: EndpointView['retry']): string {
  if (retry === null) return 'Default schedule';
  if (retry.delaysMs.length === 0) return 'No retries (one attempt)';
  return `${count(retry.delaysMs.length, 'retry', 'retries')}, after ${retry.delaysMs.map(formatDelay).join(', ')}`;
}

/** Where an endpoint sends: its url (Slack/Teams: shown redacted by the API) or its address. */
export function targetOf(endpoint: Pick<EndpointView, 'url' | 'email'>): string {
  return endpoint.url ?? endpoint.email ?? '—';
}

export function triggersLabel(events: readonly string[]): string {
  return events.includes('*') ? 'All call events' : events.join(', ');
}

/** An ISO instant as a `datetime-local` input's value (local time, minutes). */
export function toLocalInput(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** A `datetime-local` input's value as an ISO instant; undefined when empty or not a time. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A receiver's status code as the page writes it: an HTTP status, or an SMTP reply code for email. */
export function statusLabel(kind: EndpointKind | undefined, code: number | null): string {
  if (code === null) return '';
  return `${kind === 'email' ? 'SMTP' : 'HTTP'} ${code}`;
}

/** The circuit breaker's state in words; null while it is closed (nothing to say). */
export function circuitLabel(circuit: CircuitView): string | null {
  const failing = circuit.failingCalls > 0 ? `, ${count(circuit.failingCalls, 'call', 'calls')} failing since ${formatTime(circuit.failingSince)}` : '';
  switch (circuit.state) {
    case 'closed':
      return null;
    case 'open':
      return `Circuit open until ${formatTime(circuit.retryAt)}${failing}`;
    case 'probing':
      return `Circuit probing: one delivery tries the endpoint, the others wait${failing}`;
  }
}
