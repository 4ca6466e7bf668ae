import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Temporal CLI release callhook pins for its local dev server. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

/** Where `npm run temporal:cli` installs the pinned CLI: a cache outside the repository. */
export function cachedCliDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'callhook', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Temporal CLI to run the dev server with: TEMPORAL_CLI_PATH, else the pinned cached build,
 * else `temporal` on PATH; undefined lets the SDK download its own (needs internet).
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH)) throw new Error(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    return env.TEMPORAL_CLI_PATH;
  }
  const cached = path.join(cachedCliDir(env), 'temporal');
  if (isExecutable(cached)) return cached;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}
