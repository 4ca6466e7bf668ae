/**
 * @temporalio/testing runs the local Temporal dev server (`npm start` without TEMPORAL_ADDRESS) and downloads its
 * CLI. It is a dev dependency: production installs (`npm ci --omit=dev`, the Docker image) leave it out and run
 * against a Temporal cluster (TEMPORAL_ADDRESS). So it is loaded here only, when a dev server is about to start,
 * never when a module is imported: the compiled API, worker and main.js run without it.
 */
const PACKAGE = '@temporalio/testing';

export class DevServerUnavailableError extends Error {
  override readonly name = 'DevServerUnavailableError';

  constructor() {
    super(
      `no TEMPORAL_ADDRESS: callhook would start a local Temporal dev server, which needs ${PACKAGE}, a dev dependency ` +
        'this installation leaves out (npm ci --omit=dev, the Docker image). Set TEMPORAL_ADDRESS to your Temporal ' +
        "cluster's frontend (host:port), or install the dev dependencies (npm ci) to run a local dev server.",
    );
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'MODULE_NOT_FOUND' && (err as Error).message.includes(`'${PACKAGE}'`);
}

/** Throws DevServerUnavailableError when @temporalio/testing is not installed (checked without loading it). */
export function assertDevServerInstalled(): void {
  try {
    require.resolve(PACKAGE);
  } catch (err) {
    if (isMissing(err)) throw new DevServerUnavailableError();
    throw err;
  }
}

/** @temporalio/testing, loaded now (it takes seconds); DevServerUnavailableError when it is not installed. */
export function loadTemporalTesting(): typeof import('@temporalio/testing') {
  assertDevServerInstalled();
  return require(PACKAGE) as typeof import('@temporalio/testing');
}
