import { logger } from '../observability/logger';

/**
 * Runs `stop` once on the first SIGINT or SIGTERM. Later signals are logged and ignored: a Ctrl-C
 * in a terminal reaches this process both directly and relayed by npm/tsx, and the second one
 * must not kill the process half-way through shutting down.
 */
export function onShutdownSignal(stop: (signal: string) => Promise<void> | void): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    Promise.resolve(stop(signal)).catch((err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
