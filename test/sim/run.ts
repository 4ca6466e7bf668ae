/**
 * Runs the simulation: one harness (a Temporal dev server, a fresh Postgres database, the worker,
 * the API) and one receiver for the whole run; scenarios (model.ts) many at a time, each a call
 * of its own, its commands one after the other; worker restarts now and then. After its commands
 * a scenario heals (receivers answer 200, dead URLs are fixed, paused endpoints resumed), waits
 * until its call has settled, then collects its rows, its receivers' requests and its runs'
 * histories and checks them (invariants.ts). At the end every history is replayed on the
 * workflow bundle the worker ran.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { createPool } from '../../src/db/pool';
import { RECONCILE_SCHEDULE_ID } from '../../src/temporal/reconcile-schedule';
import type { DeliverySettings } from '../../src/config/delivery-settings';
import { Harness, type HarnessOptions } from '../helpers/harness';
import { checkScenario, normalise, replayViolation, toleratedTaskEvents, type ScenarioResult, type Violation } from './invariants';
import { generateRestarts, generateScenarios, type Scenario } from './model';
import { SimReceiver } from './receiver';
import { ScenarioRunner, type Sim } from './scenario';

/**
 * Delivery timing for the simulation: 7 attempts a round, about a second apart (the dev server
 * fires timers at about one second's resolution, so shorter would not be shorter in fact), an
 * attempt times out after 1 s; a call's run closes 1 s after its last delivery (2 s with a
 * failure or no terminal event), so calls come and go, and late commands start new runs.
 */
export const SIM_SETTINGS: DeliverySettings = {
  maxAttempts: 7,
  initialIntervalMs: 500,
  backoffCoefficient: 1.5,
  maximumIntervalMs: 1_000,
  attemptTimeoutMs: 1_000,
  idleTimeoutMs: 1_000,
  abandonTimeoutMs: 2_000,
};

/** The server suggests continue-as-new after this many history events: calls continue as new often. */
export const SIM_CONTINUE_AS_NEW_AFTER = 40;

export interface SimOptions {
  seed: number;
  /** Scenarios 0…count-1; `only` runs just these indexes of the seed instead. */
  count: number;
  only?: number[];
  /** Scenarios run at once. */
  concurrency: number;
  /** How long a scenario may take to settle after its commands. */
  settleTimeoutMs: number;
  /** Progress lines. */
  log: (line: string) => void;
  /** A line per scenario started and finished, too. */
  verbose?: boolean;
  /** Write every run's history here (`<callId>.<runId>.binpb`, as test/histories). */
  historiesDir?: string;
  /** Order across the API and the Temporal client fails too (documented as an exception otherwise). */
  strictOrder?: boolean;
}

export interface ScenarioOutcome {
  result: ScenarioResult;
  violations: Violation[];
  durationMs: number;
}

export interface SimReport {
  seed: number;
  scenarios: number;
  durationMs: number;
  /** Duration of the scenarios alone (without the harness's start and stop, nor the replay). */
  scenariosMs: number;
  replayMs: number;
  commandsByKind: Record<string, number>;
  deliveriesByStatus: Record<string, number>;
  attemptsByOutcome: Record<string, number>;
  arrivals: number;
  runs: number;
  restarts: { start: number; end: number }[];
  toleratedTaskEvents: Record<string, number>;
  /** The runs by how their history ends (continued as new, completed, cancelled, terminated, still open). */
  runsByEnd: Record<string, number>;
  outcomes: ScenarioOutcome[];
  replayViolations: Violation[];
  reconcilerConfigured: boolean;
  /** Histories replayed (those with a completed workflow task). */
  replayed: number;
  /** Where the failing scenarios' histories are (all of them with `historiesDir`); null when none was kept. */
  historiesDir: string | null;
}


