/** The shape of a scenario, and the table rows most scenarios report. */
import { formatNumber } from '../report';
import type { BenchContext } from './context';
import { ACTION_KINDS, describeActions } from '../../test/helpers/temporal-actions';
import type { WorkflowsActions } from './temporal-actions';
import type { RunOutcome, ScenarioResult, Variant, Row } from './types';

/** What a scenario's `run` returns; the runner adds its name, title and duration. */
export type ScenarioBody = Omit<ScenarioResult, 'name' | 'title' | 'seconds' | 'loadAverage'>;

export interface Scenario {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioBody>;
}

/** Runs `measure` for each variant of the run, in order, and collects the outcomes by variant. */
export async function perVariant<T>(ctx: BenchContext, measure: (variant: Variant) => Promise<T>, order: Variant[] = ctx.variants): Promise<Partial<Record<Variant, T>>> {
  const results: Partial<Record<Variant, T>> = {};
  for (const variant of order) {
    if (ctx.variants.includes(variant)) results[variant] = await measure(variant);
  }
  return results;
}

/** Picks one figure out of each variant's outcome. */
export function pick<T, U = number>(outcomes: Partial<Record<Variant, T>>, figure: (outcome: T) => U): Partial<Record<Variant, U>> {
  const values: Partial<Record<Variant, U>> = {};
  for (const [variant, outcome] of Object.entries(outcomes) as [Variant, T][]) values[variant] = figure(outcome);
  return values;
}

/** Throughput, latency percentiles and accept latency of one run per variant. */
export function standardRows(outcomes: Partial<Record<Variant, RunOutcome>>, options: { unit?: string; prefix?: string } = {}): Row[] {
  const prefix = options.prefix ? `${options.prefix}: ` : '';
  return [
    { label: `${prefix}throughput`, unit: options.unit ?? 'ev/s', values: pick(outcomes, (o) => o.throughput), higherIsBetter: true, headline: true },
    { label: `${prefix}latency p50`, unit: 'ms', values: pick(outcomes, (o) => o.latency.p50) },
    { label: `${prefix}latency p95`, unit: 'ms', values: pick(outcomes, (o) => o.latency.p95) },
    { label: `${prefix}latency p99`, unit: 'ms', values: pick(outcomes, (o) => o.latency.p99), headline: true },
    { label: `${prefix}latency max`, unit: 'ms', values: pick(outcomes, (o) => o.latency.max) },
    { label: `${prefix}accept p50`, unit: 'ms', values: pick(outcomes, (o) => o.accept.p50) },
    { label: `${prefix}accept p99`, unit: 'ms', values: pick(outcomes, (o) => o.accept.p99) },
  ];
}

/** `{ variant: { label: outcome } }` for latest.json, from runs keyed by variant. */
export function runsOf(label: string, outcomes: Partial<Record<Variant, RunOutcome>>): ScenarioResult['runs'] {
  const runs: ScenarioResult['runs'] = {};
  for (const [variant, outcome] of Object.entries(outcomes) as [Variant, RunOutcome][]) runs[variant] = { [label]: outcome };
  return runs;
}

/** Merges several `runsOf` results. */
export function mergeRuns(...all: ScenarioResult['runs'][]): ScenarioResult['runs'] {
  const merged: ScenarioResult['runs'] = {};
  for (const runs of all) {
    for (const [variant, byLabel] of Object.entries(runs) as [Variant, Record<string, RunOutcome>][]) {
      merged[variant] = { ...merged[variant], ...byLabel };
    }
  }
  return merged;
}

/** Notes on duplicates and retried submissions, for the variants that had any. */
export function outcomeNotes(outcomes: Partial<Record<Variant, RunOutcome>>): string[] {
  return (Object.entries(outcomes) as [Variant, RunOutcome][]).flatMap(([variant, outcome]) => [
    ...(outcome.duplicates > 0 ? [`${variant}: ${outcome.duplicates} duplicate deliveries (at-least-once), not counted in latency.`] : []),
    ...(outcome.retriedSubmissions > 0
      ? [`${variant}: ${outcome.retriedSubmissions} submissions refused (503, Temporal too slow to take the signal) and retried with the same id; the wait counts in latency and accept.`]
      : []),
  ]);
}

/** A run's outcome and the Temporal actions of its call workflows (none for wire). */
export interface CountedOutcome {
  outcome: RunOutcome;
  actions: WorkflowsActions | undefined;
}

/** Actions per delivered event of each variant that has workflows (wire has none). */
export function actionsRow(label: string, counted: Partial<Record<Variant, CountedOutcome>>, headline = false): Row {
  const values: Partial<Record<Variant, number>> = {};
  for (const [variant, { outcome, actions }] of Object.entries(counted) as [Variant, CountedOutcome][]) {
    if (actions) values[variant] = actions.total / outcome.events;
  }
  return { label, unit: 'actions', values, headline };
}

/** Where each variant's actions went: the breakdown by kind, in all and per delivered event. */
export function actionNotes(label: string, counted: Partial<Record<Variant, CountedOutcome>>): string[] {
  return (Object.entries(counted) as [Variant, CountedOutcome][]).flatMap(([variant, { outcome, actions }]) => {
    if (!actions) return [];
    const perEvent = ACTION_KINDS.filter((kind) => actions.byKind[kind] > 0)
      .map((kind) => `${kind} ${formatNumber(actions.byKind[kind] / outcome.events)}`)
      .join(', ');
    const open = actions.open > 0 ? ` ${actions.open} workflow(s) still open when counted: their later actions are missing.` : '';
    return [
      `${label}, ${variant}: ${outcome.events} events, ${actions.workflows} workflows, ${actions.runs} runs → actions ${describeActions(actions)}; per event ${formatNumber(actions.total / outcome.events)} (${perEvent}).${open}`,
    ];
  });
}

/** The actions of each variant, for latest.json. */
export function actionsByVariant(counted: Partial<Record<Variant, CountedOutcome>>): Partial<Record<Variant, WorkflowsActions>> {
  const result: Partial<Record<Variant, WorkflowsActions>> = {};
  for (const [variant, { actions }] of Object.entries(counted) as [Variant, CountedOutcome][]) if (actions) result[variant] = actions;
  return result;
}
