import path from 'node:path';
import type { Logger } from '../observability/logger';
import { TEMPORAL_CLI_GO_MODULE, TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSION, cliCacheRoot, pinnedCliPath } from './cli-location';
import type { CliSetupEvent, CliSetupListener } from './cli-setup-events';
import { createStaging } from './cli-staging';
import { CommandError, execCommand, runCommand, streamCommand, type CommandOptions } from './command';

export interface BuildOptions {
  /** The `go` executable. */
  go: string;
  env: NodeJS.ProcessEnv;
  onEvent: CliSetupListener;
  logger: Logger;
  signal?: AbortSignal;
}

type BuildProgress = Omit<Extract<CliSetupEvent, { type: 'build-progress' }>, 'type'>;

const DOWNLOADING = /^go: downloading /;
/** What `go install -v` prints for each package it compiles: its import path, alone on its line. */
const PACKAGE_LINE = /^[\w.~+-]+(?:\/[\w.~+-]+)*$/;

/**
 * Builds the pinned Temporal CLI with `go install` (module from the Go module proxy) into a
 * staging directory, checks that it runs, and renames it to `pinnedCliPath`. Returns its path.
 * Progress: modules fetched, then packages compiled out of the count `go list -deps` gives.
 */
export async function buildPinnedCli({ go, env, onEvent, logger, signal }: BuildOptions): Promise<string> {
  const staging = await createStaging(cliCacheRoot(env));
  try {
    const run = { cwd: staging.dir, ...(signal && { signal }) };
    // -mod=mod: whatever GOFLAGS says of vendoring applies to the user's modules, not to this build.
    const goEnv = { ...env, GOFLAGS: '-mod=mod' };
    const progress: BuildProgress = { stage: 'fetching', modulesDownloaded: 0, compiled: 0, total: undefined };
    const report = () => onEvent({ type: 'build-progress', ...progress });
    const onLine = (line: string) => {
      if (DOWNLOADING.test(line)) progress.modulesDownloaded++;
      else if (progress.stage === 'compiling' && PACKAGE_LINE.test(line)) progress.compiled++;
      else return;
      report();
    };
    report();

    const moduleDir = await downloadModule(go, { ...run, env: goEnv });
    progress.total = await countPackages(go, moduleDir, { ...run, env: { ...env, GOFLAGS: '-mod=readonly' } }, onLine).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      logger.debug({ err }, 'could not count the Temporal CLI packages: progress shows packages compiled only');
      return undefined;
    });
    progress.stage = 'compiling';
    report();
    await streamCommand(go, ['install', '-v', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], { ...run, env: { ...goEnv, GOBIN: staging.dir } }, onLine);

    const built = path.join(staging.dir, 'temporal');
    await checkBuild(go, built, { ...run, env });
    const destination = pinnedCliPath(env);
    await staging.place(built, destination);
    return destination;
  } finally {
    await staging.dispose();
  }
}

/** `go mod download` of the release: its directory in the module cache. */
async function downloadModule(go: string, options: CommandOptions): Promise<string> {
  const args = ['mod', 'download', '-json', `${TEMPORAL_CLI_GO_MODULE}@${TEMPORAL_CLI_VERSION}`];
  const result = await execCommand(go, args, options);
  // With -json, go reports a module's error in its JSON output (and exits 1).
  let info: { Dir?: string; Error?: string } = {};
  try {
    info = JSON.parse(result.stdout) as typeof info;
  } catch {
    // No JSON: go failed before reaching the module; its stderr says why (below).
  }
  if (result.code === 0 && info.Dir) return info.Dir;
  throw new CommandError(`go ${args.join(' ')}`, info.Error ?? (result.stderr.trim() || `exit ${result.code ?? 'by a signal'}`));
}

/** The packages the CLI is made of (its own, its dependencies', the standard library's); fetches the dependencies. */
async function countPackages(go: string, moduleDir: string, options: CommandOptions, onLine: (line: string) => void): Promise<number> {
  let count = 0;
  await streamCommand(go, ['list', '-deps', './cmd/temporal'], { ...options, cwd: moduleDir }, (line) => {
    if (PACKAGE_LINE.test(line)) count++;
    else onLine(line);
  });
  return count;
}

/**
 * The build is the pinned release (`go version -m` reads the module version built in: the CLI's
 * own `--version` says 0.0.0-DEV outside release builds) and runs.
 */
async function checkBuild(go: string, cli: string, options: CommandOptions): Promise<void> {
  const buildInfo = await runCommand(go, ['version', '-m', cli], options);
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const moduleLine = new RegExp(`^\\s*mod\\s+${literal(TEMPORAL_CLI_GO_MODULE)}\\s+${literal(TEMPORAL_CLI_VERSION)}\\s`, 'm');
  if (!moduleLine.test(buildInfo)) {
    throw new Error(`the Temporal CLI just built is not ${TEMPORAL_CLI_GO_MODULE} ${TEMPORAL_CLI_VERSION}; go version -m says:\n${buildInfo.trim()}`);
  }
  const version = await runCommand(cli, ['--version'], options).catch((err: unknown) => {
    throw new Error(`the Temporal CLI just built (${cli}) does not run: ${(err as Error).message}`, { cause: err });
  });
  if (!version.startsWith('temporal version')) {
    throw new Error(`the Temporal CLI just built answers --version with "${version.trim()}"`);
  }
}
