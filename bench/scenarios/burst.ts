/**
 * `burst`: many calls at once — BENCH_BURST_CALLS calls (20) × BENCH_BURST_EVENTS events (10),
 * all calls in parallel, each call one sequential stream. Measures peak throughput; its callhook
 * figure is the "max" the open-loop scenario's offered rates are fractions of.
 */
import { intEnv } from '../lib/config';
import type { BenchContext } from '../lib/context';
import { callsOf } from '../lib/events';
import { runCalls } from '../lib/load';
import { outcomeNotes, perVariant, pick, runsOf, standardRows, type Scenario } from '../lib/scenario';
import type { RunOutcome, Variant } from '../lib/types';

export function burstSizes(): { calls: number; events: number } {
  return { calls: intEnv('BENCH_BURST_CALLS', 20), events: intEnv('BENCH_BURST_EVENTS', 10) };
}

/** One burst run of one variant. */
export function burstRun(ctx: BenchContext, variant: Variant, label: string, sizes = burstSizes()): Promise<RunOutcome> {
  return ctx.measure(variant, label, { endpoints: 1 }, (target) => runCalls(target, callsOf(target.spec.tag, sizes.calls, sizes.events), ctx.limits));
}

export const burst: Scenario = {
  name: 'burst',
  title: 'Burst: calls in parallel',
  async run(ctx) {
    const sizes = burstSizes();
    const outcomes = await perVariant(ctx, (variant) => burstRun(ctx, variant, 'burst', sizes));
    ctx.shared.burstThroughput = pick(outcomes, (o) => o.throughput);
    return {
      description: `${sizes.calls} calls × ${sizes.events} events, all calls in parallel, one sequential stream per call; one endpoint.`,
      params: { calls: sizes.calls, eventsPerCall: sizes.events },
      rows: standardRows(outcomes),
      notes: outcomeNotes(outcomes),
      runs: runsOf('burst', outcomes),
    };
  },
};
