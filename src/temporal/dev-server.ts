import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from './cli-location';
import { logger } from '../logger';
import { CALL_SEARCH_ATTRIBUTES } from './search-attributes';

export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  namespace?: string;
  /** SQLite file to keep state across restarts; in memory when absent. */
  dbFilename?: string;
  extraArgs?: string[];
}

/**
 * Starts a local Temporal dev server (`temporal server start-dev`, Web UI included) from the
 * CLI `findTemporalCli` finds; with none, the SDK downloads one (users with internet). The call
 * workflows' search attributes are registered at start.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const cli = findTemporalCli();
  logger.info({ cli: cli ?? 'SDK download' }, 'starting Temporal dev server');
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path' as const, path: cli } } : {}),
      ...(options.port !== undefined && { port: options.port }),
      ...(options.uiPort !== undefined && { uiPort: options.uiPort, ui: true }),
      ...(options.namespace !== undefined && { namespace: options.namespace }),
      ...(options.dbFilename !== undefined && { dbFilename: options.dbFilename }),
      ...(options.extraArgs && { extraArgs: options.extraArgs }),
      searchAttributes: CALL_SEARCH_ATTRIBUTES,
    },
  });
}
