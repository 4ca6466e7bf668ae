import nodemailer from 'nodemailer';
import type { AttemptRequest, AttemptResult, Destination } from './destination';
import { renderCallText, type CallSummaryOptions } from './call-summary';
import { HEADERS } from './custom';

export interface EmailDestinationOptions extends CallSummaryOptions {
  /** `smtp://user:pass@host:587` or `smtps://…:465`. */
  smtpUrl: string;
  /** The From address: `callhook <alerts@example.com>`. */
  from: string;
  /** Connect, greeting and socket-inactivity timeout of the SMTP connection; 10 s when not given. */
  timeoutMs?: number;
}

/** SMTP codes that say nothing about this message: a configuration callhook cannot fix by retrying. */
const FINAL_WITHOUT_REPLY = new Set(['ECONFIG', 'ENOAUTH', 'EMAXRECIPIENTS']);

interface SmtpError {
  message: string;
  code?: string | undefined;
  responseCode?: number | undefined;
  response?: string | undefined;
}

/**
 * Sends the seeds' call text by email: subject = the title, text = the summary, to the
 * endpoint's address, through one pooled SMTP transport.
 * A reply code rides in `statusCode`. 5xx replies are final (but 503, bad sequence of
 * commands, which a new connection can clear), 4xx replies and errors without a reply
 * (refused, timed out, dropped connection) are retried.
 */
export function emailDestination(opts: EmailDestinationOptions): Destination & { close(): void } {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    url: opts.smtpUrl,
    pool: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    kind: 'email',
    async attempt(request: AttemptRequest): Promise<AttemptResult> {
      const { endpoint, event } = request;
      if (!endpoint.email) return { outcome: 'final', statusCode: null, error: 'endpoint has no email', responseExcerpt: null };
      const { title, text } = renderCallText(event, opts);
      try {
        const info = await transport.sendMail({
          from: opts.from,
          to: endpoint.email,
          subject: title,
          text,
          headers: { [HEADERS.eventId]: event.id, [HEADERS.deliveryId]: request.deliveryId },
          signal: request.signal,
        });
        return { outcome: 'succeeded', statusCode: null, responseExcerpt: info.response };
      } catch (err) {
        return classifySmtpError(toSmtpError(err), request.signal);
      }
    },
    close(): void {
      transport.close();
    },
  };
}

/** How a failed send ends: by its SMTP reply code when there is one, else by what went wrong. */
export function classifySmtpError(err: SmtpError, signal?: AbortSignal): AttemptResult {
  if (signal?.aborted) return { outcome: 'retryable', statusCode: null, error: describeAbort(signal), responseExcerpt: null };
  const statusCode = err.responseCode ?? null;
  const responseExcerpt = err.response ?? null;
  const error = err.code ? `${err.code}: ${err.message}` : err.message;
  if (statusCode !== null) {
    const permanent = statusCode >= 500 && statusCode < 600 && statusCode !== 503;
    return { outcome: permanent ? 'final' : 'retryable', statusCode, error, responseExcerpt };
  }
  if (err.code && FINAL_WITHOUT_REPLY.has(err.code)) return { outcome: 'final', statusCode, error, responseExcerpt };
  return { outcome: 'retryable', statusCode, error, responseExcerpt };
}

function toSmtpError(err: unknown): SmtpError {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = err as Error & Partial<Record<'code' | 'response' | 'responseCode', unknown>>;
  return {
    message: err.message,
    code: typeof fields.code === 'string' ? fields.code : undefined,
    responseCode: typeof fields.responseCode === 'number' ? fields.responseCode : undefined,
    response: typeof fields.response === 'string' ? fields.response : undefined,
  };
}

function describeAbort(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return `timed out: ${reason.message}`;
  return `aborted: ${reason instanceof Error ? reason.message : String(reason)}`;
}
