import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { cliCacheRoot, downloadedCliPath } from './cli-location';
import { createStaging } from './cli-staging';
import { loadTemporalTesting } from './temporal-testing';

/**
 * Lets the Temporal SDK download its dev server (the CLI release that suits this SDK version,
 * from temporal.download: needs internet) into a staging directory, and keeps it in the cache at
 * `downloadedCliPath`. The SDK downloads only as it starts a server, so one is started and
 * stopped at once. Returns the CLI's path; fails with the SDK's error (no network: "failed to
 * download ephemeral server executable: … dns error …").
 */
export async function downloadCliWithSdk(env: NodeJS.ProcessEnv, sdkVersion: string): Promise<string> {
  // Loaded here, not at import: the SDK takes seconds to load, and a machine with a CLI never needs it (nor has it, in production).
  const { TestWorkflowEnvironment } = loadTemporalTesting();
  const staging = await createStaging(cliCacheRoot(env));
  try {
    const server = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir: staging.dir } },
    });
    await server.teardown();
    // The SDK names it temporal-sdk-typescript-<version> (and finishes the download with a rename).
    const names = (await readdir(staging.dir)).filter((name) => name.startsWith('temporal') && !name.includes('.download'));
    const [name] = names;
    if (names.length !== 1 || name === undefined) {
      throw new Error(`the Temporal SDK downloaded its dev server, but ${staging.dir} holds ${names.length ? names.join(', ') : 'no temporal executable'}`);
    }
    const destination = downloadedCliPath(sdkVersion, env);
    await staging.place(path.join(staging.dir, name), destination);
    return destination;
  } finally {
    await staging.dispose();
  }
}
