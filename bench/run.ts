/**
 * `npm run bench`: callhook's end-to-end delivery measured beside two baselines taken in the
 * same run — "wire" (the receiver hit directly with HTTP POSTs) and "floor" (a minimal Temporal
 * workflow with no-op activities) — over the scenarios of bench/scenarios/. Prints a table per
 * scenario and writes bench/results/latest.{json,md} and latency-vs-rate.svg.
 *
 *   npm run bench                                   # everything, about 50 minutes on 2 cores (open-calls' 10 000 calls: 40)
 *   BENCH_OPEN_CALLS=2000 npm run bench              # the same with 2 000 open calls, about 20 minutes
 *   BENCH_SCENARIOS=burst,paced npm run bench        # some scenarios
 *   BENCH_VARIANTS=floor,callhook npm run bench      # skip a baseline
 *   BENCH_RESULTS_DIR=/tmp/bench npm run bench       # results elsewhere
 *   BENCH_API=apart npm run bench                    # callhook's API in a process of its own
 *   BENCH_TRACING=on npm run bench                   # callhook traced (OTLP/HTTP to a sink here; the floor untraced)
 *
 * Sizes: see each scenario's header. One Temporal dev server (with eager activity execution)
 * and one Postgres database (TEST_DATABASE_URL) serve the whole run; every measured run gets
 * its own client, endpoints, receivers and call ids.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { FAST_SETTINGS, Harness } from '../test/helpers/harness';
import { startApiApart, type ApiApart } from './lib/api-apart';
import { findTemporalCli } from '../src/temporal/cli-location';
import { FloorWorker } from './baselines/floor';
import { SpanSink } from './lib/span-sink';
import { startTracing } from '../src/observability/tracing';
import { ABANDON_TIMEOUT_MS, IDLE_TIMEOUT_MS, intEnv, loadRunConfig } from './lib/config';
import { BenchContext } from './lib/context';
import type { ScenarioResult } from './lib/types';
import { consoleSummary, consoleTable, describeCommit, describeMachine, writeResults, type BenchReport } from './report';
import { burstRun } from './scenarios/burst';
import { selectScenarios } from './scenarios';

const DEV_SERVER_ARGS = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

const loadAverage = (): number => os.loadavg()[0] ?? NaN;

/** A small burst through every variant, not measured: workflow bundles, connections, JIT. */
async function warmUp(ctx: BenchContext): Promise<void> {
  const sizes = { calls: intEnv('BENCH_WARMUP_CALLS', 5), events: intEnv('BENCH_WARMUP_EVENTS', 5) };
  for (const variant of ctx.variants) await burstRun(ctx, variant, 'warmup', sizes);
}

async function main(): Promise<number> {
  const config = loadRunConfig();
  const scenarios = selectScenarios(config.scenarios);
  const cli = findTemporalCli();
  if (!cli) throw new Error('no Temporal CLI found: run `npm run temporal:cli` (or set TEMPORAL_CLI_PATH)');
  const loadStart = loadAverage();
  const started = performance.now();
  const date = new Date().toISOString();
  console.log(`callhook benchmark: ${scenarios.map((s) => s.name).join(', ')}; variants ${config.variants.join(', ')}`);
  console.log(`Temporal CLI ${cli}; dev server ${DEV_SERVER_ARGS.join(' ')}`);

  const settings = { idleTimeoutMs: IDLE_TIMEOUT_MS, abandonTimeoutMs: ABANDON_TIMEOUT_MS };
  // callhook's worker as configured by default (WORKER_MAX_CACHED_WORKFLOWS), and the floor's the same.
  const { maxCachedWorkflows } = config;
  // BENCH_TRACING=on: callhook (API, relay, worker) traced, its spans sent to a sink in this process; the floor is not.
  const sink = process.env.BENCH_TRACING === 'on' ? await SpanSink.start() : undefined;
  const tracing = sink ? startTracing({ tracesUrl: sink.tracesUrl, serviceName: 'callhook-bench' }, 'all') : undefined;
  const h = await Harness.start({ devServerArgs: DEV_SERVER_ARGS, settings, maxCachedWorkflows, ...(tracing && { tracing }) });
  const results: ScenarioResult[] = [];
  const failures: BenchReport['failures'] = [];
  let floor: FloorWorker | undefined;
  let apart: ApiApart | undefined;
  try {
    floor = await FloorWorker.start(h, { maxCachedWorkflows });
    // BENCH_API=apart: events go to an API process of its own (the worker stays in this one).
    apart = process.env.BENCH_API === 'apart' ? await startApiApart(h, { ...FAST_SETTINGS, ...settings }) : undefined;
    if (apart) console.log(`API apart: ${apart.base} (its own process)`);
    const ctx = new BenchContext(h, floor, config, apart?.base);
    console.log('warming up…');
    await warmUp(ctx);
    for (const scenario of scenarios) {
      console.log(`\n▶ ${scenario.name}`);
      const scenarioStarted = performance.now();
      const loadAtStart = loadAverage();
      try {
        const body = await scenario.run(ctx);
        const result: ScenarioResult = {
          name: scenario.name,
          title: scenario.title,
          ...body,
          seconds: (performance.now() - scenarioStarted) / 1_000,
          loadAverage: { start: loadAtStart, end: loadAverage() },
        };
        results.push(result);
        console.log(`\n${consoleTable(result, config.variants)}`);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        failures.push({ scenario: scenario.name, error });
        console.error(`\n✗ ${scenario.name} FAILED: ${error}`);
      }
    }
  } finally {
    await apart?.stop();
    await floor?.stop();
    await h.stop();
    await tracing?.shutdown();
    await sink?.stop();
  }

  const report: BenchReport = {
    date,
    commit: describeCommit(),
    machine: describeMachine(loadStart),
    durationSeconds: (performance.now() - started) / 1_000,
    setup: {
      devServerArgs: DEV_SERVER_ARGS.join(' '),
      harnessSettings: 'FAST_SETTINGS (retries 1, 2, 4, 4, 4, 4 s; 1 s attempt timeout)',
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      abandonTimeoutMs: ABANDON_TIMEOUT_MS,
      variants: config.variants.join(', '),
      maxCachedWorkflows: `${maxCachedWorkflows} (callhook's worker and the floor's)`,
      tracing: sink ? `on (callhook only; ${sink.spans} spans exported in ${sink.requests} OTLP requests over the whole run, warm-up included)` : 'off',
    },
    scenarios: results,
    failures,
  };
  if (results.length > 0) console.log(`\n${consoleSummary(results, config.variants)}`);
  const written = writeResults(report, config.variants, config.resultsDir);
  console.log(`\nwritten: ${written.join(', ')}`);
  console.log(`total: ${report.durationSeconds.toFixed(0)} s`);
  if (failures.length > 0) {
    console.error(`\n✗ ${failures.length} scenario(s) FAILED: ${failures.map((f) => f.scenario).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
