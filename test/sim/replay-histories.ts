/**
 * Replays histories the simulation wrote (`<callId>.<runId>.binpb`, as SIM_HISTORIES_DIR keeps
 * them) on the current workflow code, all with one replay worker:
 *
 *   node --import tsx test/sim/replay-histories.ts <dir or file.binpb>…
 *
 * prints each history's outcome and exits 1 if one does not replay: to check a fix against the
 * runs that failed. With `--json` it prints one JSON line per history instead ({ workflowId,
 * error? }): how the simulation runs it, in a process of its own, after its harness stopped.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workflowBundle } from '../helpers/harness';
import { replayHistories } from './invariants';

/** A replay worker shutting down may leave a workflow's promise rejected with ShutdownError: not a replay failure. */
process.on('uncaughtException', (err) => {
  if (/Worker was shutdown/.test(`${err.message} ${String((err as Error & { cause?: unknown }).cause ?? '')}`)) return;
  console.error(err);
  process.exit(2);
});

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const files = process.argv
    .slice(2)
    .filter((arg) => arg !== '--json')
    .flatMap((arg) => (statSync(arg).isDirectory() ? readdirSync(arg).filter((f) => f.endsWith('.binpb')).sort().map((f) => path.join(arg, f)) : [arg]));
  const histories = files.map((file) => ({
    // `<callId>.<runId>.binpb` → `<callId>/<runId>`
    workflowId: path.basename(file, '.binpb').replace(/\.(?=[^.]*$)/, '/'),
    history: temporal.api.history.v1.History.decode(readFileSync(file)),
  }));
  const started = Date.now();
  let failed = 0;
  await replayHistories(await workflowBundle(), histories, (workflowId, error) => {
    if (error) failed++;
    if (json) console.log(JSON.stringify({ workflowId, ...(error && { error: { name: error.name, message: error.message } }) }));
    else console.log(`${error ? 'FAIL' : 'ok  '} ${workflowId}${error ? `\n     ${error.name}: ${error.message}` : ''}`);
  });
  if (!json) console.log(`${histories.length} histories replayed in ${Date.now() - started} ms, ${failed} do not replay`);
  // The replay worker may leave a rejected promise behind at shutdown: the results are out, exit now.
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
