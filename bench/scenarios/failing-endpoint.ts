/**
 * `failing-endpoint`: does a failing endpoint hold back a healthy one? The same load
 * (BENCH_FAILING_CALLS calls (20) × BENCH_FAILING_EVENTS events (10), calls in parallel) goes
 * first to one healthy endpoint alone, then to the same healthy endpoint plus a second endpoint
 * of the same client that always answers 503 (retried with the harness's fast schedule: 1, 2, 4,
 * 4, 4, 4 s). Reported: the healthy endpoint's figures both ways and their ratio. Afterwards the
 * failing receiver is healed and drained so its retries do not leak into later scenarios.
 */
import { intEnv } from '../lib/config';
import { callsOf } from '../lib/events';
import { runCalls } from '../lib/load';
import { outcomeNotes, mergeRuns, perVariant, pick, runsOf, type Scenario } from '../lib/scenario';
import type { RunOutcome, Variant } from '../lib/types';

interface Pair {
  alone: RunOutcome;
  withFailing: RunOutcome;
}

export const failingEndpoint: Scenario = {
  name: 'failing-endpoint',
  title: 'Failing endpoint next to a healthy one',
  async run(ctx) {
    const calls = intEnv('BENCH_FAILING_CALLS', 20);
    const events = intEnv('BENCH_FAILING_EVENTS', 10);
    const load = (failing: boolean) => (variant: Variant) =>
      ctx.measure(variant, failing ? 'failing' : 'healthy', { endpoints: 1, failing }, (target) =>
        runCalls(target, callsOf(target.spec.tag, calls, events), ctx.limits),
      );
    const pairs = await perVariant(ctx, async (variant): Promise<Pair> => ({
      alone: await load(false)(variant),
      withFailing: await load(true)(variant),
    }));
    const alone = pick(pairs, (p) => p.alone.latency.p99);
    const withFailing = pick(pairs, (p) => p.withFailing.latency.p99);
    const aloneOutcomes: Partial<Record<Variant, RunOutcome>> = {};
    const withOutcomes: Partial<Record<Variant, RunOutcome>> = {};
    for (const [variant, pair] of Object.entries(pairs) as [Variant, Pair][]) {
      aloneOutcomes[variant] = pair.alone;
      withOutcomes[variant] = pair.withFailing;
    }
    return {
      description: `${calls} calls × ${events} events to a healthy endpoint, alone and then beside a second endpoint of the same client that answers 503 to everything (fast retry schedule). Figures are the healthy endpoint's.`,
      params: { calls, eventsPerCall: events },
      rows: [
        { label: 'healthy alone: throughput', unit: 'ev/s', values: pick(pairs, (p) => p.alone.throughput), higherIsBetter: true },
        { label: 'healthy beside failing: throughput', unit: 'ev/s', values: pick(pairs, (p) => p.withFailing.throughput), higherIsBetter: true },
        { label: 'healthy alone: latency p50', unit: 'ms', values: pick(pairs, (p) => p.alone.latency.p50) },
        { label: 'healthy beside failing: latency p50', unit: 'ms', values: pick(pairs, (p) => p.withFailing.latency.p50) },
        { label: 'healthy alone: latency p99', unit: 'ms', values: alone, headline: true },
        { label: 'healthy beside failing: latency p99', unit: 'ms', values: withFailing, headline: true },
        { label: 'p99 beside failing / alone', unit: '×', values: pick(pairs, (p) => p.withFailing.latency.p99 / p.alone.latency.p99), ratios: false, headline: true },
      ],
      notes: [
        'wire: the failing receiver gets the same POSTs at the same time and is not retried.',
        'floor: a second lane whose activity always fails, with the same retry policy as callhook.',
        ...outcomeNotes(aloneOutcomes),
        ...outcomeNotes(withOutcomes),
      ],
      runs: mergeRuns(runsOf('healthy-alone', aloneOutcomes), runsOf('healthy-beside-failing', withOutcomes)),
    };
  },
};
