import type { Destination } from './destination';
import { httpDestination, type HttpDestinationOptions } from './http';
import { renderCallText, type CallSummaryEvent, type CallSummaryOptions } from './call-summary';

export interface SlackDestinationOptions extends CallSummaryOptions, HttpDestinationOptions {}

/**
 * Slack reads `&`, `<` and `>` as control characters (`<!channel>`, `<url|label>`), so they are
 * escaped as Slack asks: an error message can then never ping a channel or forge a link.
 * The text reads the same in the channel.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The JSON an Incoming Webhook receives: `{"text": …}` with the seeds' call text. */
export function renderSlackBody(event: CallSummaryEvent, opts: CallSummaryOptions): string {
  return JSON.stringify({ text: escapeSlackText(renderCallText(event, opts).text) });
}

/**
 * Posts to a Slack Incoming Webhook URL. Slack's answers are classified by postAndClassify:
 * its 4xx (invalid_payload, no_service, channel_is_archived…) are final, 429 waits Retry-After.
 */
export function slackDestination(opts: SlackDestinationOptions): Destination {
  return httpDestination('slack', ({ event }) => ({ body: renderSlackBody(event, opts) }), opts);
}
