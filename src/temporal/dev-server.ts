// Type only: the package is loaded when a server starts (loadTemporalTesting), so importing this module (for
// DEV_SERVER_ARGS, devServerUiOrigins) loads none of it: production installs do not have it.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from './cli-location';
import { explainDevServerStartFailure } from './cli-unavailable';
import { logger } from '../observability/logger';
import { CALL_SEARCH_ATTRIBUTES } from './search-attributes';
import { setNamespaceRetention } from './namespace-retention';
import { loadTemporalTesting } from './temporal-testing';

/**
 * Dynamic config of every dev server callhook starts: eager activity execution, so the worker
 * that completes a workflow task gets the activity it schedules in the same answer, without a
 * trip through the task queue. (On a cluster: `system.enableActivityEagerExecution`, on by
 * default in recent server releases; the SDK asks for it by default.)
 */
export const DEV_SERVER_ARGS = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

export interface DevServerOptions {
  /** The Temporal CLI to run (`ensureTemporalCli`'s); else the one `findTemporalCli` finds, else the SDK downloads one. */
  cliPath?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  /** SQLite file to keep state across restarts; in memory when absent. */
  dbFilename?: string;
  /** The Web UI decodes payloads through this codec endpoint (callhook's /codec, when payloads are encrypted). */
  uiCodecEndpoint?: string;
  extraArgs?: string[];
  /** The namespace's retention of closed workflows (RETENTION), set once the server is up; the dev server's default (1 day) when absent. */
  retentionMs?: number;
}

/** The origins the dev server's Web UI is opened at: what the codec endpoint allows by default (CORS). */
export function devServerUiOrigins(uiPort: number): string[] {
  return [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`];
}

/**
 * Starts a local Temporal dev server (`temporal server start-dev`, Web UI included) from the
 * CLI `findTemporalCli` finds; with none, the SDK downloads one (users with internet). The call
 * workflows' search attributes are registered at start. Needs @temporalio/testing (a dev dependency): without it,
 * a DevServerUnavailableError that asks for TEMPORAL_ADDRESS.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const testing = loadTemporalTesting();
  const cli = options.cliPath ?? findTemporalCli();
  logger.info({ cli: cli ?? 'SDK download' }, 'starting Temporal dev server');
  const env = await testing.TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path' as const, path: cli } } : {}),
      ...(options.port !== undefined && { port: options.port }),
      ...(options.uiPort !== undefined && { uiPort: options.uiPort, ui: true }),
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      ...(options.dbFilename !== undefined && { dbFilename: options.dbFilename }),
      extraArgs: [
        ...DEV_SERVER_ARGS,
        ...(options.uiCodecEndpoint !== undefined ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
        ...(options.extraArgs ?? []),
      ],
      searchAttributes: CALL_SEARCH_ATTRIBUTES,
    },
  }).catch((err: unknown) => {
    throw explainDevServerStartFailure(err);
  });
  // `start-dev` has no retention flag: the namespace it created is updated (the same as `temporal operator namespace update --retention`).
  if (options.retentionMs !== undefined) {
    try {
      await setNamespaceRetention(env.connection, options.namespace ?? env.namespace ?? 'default', options.retentionMs, logger);
    } catch (err) {
      await env.teardown().catch((teardownErr: unknown) => logger.error({ err: teardownErr }, 'stopping the dev server failed'));
      throw err;
    }
  }
  return env;
}
