/**
 * What a simulation run prints: a summary (scenarios, commands by kind, deliveries, attempts,
 * duration), the failures grouped by invariant and kind with the scenarios that show them, and
 * the first failing scenarios in detail (their commands with what each got, their violations with
 * the rows). The whole report, every scenario's rows included, is written as JSON to a file.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Violation } from './invariants';
import type { ScenarioOutcome, SimReport } from './run';

/** How `SIM_SEED=… npm run sim` replays it. */
export function replayHint(seed: number, scenarios: number, only?: number[]): string {
  return `SIM_SEED=${seed} ${only ? `SIM_ONLY=${only.join(',')}` : `SIM_SCENARIOS=${scenarios}`} npm run sim`;
}

export interface FailureGroup {
  invariant: Violation['invariant'];
  kind: string;
  /** A documented exception (reported, not failed). */
  documented: boolean;
  scenarios: number[];
  example: Violation;
}

/** The violations that fail a scenario (documented exceptions aside). */
export const failing = (violations: Violation[]) => violations.filter((v) => !v.documented);

/** Violations grouped by invariant and kind, each with the scenarios that show it (replay ones under scenario -1). */
export function failureGroups(report: SimReport): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  const add = (scenario: number, v: Violation) => {
    const key = `${String(v.invariant)}|${v.kind}`;
    const group = groups.get(key) ?? { invariant: v.invariant, kind: v.kind, documented: Boolean(v.documented), scenarios: [], example: v };
    if (!group.scenarios.includes(scenario)) group.scenarios.push(scenario);
    groups.set(key, group);
  };
  for (const o of report.outcomes) for (const v of o.violations) add(o.result.scenario.index, v);
  for (const v of report.replayViolations) add(Number(/^sim-[a-z0-9]+-(\d+)\//.exec((v.evidence as { workflowId?: string } | undefined)?.workflowId ?? '')?.[1] ?? -1), v);
  return [...groups.values()].sort((a, b) => String(a.invariant).localeCompare(String(b.invariant)) || b.scenarios.length - a.scenarios.length);
}

export function failingScenarios(report: SimReport): ScenarioOutcome[] {
  const replayFailing = new Set(failureGroups(report).filter((g) => g.invariant === 7).flatMap((g) => g.scenarios));
  return report.outcomes.filter((o) => failing(o.violations).length > 0 || replayFailing.has(o.result.scenario.index));
}

export function formatSummary(report: SimReport, only?: number[]): string {
  const lines: string[] = [];
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const list = (r: Record<string, number>) =>
    Object.entries(r)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const durations = report.outcomes.map((o) => o.durationMs).sort((a, b) => a - b);
  const pct = (p: number) => Math.round((durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? 0) / 100) / 10;
  lines.push(`simulation seed ${report.seed}: ${report.scenarios} scenarios in ${(report.durationMs / 1000).toFixed(1)} s (scenarios ${(report.scenariosMs / 1000).toFixed(1)} s, replay ${(report.replayMs / 1000).toFixed(1)} s; a scenario p50 ${pct(0.5)} s, p95 ${pct(0.95)} s, max ${pct(0.999)} s)`);
  lines.push(`  commands: ${sum(report.commandsByKind)} (${list(report.commandsByKind)})`);
  lines.push(`  deliveries: ${sum(report.deliveriesByStatus)} (${list(report.deliveriesByStatus)})`);
  lines.push(`  attempts: ${sum(report.attemptsByOutcome)} (${list(report.attemptsByOutcome)}); requests received: ${report.arrivals}`);
  lines.push(
    `  workflow runs: ${report.runs} (${list(report.runsByEnd)}; ${report.replayed} replayed, ${report.runs - report.replayed} had no completed workflow task); worker restarts: ${report.restarts.length}; reconciler: ${report.reconcilerConfigured ? 'on' : 'NOT configured'}`,
  );
  if (Object.keys(report.toleratedTaskEvents).length > 0) lines.push(`  tolerated workflow task events: ${list(report.toleratedTaskEvents)}`);
  const all = failureGroups(report);
  const groups = all.filter((g) => !g.documented);
  const documented = all.filter((g) => g.documented);
  const failingOnes = failingScenarios(report);
  const show = (g: FailureGroup) =>
    `    [${String(g.invariant)}] ${g.kind}: ${g.scenarios.length} scenario(s): ${g.scenarios.slice(0, 12).join(', ')}${g.scenarios.length > 12 ? ', …' : ''}`;
  if (groups.length === 0) {
    lines.push(`  every invariant held in every scenario`);
  } else {
    lines.push(`  FAILED: ${failingOnes.length} of ${report.scenarios} scenarios violate an invariant:`);
    for (const g of groups) lines.push(show(g));
  }
  if (documented.length > 0) {
    lines.push(`  documented exceptions seen (README; not failed; SIM_STRICT_ORDER=1 fails them):`);
    for (const g of documented) lines.push(show(g));
  }
  lines.push(`  replay: ${replayHint(report.seed, report.scenarios, only)}; one scenario alone: SIM_SEED=${report.seed} SIM_ONLY=<index> npm run sim`);
  if (report.historiesDir) lines.push(`  histories: ${report.historiesDir} (show: node --import tsx test/sim/show-history.ts <file>; replay: node --import tsx test/sim/replay-histories.ts <dir>)`);
  return lines.join('\n');
}

const clip = (value: unknown, max: number) => {
  const text = JSON.stringify(value, null, 1) ?? '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

export function formatScenario(o: ScenarioOutcome, seed: number, replay: Violation[] = []): string {
  const { scenario } = o.result;
  const lines: string[] = [];
  lines.push(`--- scenario ${scenario.index} (seed ${seed}, call ${scenario.callId}; SIM_SEED=${seed} SIM_ONLY=${scenario.index} npm run sim) ---`);
  for (const e of o.result.endpoints) {
    const spec = scenario.endpoints[e.index]!;
    lines.push(`  ep${e.index} ${e.id}: events ${spec.events.join(',')}${spec.rateLimit ? `, ${spec.rateLimit}/s` : ''}; ${e.arrivals.length} requests received`);
  }
  lines.push(`  commands:`);
  for (const entry of o.result.log) lines.push(`    ${String(entry.index).padStart(2)} ${entry.text} → ${entry.outcome.slice(0, 200)}`);
  lines.push(`  settled: ${o.result.settle.settled ? `yes, in ${o.result.settle.ms} ms` : `NO: ${o.result.settle.reason ?? ''}`}`);
  lines.push(`  violations:`);
  for (const v of [...o.violations, ...replay]) {
    lines.push(`    [${String(v.invariant)}]${v.documented ? ' (documented)' : ''} ${v.message}`);
    if (v.evidence !== undefined) lines.push(`        ${clip(v.evidence, 1_500).replace(/\n/g, '\n        ')}`);
  }
  return lines.join('\n');
}

/** The summary, then the first `detailed` failing scenarios in full. */
export function formatReport(report: SimReport, options: { detailed: number; only?: number[] }): string {
  const parts = [formatSummary(report, options.only)];
  const replayByScenario = new Map<number, Violation[]>();
  for (const v of report.replayViolations) {
    const index = Number(/^sim-[a-z0-9]+-(\d+)\//.exec((v.evidence as { workflowId?: string } | undefined)?.workflowId ?? '')?.[1] ?? -1);
    replayByScenario.set(index, [...(replayByScenario.get(index) ?? []), v]);
  }
  // One scenario per kind of failure first (the smallest: fewest commands), then the rest.
  const failingOnes = failingScenarios(report);
  const byKind = new Map<string, ScenarioOutcome>();
  for (const g of failureGroups(report).filter((group) => !group.documented)) {
    const candidates = failingOnes.filter((o) => g.scenarios.includes(o.result.scenario.index)).sort((a, b) => a.result.scenario.commands.length - b.result.scenario.commands.length);
    if (candidates[0] && !byKind.has(`${candidates[0].result.scenario.index}`)) byKind.set(`${candidates[0].result.scenario.index}`, candidates[0]);
  }
  const shown = [...byKind.values()].slice(0, options.detailed);
  for (const o of shown) parts.push(formatScenario(o, report.seed, replayByScenario.get(o.result.scenario.index)));
  if (failingOnes.length > shown.length) parts.push(`(${failingOnes.length - shown.length} more failing scenarios in the JSON report)`);
  return parts.join('\n\n');
}

/** Writes the whole report (every scenario's commands, rows, arrivals and violations; no histories) as JSON; returns the path. */
export function writeReport(report: SimReport, file = process.env.SIM_REPORT ?? path.join(os.tmpdir(), `callhook-sim-${report.seed}-${Date.now()}.json`)): string {
  const json = {
    ...report,
    outcomes: report.outcomes.map((o) => ({
      ...o,
      result: {
        ...o.result,
        histories: o.result.histories.map((h) => ({ runId: h.runId, events: h.history.events?.length ?? 0 })),
        endpoints: o.result.endpoints.map((e) => ({ ...e, timeline: e.timeline.describe() })),
      },
    })),
  };
  writeFileSync(file, JSON.stringify(json, null, 1));
  return file;
}
