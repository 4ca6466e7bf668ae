import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Temporal CLI release callhook pins for its local dev server. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** The Go module of that release, and the package `go install` builds from it. */
export const TEMPORAL_CLI_GO_MODULE = 'github.com/temporalio/cli';
export const TEMPORAL_CLI_MODULE = `${TEMPORAL_CLI_GO_MODULE}/cmd/temporal`;
/** The `go` directive of the release's go.mod: an older Go cannot build it (without fetching a newer toolchain). */
export const TEMPORAL_CLI_MIN_GO = '1.25.0';

/** Where callhook keeps the Temporal CLIs it builds or downloads: a cache outside the repository. */
export function cliCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'callhook');
}

/** The directory of the pinned build (`go install` of TEMPORAL_CLI_VERSION). */
export function cachedCliDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cliCacheRoot(env), `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

/** The pinned build's binary. */
export function pinnedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cachedCliDir(env), 'temporal');
}

/** The CLI the Temporal SDK downloaded (its default release), kept once downloaded; named after the SDK's version. */
export function downloadedCliPath(sdkVersion: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cliCacheRoot(env), `temporal-cli-sdk-typescript-${sdkVersion}`, 'temporal');
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false; // absent, or not executable: either way not a CLI to run
  }
}

export type CliSource = 'TEMPORAL_CLI_PATH' | 'pinned build' | 'SDK download' | 'PATH';

export interface FoundCli {
  path: string;
  source: CliSource;
}

/**
 * The Temporal CLI already on this machine, with where it was found: TEMPORAL_CLI_PATH, else the
 * pinned cached build, else a CLI the SDK downloaded earlier, else `temporal` on PATH.
 */
export function locateTemporalCli(env: NodeJS.ProcessEnv, sdkVersion: string): FoundCli | undefined {
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH)) throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    return { path: env.TEMPORAL_CLI_PATH, source: 'TEMPORAL_CLI_PATH' };
  }
  const pinned = pinnedCliPath(env);
  if (isExecutable(pinned)) return { path: pinned, source: 'pinned build' };
  const downloaded = downloadedCliPath(sdkVersion, env);
  if (isExecutable(downloaded)) return { path: downloaded, source: 'SDK download' };
  const onPath = findOnPath('temporal', env);
  return onPath === undefined ? undefined : { path: onPath, source: 'PATH' };
}

/** An executable named `name` in a directory of env.PATH. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The version of @temporalio/testing: the SDK downloads the CLI release that suits it. */
export function temporalSdkVersion(): string {
  // The package's own manifest; require keeps this synchronous (a JSON file, no code runs).
  const manifest: unknown = require('@temporalio/testing/package.json');
  const version = (manifest as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('@temporalio/testing/package.json has no version');
  return version;
}

/**
 * The Temporal CLI to run the dev server with (see `locateTemporalCli`); undefined lets the SDK
 * download its own (needs internet). `ensureTemporalCli` makes sure there is one.
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return locateTemporalCli(env, temporalSdkVersion())?.path;
}
