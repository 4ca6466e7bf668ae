/**
 * Makes sure the pinned Temporal CLI (which runs `temporal server start-dev`, Web UI included)
 * exists: reuses TEMPORAL_CLI_PATH or the cached build, else builds it with `go install` from
 * the Go module proxy into a cache directory outside the repository. Prints the binary's path.
 *
 * Not needed where the SDK can download the dev server itself (a machine with internet).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TEMPORAL_CLI_MODULE, TEMPORAL_CLI_VERSION, cachedCliDir, findTemporalCli } from '../src/temporal/cli-location';

function main(): void {
  const cached = path.join(cachedCliDir(), 'temporal');
  const existing = process.env.TEMPORAL_CLI_PATH ? findTemporalCli() : findTemporalCli({ ...process.env, PATH: '' });
  if (existing) {
    process.stdout.write(`${existing}\n`);
    return;
  }
  mkdirSync(cachedCliDir(), { recursive: true });
  process.stderr.write(`building Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (a few minutes the first time)...\n`);
  try {
    execFileSync('go', ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: cachedCliDir(), GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (err) {
    throw new Error(
      `go install of the Temporal CLI failed (${(err as Error).message}). Install Go >= 1.25, or set TEMPORAL_CLI_PATH to a temporal binary.`,
    );
  }
  execFileSync(cached, ['--version'], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.stdout.write(`${cached}\n`);
}

main();
