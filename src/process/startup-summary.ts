import path from 'node:path';
import type { LogFormat } from '../observability/log-format';
import { logFormatOf, logger as defaultLogger, type Logger } from '../observability/logger';

/** The addresses `npm start` ends its start-up with: what a user opens next. */
export interface StartupAddresses {
  /** The Webhooks page: `http://HOST:PORT/`. */
  page: string;
  /** The API: `http://HOST:PORT/v1`. */
  api: string;
  /** The Temporal Web UI of the local dev server; absent with TEMPORAL_ADDRESS (a Temporal run elsewhere). */
  temporalUi?: string;
  /** The Temporal frontend callhook talks to. */
  temporalAddress: string;
  /** DATA_DIR, absolute: embedded Postgres, dev-server state, generated keys. */
  dataDir: string;
}

/** The addresses of an API answering at `baseUrl` (as a browser on this machine reaches it). */
export function startupAddresses(input: { baseUrl: string; temporalAddress: string; temporalUi?: string; dataDir: string }): StartupAddresses {
  const base = input.baseUrl.replace(/\/+$/, '');
  return {
    page: `${base}/`,
    api: `${base}/v1`,
    ...(input.temporalUi !== undefined && { temporalUi: input.temporalUi }),
    temporalAddress: input.temporalAddress,
    dataDir: path.resolve(input.dataDir),
  };
}

export interface ReportOptions {
  /** The shared logger and its stdout format by default. */
  logger: Logger;
  format: LogFormat;
  /** Where the pretty block is written; stdout by default. */
  write: (text: string) => unknown;
  color: boolean;
}

/**
 * Ends start-up. JSON logs: one record, `callhook running`, with the addresses and `details`.
 * Pretty logs: that record's line with `details`, then the addresses as a short block.
 */
export function reportStartup(addresses: StartupAddresses, details: Record<string, unknown>, options: Partial<ReportOptions> = {}): void {
  const logger = options.logger ?? defaultLogger;
  const format = options.format ?? logFormatOf('stdout');
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  if (format === 'json') {
    logger.info({ ...addresses, ...details }, 'callhook running');
    return;
  }
  logger.info(details, 'callhook running');
  if (logger.isLevelEnabled('info')) write(formatAddressBlock(addresses, options.color ?? !process.env.NO_COLOR));
}

/** The block a terminal shows: a blank line, one address a line, names aligned, a blank line. */
export function formatAddressBlock(addresses: StartupAddresses, color: boolean): string {
  const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
  const rows: [string, string][] = [
    ['Webhooks page', bold(addresses.page)],
    ['API', addresses.api],
    addresses.temporalUi !== undefined ? ['Temporal Web UI', addresses.temporalUi] : ['Temporal', addresses.temporalAddress],
    ['Data', addresses.dataDir],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`);
  return `\n${lines.join('\n')}\n\n  Ctrl-C stops callhook.\n\n`;
}
