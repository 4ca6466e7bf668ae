/**
 * callhook's version: package.json's, read at run time rather than compiled in. This file sits two levels below
 * the package root both as src/process/version.ts (tsx) and as dist/process/version.js (`npm run build`), so
 * `../../package.json` is the same manifest either way, and the compiled output stays inside dist/ (tsc's rootDir is src/).
 */
function readVersion(): string {
  // require: synchronous and cached; a JSON file, no code runs.
  const manifest: unknown = require('../../package.json');
  const version = (manifest as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('package.json has no version');
  return version;
}

export const CALLHOOK_VERSION = readVersion();
