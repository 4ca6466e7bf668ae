import pino from 'pino';

/** Structured JSON logs on stdout; LOG_LEVEL picks the level (default info). */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'callhook' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = pino.Logger;
