import pino from 'pino';
import { formatPrettyLine, resolveLogFormat, type LogFormat } from './log-format';

type Output = 'stdout' | 'stderr';

/** The format logs written to `output` take: LOG_FORMAT, else pretty on a terminal and JSON lines otherwise. */
export function logFormatOf(output: Output = 'stdout'): LogFormat {
  return resolveLogFormat(process.env.LOG_FORMAT, process[output].isTTY === true);
}

/**
 * Where records go. The format is settled at the first record, not at import: by then `npm start`
 * has read `.env` (which may set LOG_FORMAT).
 */
function destination(output: Output): pino.DestinationStream {
  let target: pino.DestinationStream | undefined;
  const open = (): pino.DestinationStream => {
    if (logFormatOf(output) === 'json') return pino.destination({ dest: output === 'stdout' ? 1 : 2, sync: true });
    const options = { color: !process.env.NO_COLOR };
    return { write: (line: string) => process[output].write(formatPrettyLine(line, options)) };
  };
  return {
    write(line: string) {
      target ??= open();
      target.write(line);
    },
  };
}

/** A logger writing to stdout (the default) or stderr (commands whose stdout is their result); LOG_LEVEL picks the level (default info). */
export function createLogger(output: Output = 'stdout'): pino.Logger {
  return pino(
    {
      level: process.env.LOG_LEVEL ?? 'info',
      base: { service: 'callhook' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination(output),
  );
}

/** Structured logs on stdout: human-readable on a terminal, JSON lines otherwise (see `logFormatOf`). */
export const logger = createLogger();

export type Logger = pino.Logger;
