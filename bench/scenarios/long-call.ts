/**
 * `long-call`: one call with BENCH_LONG_CALL_EVENTS events (2000), submitted one after another.
 * Every event must arrive in order; the workflow continues-as-new on the way (Temporal suggests
 * it as the history grows, and accepts at most 10 000 signals per run). Reports ev/s and how many
 * runs the call's workflow took.
 */
import { intEnv } from '../lib/config';
import type { BenchContext } from '../lib/context';
import { callsOf } from '../lib/events';
import { runCalls } from '../lib/load';
import { outcomeNotes, perVariant, pick, runsOf, standardRows, type Scenario } from '../lib/scenario';
import { sleep } from '../lib/stats';
import type { RunOutcome, Variant } from '../lib/types';

/** How many runs (continue-as-new chain) the workflow `workflowId` has had, from visibility; NaN if unknown. */
async function workflowRuns(ctx: BenchContext, workflowId: string): Promise<number> {
  await sleep(1_000); // visibility is updated asynchronously
  let runs = 0;
  try {
    for await (const _ of ctx.h.env.client.workflow.list({ query: `WorkflowId = '${workflowId}'`, pageSize: 100 })) {
      if (++runs >= 1_000) break;
    }
  } catch {
    return NaN;
  }
  return runs;
}

export const longCall: Scenario = {
  name: 'long-call',
  title: 'Long call: one call, many events',
  async run(ctx) {
    const events = intEnv('BENCH_LONG_CALL_EVENTS', 2_000);
    const runCounts: Partial<Record<Variant, number>> = {};
    const outcomes = await perVariant(ctx, (variant) =>
      ctx.measure(variant, 'longcall', { endpoints: 1 }, async (target): Promise<RunOutcome> => {
        const calls = callsOf(target.spec.tag, 1, events);
        const outcome = await runCalls(target, calls, ctx.limits);
        const callId = calls[0]?.[0]?.callId;
        if (variant !== 'wire' && callId) runCounts[variant] = await workflowRuns(ctx, callId);
        return outcome;
      }),
    );
    return {
      description: `1 call × ${events} events, submitted one after another; one endpoint. Every event is checked to arrive in order.`,
      params: { events },
      rows: [
        ...standardRows(outcomes),
        { label: 'workflow runs (continue-as-new chain)', unit: 'runs', values: runCounts, ratios: false },
      ],
      notes: [
        `Per-call order held for all ${events} events in every variant measured.`,
        "The floor runs one activity per event; callhook's workflow sends a lane's backlog in batches (up to 50 per activity), so with a backlog it can outrun the floor.",
        ...outcomeNotes(outcomes),
      ],
      runs: runsOf('long-call', outcomes),
      extra: { throughput: pick(outcomes, (o) => o.throughput) },
    };
  },
};
