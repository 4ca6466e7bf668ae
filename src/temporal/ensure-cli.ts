import os from 'node:os';
import { logger as defaultLogger, type Logger } from '../observability/logger';
import { buildPinnedCli } from './cli-build';
import { downloadCliWithSdk } from './cli-download';
import { TEMPORAL_CLI_MIN_GO, TEMPORAL_CLI_VERSION, findOnPath, locateTemporalCli, temporalSdkVersion, type FoundCli } from './cli-location';
import type { CliSetupListener } from './cli-setup-events';
import { TemporalCliUnavailableError, sdkDownloadFailure } from './cli-unavailable';
import { runCommand } from './command';
import { goVersionAtLeast } from './go-version';

export interface EnsureCliOptions {
  /** Where TEMPORAL_CLI_PATH, PATH (for `temporal` and `go`) and XDG_CACHE_HOME are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Progress, for a display (`cliSetupProgress`); none by default. */
  onEvent?: CliSetupListener;
  /** Stops a build under way (the `go` processes are killed); the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  logger?: Logger;
  /** The SDK download (tests replace it); returns the CLI's path. */
  download?: (env: NodeJS.ProcessEnv, sdkVersion: string) => Promise<string>;
  /** The @temporalio/testing version whose download is looked for and made. */
  sdkVersion?: string;
}

/**
 * Makes sure a Temporal CLI (which runs `temporal server start-dev`, Web UI included) is on this
 * machine, and returns it. In order:
 * 1. one already here: TEMPORAL_CLI_PATH, the pinned build or an earlier download in the cache
 *    (`~/.cache/callhook/`), `temporal` on PATH — returned at once;
 * 2. with `go` on PATH: build the pinned release with `go install` (about 5 minutes the first
 *    time; progress as `build-progress` events) into the cache;
 * 3. else (or when the build fails): let the Temporal SDK download its dev server (needs
 *    internet) into the cache;
 * 4. else a TemporalCliUnavailableError saying what to install.
 * Used by `npm start` (without TEMPORAL_ADDRESS), `npm test` (before the test files) and
 * `npm run temporal:cli`.
 */
export async function ensureTemporalCli(options: EnsureCliOptions = {}): Promise<FoundCli> {
  const env = options.env ?? process.env;
  const onEvent = options.onEvent ?? (() => {});
  const logger = options.logger ?? defaultLogger;
  const sdkVersion = options.sdkVersion ?? temporalSdkVersion();
  try {
    const found = locateTemporalCli(env, sdkVersion);
    if (found) {
      onEvent({ type: 'found', cli: found });
      return found;
    }
    const built = await tryBuild(env, onEvent, logger, options.signal);
    if ('cli' in built) return built.cli;
    onEvent({ type: 'build-unavailable', reason: built.reason });

    const download = options.download ?? downloadCliWithSdk;
    onEvent({ type: 'download-started' });
    const started = Date.now();
    try {
      const cli: FoundCli = { path: await download(env, sdkVersion), source: 'SDK download' };
      onEvent({ type: 'download-finished', cli, elapsedMs: Date.now() - started });
      return cli;
    } catch (err) {
      const reason = sdkDownloadFailure((err as Error).message);
      onEvent({ type: 'download-unavailable', reason });
      const unavailable = new TemporalCliUnavailableError({ build: built.reason, download: reason });
      unavailable.cause = err;
      throw unavailable;
    }
  } finally {
    onEvent({ type: 'done' });
  }
}

/** The pinned build, or why there is none (no go; the build failed). An abort is thrown. */
async function tryBuild(
  env: NodeJS.ProcessEnv,
  onEvent: CliSetupListener,
  logger: Logger,
  signal: AbortSignal | undefined,
): Promise<{ cli: FoundCli } | { reason: string }> {
  const go = findOnPath('go', env);
  if (!go) return { reason: 'go is not on PATH' };
  let goVersion: string;
  try {
    goVersion = (await runCommand(go, ['env', 'GOVERSION'], { env, cwd: os.tmpdir(), ...(signal && { signal }) })).trim();
  } catch (err) {
    if (signal?.aborted) throw err;
    return { reason: `${go} does not run: ${(err as Error).message}` };
  }
  // An older Go may still build it by fetching a newer toolchain (GOTOOLCHAIN=auto): tried, and said if it fails.
  const tooOld = goVersionAtLeast(goVersion, TEMPORAL_CLI_MIN_GO) === false;
  onEvent({ type: 'build-started', goVersion });
  const started = Date.now();
  let compiled = 0;
  try {
    const path = await buildPinnedCli({
      go,
      env,
      logger,
      ...(signal && { signal }),
      onEvent: (event) => {
        if (event.type === 'build-progress') compiled = event.compiled;
        onEvent(event);
      },
    });
    const cli: FoundCli = { path, source: 'pinned build' };
    onEvent({ type: 'build-finished', cli, elapsedMs: Date.now() - started, compiled });
    return { cli };
  } catch (err) {
    if (signal?.aborted) throw err;
    logger.debug({ err }, `building Temporal CLI ${TEMPORAL_CLI_VERSION} failed`);
    const why = tooOld ? ` (${goVersion} is older than the Go ${TEMPORAL_CLI_MIN_GO} that Temporal CLI ${TEMPORAL_CLI_VERSION} needs)` : '';
    return { reason: `go install with ${goVersion} failed${why}: ${(err as Error).message}` };
  }
}
