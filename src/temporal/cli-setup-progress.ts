import type { Logger } from '../observability/logger';
import { TEMPORAL_CLI_VERSION } from './cli-location';
import type { CliSetupEvent, CliSetupListener } from './cli-setup-events';

export interface ProgressDisplayOptions {
  logger: Logger;
  /** Where the interactive status line is drawn (stderr). */
  stream: { write(text: string): unknown; columns?: number };
  /** A terminal: one status line redrawn in place (spinner, counts, elapsed time). Otherwise: a log record every `reportEveryMs`. */
  interactive: boolean;
  /** Non-interactive: how often a "still building" record is logged (default 15 s). */
  reportEveryMs?: number;
  now?: () => number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 200;

type Activity = { kind: 'build'; progress: Extract<CliSetupEvent, { type: 'build-progress' }> | undefined } | { kind: 'download' };

/**
 * Shows `ensureTemporalCli`'s progress: what it does and why as log records (a Temporal CLI found
 * is only logged at debug, so a ready machine prints nothing); while it builds or downloads,
 * a spinner line with the packages compiled and the time so far on a terminal, or a log record
 * every 15 s otherwise.
 */
export function cliSetupProgress(options: ProgressDisplayOptions): CliSetupListener {
  const { logger, stream, interactive } = options;
  const now = options.now ?? Date.now;
  let activity: Activity | undefined;
  let startedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let lineShown = false;

  const statusText = (): string => {
    const elapsed = formatElapsed(now() - startedAt);
    if (activity?.kind === 'download') return `downloading the Temporal dev server · ${elapsed}`;
    return `building Temporal CLI ${TEMPORAL_CLI_VERSION} · ${describeBuild(activity?.progress)} · ${elapsed}`;
  };
  const draw = () => {
    const text = `${SPINNER[frame++ % SPINNER.length]} ${statusText()}`;
    const width = stream.columns ? stream.columns - 1 : text.length;
    stream.write(`\r\x1b[2K${text.slice(0, width)}`);
    lineShown = true;
  };
  const report = () => {
    const elapsedS = Math.round((now() - startedAt) / 1000);
    if (activity?.kind === 'download') {
      logger.info({ elapsedS }, `still downloading the Temporal dev server… ${formatElapsed(now() - startedAt)}`);
      return;
    }
    const progress = activity?.progress;
    logger.info(
      { elapsedS, stage: progress?.stage, packagesCompiled: progress?.compiled, packagesTotal: progress?.total, modulesDownloaded: progress?.modulesDownloaded },
      `still building the Temporal CLI… ${formatElapsed(now() - startedAt)}, ${describeBuild(progress)}`,
    );
  };
  const start = (next: Activity) => {
    stop();
    activity = next;
    startedAt = now();
    timer = setInterval(interactive ? draw : report, interactive ? REDRAW_MS : (options.reportEveryMs ?? 15_000));
    timer.unref();
    if (interactive) draw();
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    activity = undefined;
    if (lineShown) stream.write('\r\x1b[2K');
    lineShown = false;
  };

  return (event) => {
    switch (event.type) {
      case 'found':
        logger.debug({ cli: event.cli.path, source: event.cli.source }, 'Temporal CLI found');
        return;
      case 'build-started':
        logger.info(
          { goVersion: event.goVersion },
          `no Temporal CLI found: building Temporal CLI ${TEMPORAL_CLI_VERSION} with ${event.goVersion} (about 5 minutes the first time, then kept)`,
        );
        start({ kind: 'build', progress: undefined });
        return;
      case 'build-progress':
        if (activity?.kind === 'build') activity.progress = event;
        return;
      case 'build-finished':
        stop();
        logger.info(
          { cli: event.cli.path, elapsedS: Math.round(event.elapsedMs / 1000), packagesCompiled: event.compiled },
          `built Temporal CLI ${TEMPORAL_CLI_VERSION} in ${formatElapsed(event.elapsedMs)}`,
        );
        return;
      case 'build-unavailable':
        stop();
        logger.warn({ reason: event.reason }, 'cannot build the Temporal CLI with Go; trying the Temporal SDK download instead');
        return;
      case 'download-started':
        logger.info('downloading the Temporal dev server (the Temporal SDK does it; needs internet)');
        start({ kind: 'download' });
        return;
      case 'download-finished':
        stop();
        logger.info({ cli: event.cli.path, elapsedS: Math.round(event.elapsedMs / 1000) }, `downloaded the Temporal dev server in ${formatElapsed(event.elapsedMs)}`);
        return;
      case 'download-unavailable':
        stop();
        logger.debug({ reason: event.reason }, 'the Temporal SDK could not download its dev server');
        return;
      case 'done':
        stop();
        return;
    }
  };
}

function describeBuild(progress: Extract<CliSetupEvent, { type: 'build-progress' }> | undefined): string {
  if (!progress || progress.stage === 'fetching') {
    return progress?.modulesDownloaded ? `fetching modules (${progress.modulesDownloaded} downloaded)` : 'fetching modules';
  }
  return progress.total === undefined ? `${progress.compiled} packages compiled` : `${progress.compiled} of ${progress.total} packages compiled`;
}

/** 45s, 4m 51s. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/** The display for this process: a status line on stderr when it is a terminal, else a log record every 15 s. */
export function cliSetupProgressOnStderr(logger: Logger): CliSetupListener {
  return cliSetupProgress({ logger, stream: process.stderr, interactive: process.stderr.isTTY === true });
}
