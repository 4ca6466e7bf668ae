import type { FoundCli } from './cli-location';

/** What `ensureTemporalCli` reports as it goes, for a progress display (`cli-setup-progress.ts`). */
export type CliSetupEvent =
  /** A CLI is already on this machine: nothing to do. */
  | { type: 'found'; cli: FoundCli }
  /** Building the pinned CLI with `go install` (the first time: about 5 minutes). */
  | { type: 'build-started'; goVersion: string }
  /**
   * Fetching the module and its dependencies, then compiling: `compiled` packages so far (from
   * `go install -v`) of `total` (from `go list -deps`; undefined when it could not be counted).
   * Packages already in Go's build cache are not compiled again, so a warm build ends early.
   */
  | { type: 'build-progress'; stage: 'fetching' | 'compiling'; modulesDownloaded: number; compiled: number; total: number | undefined }
  | { type: 'build-finished'; cli: FoundCli; elapsedMs: number; compiled: number }
  /** No build: why (no go, or the build failed). The download is tried next. */
  | { type: 'build-unavailable'; reason: string }
  | { type: 'download-started' }
  | { type: 'download-finished'; cli: FoundCli; elapsedMs: number }
  | { type: 'download-unavailable'; reason: string }
  /** The end, whatever happened (also after a failure or an abort): a display stops here. */
  | { type: 'done' };

export type CliSetupListener = (event: CliSetupEvent) => void;
