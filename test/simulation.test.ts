/**
 * The seeded simulation (test/sim, issue 15), short: 40 scenarios (SIM_SCENARIOS sets another
 * number) against one dev server and Postgres. Every invariant must hold in every scenario; a
 * failure names the seed and how to replay it (`SIM_SEED=<seed> npm run sim`, or one scenario
 * alone with SIM_ONLY). `npm run sim` runs the long one (200 scenarios).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failingScenarios, formatReport, replayHint, writeReport } from './sim/report';
import { runSimulation } from './sim/run';
import { simEnv } from './sim/main';

test('seeded simulation: every invariant holds in every scenario', { timeout: 10 * 60_000 }, async (t) => {
  const env = simEnv({ count: 40, concurrency: 20 });
  t.diagnostic(`seed ${env.seed} (${replayHint(env.seed, env.count, env.only)} replays it)`);
  const report = await runSimulation({ ...env, log: (line) => t.diagnostic(line) });
  const failing = failingScenarios(report);
  const text = formatReport(report, { detailed: 3, ...(env.only && { only: env.only }) });
  for (const line of text.split('\n').slice(0, 12)) t.diagnostic(line);
  if (failing.length > 0 || report.replayViolations.length > 0) {
    const file = writeReport(report);
    assert.fail(`seed ${env.seed}: ${failing.length} of ${report.scenarios} scenarios violate an invariant (replay: ${replayHint(env.seed, env.count, env.only)}; full report ${file})\n\n${text}`);
  }
});
