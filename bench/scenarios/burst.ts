/**
 * `burst`: many calls at once — BENCH_BURST_CALLS calls (20) × BENCH_BURST_EVENTS events (10),
 * all calls in parallel, each call one sequential stream. Measures peak throughput; its callhook
 * figure is the "max" the open-loop scenario's offered rates are fractions of. Also counts the
 * Temporal actions (bench/lib/temporal-actions.ts) of the floor's and callhook's call workflows.
 */
import { intEnv } from '../lib/config';
import type { BenchContext } from '../lib/context';
import { callsOf } from '../lib/events';
import { runCalls } from '../lib/load';
import { actionNotes, actionsByVariant, actionsRow, outcomeNotes, perVariant, pick, runsOf, standardRows, type CountedOutcome, type Scenario } from '../lib/scenario';
import type { Variant } from '../lib/types';

export function burstSizes(): { calls: number; events: number } {
  return { calls: intEnv('BENCH_BURST_CALLS', 20), events: intEnv('BENCH_BURST_EVENTS', 10) };
}

/** One burst run of one variant; with `countActions`, the Temporal actions of its workflows too (once they closed). */
export function burstRun(ctx: BenchContext, variant: Variant, label: string, sizes = burstSizes(), countActions = false): Promise<CountedOutcome> {
  return ctx.measure(variant, label, { endpoints: 1 }, async (target) => {
    const calls = callsOf(target.spec.tag, sizes.calls, sizes.events);
    const outcome = await runCalls(target, calls, ctx.limits);
    const actions = countActions ? await ctx.actions(variant, calls.flat().map((event) => event.callId)) : undefined;
    return { outcome, actions };
  });
}

export const burst: Scenario = {
  name: 'burst',
  title: 'Burst: calls in parallel',
  async run(ctx) {
    const sizes = burstSizes();
    const counted = await perVariant(ctx, (variant) => burstRun(ctx, variant, 'burst', sizes, true));
    const outcomes = pick(counted, (c) => c.outcome);
    ctx.shared.burstThroughput = pick(outcomes, (o) => o.throughput);
    return {
      description: `${sizes.calls} calls × ${sizes.events} events, all calls in parallel, one sequential stream per call; one endpoint.`,
      params: { calls: sizes.calls, eventsPerCall: sizes.events },
      rows: [...standardRows(outcomes), actionsRow('actions per delivered event', counted, true)],
      notes: [...outcomeNotes(outcomes), ...actionNotes('actions', counted)],
      runs: runsOf('burst', outcomes),
      extra: { actions: actionsByVariant(counted) },
    };
  },
};
