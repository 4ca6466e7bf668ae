/**
 * `npm run temporal:cli` (and the first step of `npm test`): makes sure a Temporal CLI exists —
 * TEMPORAL_CLI_PATH, the cached pinned build or download, `temporal` on PATH — else builds the
 * pinned release with `go install` (about 5 minutes, once) or lets the Temporal SDK download its
 * dev server, into a cache outside the repository (`ensureTemporalCli`).
 *
 * Prints the CLI's path on stdout (`--quiet`: prints nothing). Logs and progress go to stderr.
 * Exits 1, saying what to install, when there is none and none can be had.
 */
import { createLogger } from '../src/observability/logger';
import { cliSetupProgressOnStderr } from '../src/temporal/cli-setup-progress';
import { ensureTemporalCli } from '../src/temporal/ensure-cli';

async function main(): Promise<void> {
  const quiet = process.argv.includes('--quiet');
  const logger = createLogger('stderr');
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const cli = await ensureTemporalCli({ logger, signal: abort.signal, onEvent: cliSetupProgressOnStderr(logger) });
    if (!quiet) process.stdout.write(`${cli.path}\n`);
  } catch (err) {
    if (abort.signal.aborted) {
      logger.warn('stopped: no Temporal CLI was installed (the next run starts the build again)');
      process.exitCode = 130;
      return;
    }
    logger.fatal({ err }, 'no Temporal CLI');
    process.exitCode = 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

void main();