export async function runSimulation(options: SimOptions): Promise<SimReport> {
  const started = Date.now();
  // `reconcile`: a Temporal Schedule restarting the calls a Terminate left with pending deliveries, every second.
  const harnessOptions: HarnessOptions = {
    settings: SIM_SETTINGS,
    devServerArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SIM_CONTINUE_AS_NEW_AFTER}`],
    retryAfterMaxMs: 2_000,
    reconcile: { everyMs: 1_000, graceMs: 1_000 },
  };
  const h = await Harness.start(harnessOptions);
  const reconcilerConfigured = await hasReconcileSchedule(h);
  if (!reconcilerConfigured) options.log('note: no reconcile schedule found: the harness does not start the reconciler (yet); terminated calls keep their pending deliveries');
  const receiver = await SimReceiver.start();
  const pool = createPool(h.db.url, 8);
  const sim: Sim = { h, client: h.client, namespace: h.env.namespace ?? 'default', receiver, pool, settleTimeoutMs: options.settleTimeoutMs };
  const scenarios = generateScenarios(options.seed, options.count, options.only);
  const restartBefore = new Set(options.only ? [] : generateRestarts(options.seed, options.count));
  const restarts: { start: number; end: number }[] = [];
  let restarting: Promise<void> = Promise.resolve();
  const restart = () => {
    restarting = restarting.then(async () => {
      const start = Date.now();
      await h.restartWorker();
      restarts.push({ start, end: Date.now() });
      options.log(`worker restarted in ${Date.now() - start} ms`);
    });
  };

  const outcomes: ScenarioOutcome[] = [];
  const scenariosStarted = Date.now();
  let scenariosMs: number;
  try {
    const queue = [...scenarios];
    let failing = 0;
    const lane = async () => {
      for (let scenario = queue.shift(); scenario; scenario = queue.shift()) {
        if (restartBefore.has(scenario.index)) restart();
        const t0 = Date.now();
        if (options.verbose) options.log(`scenario ${scenario.index} starts: ${scenario.commands.length} commands, ${scenario.endpoints.length} endpoints`);
        let result: ScenarioResult;
        let violations: Violation[];
        try {
          result = await new ScenarioRunner(sim, scenario).run();
          violations = checkScenario(result, { maxAttempts: SIM_SETTINGS.maxAttempts, restarts, ...(options.strictOrder && { strictOrder: true }) });
        } catch (err) {
          // The simulation's own failure (or the API refusing its set-up): reported, and the run goes on.
          result = crashed(scenario);
          violations = [{ invariant: 'api', kind: `scenario crashed: ${normalise((err as Error).message)}`, message: `scenario crashed: ${(err as Error).stack ?? String(err)}` }];
        }
        if (options.verbose) {
          options.log(`scenario ${scenario.index} done in ${Date.now() - t0} ms (settle ${result.settle.settled ? `${result.settle.ms} ms` : `FAILED: ${result.settle.reason ?? ''}`}): ${violations.filter((v) => !v.documented).length} violations`);
        }
        outcomes.push({ result, violations, durationMs: Date.now() - t0 });
        if (violations.some((v) => !v.documented)) failing++;
        if (outcomes.length % 10 === 0 || outcomes.length === scenarios.length) {
          options.log(`${outcomes.length}/${scenarios.length} scenarios done, ${failing} with violations, ${Math.round((Date.now() - scenariosStarted) / 1000)} s`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, scenarios.length) }, lane));
    await restarting;
    scenariosMs = Date.now() - scenariosStarted;
  } finally {
    await restarting.catch(() => undefined);
    await receiver.stop();
    await pool.end();
    await h.stop();
  }

  // 7: every run's history replays on the workflow code the worker ran, in a process of its own with a time limit:
  // the SDK's replay worker can leave an unhandled ShutdownError behind that ends its process, and a replay that never
  // ends (as one of a lone WorkflowExecutionStarted does) must not hang the run.
  const replayStarted = Date.now();
  // A history without a completed workflow task ran no workflow code: nothing to replay (and the SDK's replay of a
  // lone WorkflowExecutionStarted never ends).
  const histories = outcomes.flatMap((o) =>
    o.result.histories
      .filter((r) => r.history.events?.some((e) => e.workflowTaskCompletedEventAttributes))
      .map((r) => ({ workflowId: `${o.result.scenario.callId}/${r.runId}`, history: r.history })),
  );
  const dir = options.historiesDir ?? mkdtempSync(path.join(os.tmpdir(), `callhook-sim-${options.seed}-histories-`));
  mkdirSync(dir, { recursive: true });
  for (const { workflowId, history } of histories) {
    writeFileSync(path.join(dir, `${workflowId.replace('/', '.')}.binpb`), temporal.api.history.v1.History.encode(history).finish());
  }
  if (options.historiesDir) options.log(`${histories.length} histories written to ${dir}`);
  const replayViolations = await replayInChild(dir, histories.map((h) => h.workflowId), options.log);
  const replayMs = Date.now() - replayStarted;
  // Unless asked to keep them all, only the failing scenarios' histories are kept (evidence for the report).
  if (!options.historiesDir) {
    const failing = new Set([
      ...outcomes.filter((o) => o.violations.some((v) => !v.documented)).map((o) => o.result.scenario.callId),
      ...replayViolations.map((v) => String((v.evidence as { workflowId?: string } | undefined)?.workflowId ?? '').split('/')[0]),
    ]);
    for (const { workflowId } of histories) if (!failing.has(workflowId.split('/')[0]!)) rmSync(path.join(dir, `${workflowId.replace('/', '.')}.binpb`));
    if (failing.size === 0) rmSync(dir, { recursive: true, force: true });
  }

  outcomes.sort((a, b) => a.result.scenario.index - b.result.scenario.index);
  const count = <T>(items: T[], key: (item: T) => string) => items.reduce<Record<string, number>>((acc, item) => ((acc[key(item)] = (acc[key(item)] ?? 0) + 1), acc), {});
  const allHistories = outcomes.flatMap((o) => o.result.histories);
  return {
    seed: options.seed,
    scenarios: outcomes.length,
    durationMs: Date.now() - started,
    scenariosMs,
    replayMs,
    commandsByKind: count(outcomes.flatMap((o) => o.result.scenario.commands), (c) => c.kind),
    deliveriesByStatus: count(outcomes.flatMap((o) => o.result.db.deliveries), (d) => d.status),
    attemptsByOutcome: count(outcomes.flatMap((o) => o.result.db.attempts), (a) => a.outcome),
    arrivals: outcomes.reduce((n, o) => n + o.result.endpoints.reduce((m, e) => m + e.arrivals.length, 0), 0),
    runs: allHistories.length,
    restarts,
    toleratedTaskEvents: Object.fromEntries(toleratedTaskEvents(allHistories)),
    runsByEnd: count(allHistories, (h) => runEnd(h.history)),
    outcomes,
    replayViolations,
    reconcilerConfigured,
    replayed: histories.length,
    historiesDir: existsSync(dir) ? dir : null,
  };
}

/** How a run's history ends. */
function runEnd(history: temporal.api.history.v1.IHistory): string {
  const last = history.events?.at(-1);
  if (last?.workflowExecutionContinuedAsNewEventAttributes) return 'continued as new';
  if (last?.workflowExecutionCompletedEventAttributes) return 'completed';
  if (last?.workflowExecutionCanceledEventAttributes) return 'cancelled';
  if (last?.workflowExecutionTerminatedEventAttributes) return 'terminated (or reset)';
  if (last?.workflowExecutionFailedEventAttributes) return 'failed';
  return 'open';
}

/** How long the replay of every history may take. */
const REPLAY_TIMEOUT_MS = 180_000;

/**
 * Replays the histories in `dir` with test/sim/replay-histories.ts in a child process; a history
 * it gives no result for (the replay crashed or hung) counts as not replaying.
 */
async function replayInChild(dir: string, workflowIds: string[], log: (line: string) => void): Promise<Violation[]> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'replay-histories.ts'), '--json', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), REPLAY_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const results = new Map<string, { name: string; message: string } | undefined>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const { workflowId, error } = JSON.parse(line) as { workflowId: string; error?: { name: string; message: string } };
    results.set(workflowId, error);
  }
  log(`${results.size} of ${workflowIds.length} histories replayed in ${Date.now() - started} ms (exit ${String(code)})`);
  const violations: Violation[] = [];
  // The child replays in the order of the files' names: the first without a result is where it hung or crashed.
  let first = true;
  for (const workflowId of [...workflowIds].sort((a, b) => (a.replace('/', '.') < b.replace('/', '.') ? -1 : 1))) {
    if (!results.has(workflowId)) {
      const why = first ? `the replay hung or crashed here (exit ${String(code)}): ${stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300)}` : 'not replayed: the replay stopped before it';
      violations.push(replayViolation(workflowId, { name: 'NoResult', message: why }));
      first = false;
    } else {
      const error = results.get(workflowId);
      if (error) violations.push(replayViolation(workflowId, error));
    }
  }
  return violations;
}

/** The result of a scenario that could not run to its end. */
function crashed(scenario: Scenario): ScenarioResult {
  return {
    scenario,
    endpoints: [],
    accepted: [],
    maybeAccepted: [],
    hostile: [],
    log: [],
    settle: { settled: false, ms: 0, reason: 'crashed' },
    db: { deliveries: [], attempts: [], actions: [], events: [], endpoints: [], recovered: [] },
    histories: [],
    problems: [],
  };
}

/** Whether the harness started the reconciler's schedule (the `reconcile` option). */
async function hasReconcileSchedule(h: Harness): Promise<boolean> {
  try {
    await h.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();
    return true;
  } catch {
    return false;
  }
}
