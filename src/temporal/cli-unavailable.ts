import { TEMPORAL_CLI_MIN_GO, TEMPORAL_CLI_VERSION } from './cli-location';

/** Why no Temporal CLI could be had: the build's reason and the download's. */
export interface CliUnavailableReasons {
  build: string;
  download: string;
}

/**
 * No Temporal CLI on this machine, none could be built and none downloaded. The message says
 * what to install; the stack is the message alone (where in callhook it was thrown says nothing
 * to the user who reads it).
 */
export class TemporalCliUnavailableError extends Error {
  override readonly name = 'TemporalCliUnavailableError';
  /** The same as the message says (not enumerable: a log record would show them twice). */
  declare readonly reasons: CliUnavailableReasons;
  constructor(reasons: CliUnavailableReasons) {
    super(
      [
        'No Temporal CLI on this machine (for the local Temporal dev server), and callhook could neither build nor download one:',
        `  - build with Go: ${indentTail(reasons.build)}`,
        `  - download by the Temporal SDK: ${indentTail(reasons.download)}`,
        'Do one of these, then run the command again:',
        `  - install Go ${TEMPORAL_CLI_MIN_GO} or newer (https://go.dev/dl/), with access to the Go module proxy: callhook builds Temporal CLI ${TEMPORAL_CLI_VERSION} (about 5 minutes, once)`,
        '  - give this machine internet access (https://temporal.download): the Temporal SDK downloads a dev server',
        '  - install a Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH, or set TEMPORAL_CLI_PATH to it',
        '  - or use a Temporal server you run elsewhere: set TEMPORAL_ADDRESS (npm start)',
      ].join('\n'),
    );
    Object.defineProperty(this, 'reasons', { value: reasons, enumerable: false });
    this.stack = `${this.name}: ${this.message}`;
  }
}

function indentTail(text: string): string {
  return text.trim().split('\n').join('\n      ');
}

const SDK_DOWNLOAD_FAILED = /failed to download ephemeral server executable/;

/**
 * A dev server that failed to start because the SDK could not download it (no CLI was found and
 * there is no internet): the error that says what to do, with the SDK's as its cause. Any other
 * error is returned as it is.
 */
export function explainDevServerStartFailure(err: unknown): unknown {
  if (!(err instanceof Error) || !SDK_DOWNLOAD_FAILED.test(err.message)) return err;
  const wrapped = new TemporalCliUnavailableError({
    build: 'not tried here: `npm start`, `npm test` and `npm run temporal:cli` build it when Go is installed',
    download: sdkDownloadFailure(err.message),
  });
  wrapped.cause = err;
  return wrapped;
}

/**
 * The SDK's download error, shorter: without its "Failed to start ephemeral server" preamble and
 * the parts it repeats ("error sending request for url (…): error sending request for url (…)").
 */
export function sdkDownloadFailure(message: string): string {
  const parts = message.replace(/^Failed to start ephemeral server: /, '').split(': ');
  return parts.filter((part, i) => part !== parts[i - 1]).join(': ');
}
