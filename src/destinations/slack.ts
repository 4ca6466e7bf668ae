import type { AttemptRequest, AttemptResult, Destination } from './destination';
import { postAndClassify } from './http';
import { renderCallText, type CallSummaryEvent, type CallSummaryOptions } from './call-summary';

export interface SlackDestinationOptions extends CallSummaryOptions {
  retryAfterMaxMs: number;
  excerptBytes: number;
}

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
  return {
    kind: 'slack',
    async attempt(request: AttemptRequest): Promise<AttemptResult> {
      const { endpoint, event } = request;
      if (!endpoint.url) return { outcome: 'final', statusCode: null, error: 'endpoint has no url', responseExcerpt: null };
      return postAndClassify(
        {
          url: endpoint.url,
          headers: { 'content-type': 'application/json' },
          body: renderSlackBody(event, opts),
          signal: request.signal,
          excerptBytes: opts.excerptBytes,
        },
        opts.retryAfterMaxMs,
      );
    },
  };
}
