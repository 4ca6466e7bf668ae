import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * A CLI is built or downloaded into a staging directory of its own, next to where it goes, and
 * renamed into place once complete: an interrupted build never leaves a broken binary where a
 * CLI is looked for, and two processes building at once each rename a whole binary (the last
 * rename wins; both are the same release).
 */
const STAGING_PREFIX = '.staging-';

export interface Staging {
  dir: string;
  /** Moves `file` (inside the staging directory) to `destination`, atomically. */
  place(file: string, destination: string): Promise<void>;
  /** Removes the staging directory and whatever is left in it. */
  dispose(): Promise<void>;
}

export async function createStaging(cacheRoot: string): Promise<Staging> {
  await mkdir(cacheRoot, { recursive: true });
  await removeAbandonedStagings(cacheRoot);
  const dir = path.join(cacheRoot, `${STAGING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  return {
    dir,
    async place(file, destination) {
      await mkdir(path.dirname(destination), { recursive: true });
      await rename(file, destination);
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Staging directories of processes that no longer run (killed mid-build): removed. */
async function removeAbandonedStagings(cacheRoot: string): Promise<void> {
  for (const name of await readdir(cacheRoot)) {
    const pid = /^\.staging-(\d+)-/.exec(name)?.[1];
    if (pid !== undefined && !processRuns(Number(pid))) {
      await rm(path.join(cacheRoot, name), { recursive: true, force: true });
    }
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user; ESRCH: it is gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
