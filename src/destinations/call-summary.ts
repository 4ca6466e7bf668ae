import type { CallError, CallEvent } from '../schemas/call-event';
import { eventTitle } from '../domain/event-types';

/** The separator line of the seeds' Slack text. */
export const RULE = '━━━━━━━━━━━━━━';

export interface CallSummaryOptions {
  /** Shown in brackets before the title: `[Recho] Outbound call error`. */
  brand: string;
  /** IANA time zone the time is shown in, such as `UTC` or `Asia/Tokyo`. */
  timeZone: string;
}

/** What a summary reads of an event; a CallEvent fits, and so does a test event of a type outside the catalog. */
export type CallSummaryEvent = Pick<CallEvent, 'occurredAt' | 'body'> & { eventType: string };

export interface CallFact {
  name: string;
  value: string;
}

/** `[Recho] Outbound call error`; a type outside the catalog is humanised: `WEBHOOK_TEST` → `Webhook test`. */
export function callTitle(eventType: string, brand: string): string {
  return `[${brand}] ${humanEventTitle(eventType)}`;
}

function humanEventTitle(eventType: string): string {
  const title = eventTitle(eventType);
  if (title !== eventType || !/^[A-Z0-9]+(_[A-Z0-9]+)*$/.test(eventType)) return title;
  const words = eventType.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The call's fields in the seeds' order; callStatus and callSid only when present. */
export function callFacts(event: CallSummaryEvent): CallFact[] {
  const { data } = event.body;
  const facts: CallFact[] = [{ name: 'callId', value: data.callId }];
  if (data.callStatus) facts.push({ name: 'callStatus', value: data.callStatus });
  if (data.callSid) facts.push({ name: 'callSid', value: data.callSid });
  facts.push({ name: 'clientId', value: data.clientId });
  return facts;
}

/** `[NETWORK_ERROR] Connection timed out (phase: CONNECTING)`; without a phase, no `(phase: …)`. */
export function formatCallError(error: CallError): string {
  const phase = error.phase ? ` (phase: ${error.phase})` : '';
  return `[${error.code}] ${error.message}${phase}`;
}

/** `2026-05-12 10:24:00`, the instant shown in the given IANA time zone. */
export function formatEventTime(occurredAt: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(occurredAt));
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

/**
 * The event as the seeds' Slack text (also the email's subject and body):
 * title, rule, the call's fields, rule, the errors and a rule when there are any, the time.
 */
export function renderCallText(event: CallSummaryEvent, opts: CallSummaryOptions): { title: string; text: string } {
  const title = callTitle(event.eventType, opts.brand);
  const lines = [title, RULE, ...callFacts(event).map((f) => `${f.name}: ${f.value}`), RULE];
  const { errors } = event.body;
  if (errors.length > 0) lines.push('Errors:', ...errors.map((e) => `- ${formatCallError(e)}`), RULE);
  lines.push(`Time: ${formatEventTime(event.occurredAt, opts.timeZone)}`);
  return { title, text: lines.join('\n') };
}
