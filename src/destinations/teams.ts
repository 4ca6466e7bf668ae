import type { Destination } from './destination';
import { httpDestination, type HttpDestinationOptions } from './http';
import {
  callFacts,
  callTitle,
  formatCallError,
  formatEventTime,
  type CallSummaryEvent,
  type CallSummaryOptions,
} from './call-summary';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** 1.4 is what Teams renders in Workflows and Incoming Webhook messages. */
export const ADAPTIVE_CARD_VERSION = '1.4';

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap: boolean;
  weight?: 'Bolder';
  size?: 'Medium' | 'Small';
  color?: 'Attention';
  isSubtle?: boolean;
  spacing?: 'None';
}

export interface FactSet {
  type: 'FactSet';
  facts: { title: string; value: string }[];
}

export interface AdaptiveCard {
  $schema: typeof ADAPTIVE_CARD_SCHEMA;
  type: 'AdaptiveCard';
  version: typeof ADAPTIVE_CARD_VERSION;
  body: (TextBlock | FactSet)[];
}

/** The message a Teams Workflows / Incoming Webhook URL takes: one Adaptive Card attachment. */
export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

/** The seeds' call summary as an Adaptive Card: title, the call's fields, the errors, the time. */
export function renderTeamsMessage(event: CallSummaryEvent, opts: CallSummaryOptions): TeamsMessage {
  const body: AdaptiveCard['body'] = [
    { type: 'TextBlock', text: callTitle(event.eventType, opts.brand), weight: 'Bolder', size: 'Medium', wrap: true },
    { type: 'FactSet', facts: callFacts(event).map((f) => ({ title: f.name, value: f.value })) },
  ];
  const { errors } = event.body;
  if (errors.length > 0) {
    body.push({ type: 'TextBlock', text: 'Errors', weight: 'Bolder', color: 'Attention', wrap: true });
    for (const error of errors)
      body.push({ type: 'TextBlock', text: formatCallError(error), color: 'Attention', wrap: true, spacing: 'None' });
  }
  body.push({ type: 'TextBlock', text: `Time: ${formatEventTime(event.occurredAt, opts.timeZone)}`, isSubtle: true, size: 'Small', wrap: true });
  return {
    type: 'message',
    attachments: [
      {
        contentType: ADAPTIVE_CARD_CONTENT_TYPE,
        contentUrl: null,
        content: { $schema: ADAPTIVE_CARD_SCHEMA, type: 'AdaptiveCard', version: ADAPTIVE_CARD_VERSION, body },
      },
    ],
  };
}

export interface TeamsDestinationOptions extends CallSummaryOptions, HttpDestinationOptions {}

/** Posts the card to a Teams Workflows / Incoming Webhook URL, classified by postAndClassify (Workflows answers 202). */
export function teamsDestination(opts: TeamsDestinationOptions): Destination {
  return httpDestination('teams', ({ event }) => ({ body: JSON.stringify(renderTeamsMessage(event, opts)) }), opts);
}
