/**
 * What tests start on this machine besides callhook: a Temporal dev server (the pinned CLI, the
 * search attributes callhook registers, the fast settings of DEV_SERVER_ARGS) and free ports for
 * the processes they spawn.
 */
import net from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from '../../src/temporal/cli-location';
import { explainDevServerStartFailure } from '../../src/temporal/cli-unavailable';
import { DEV_SERVER_ARGS } from '../../src/temporal/dev-server';
import { CALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';

export async function startDevServer(options: { extraArgs?: string[]; uiPort?: number } = {}): Promise<TestWorkflowEnvironment> {
  const cli = findTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli && { executable: { type: 'existing-path' as const, path: cli } }),
      extraArgs: [...DEV_SERVER_ARGS, ...(options.extraArgs ?? [])],
      searchAttributes: CALL_SEARCH_ATTRIBUTES,
      ...(options.uiPort !== undefined && { ui: true, uiPort: options.uiPort }),
    },
  }).catch((err: unknown) => {
    // No CLI (a test file run alone, before `npm test` or `npm run temporal:cli` set one up) and no internet: say so.
    throw explainDevServerStartFailure(err);
  });
}

/** A TCP port free on loopback now (for a child process to listen on). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
