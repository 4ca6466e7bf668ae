/**
 * `new-calls`: BENCH_NEW_CALLS calls (200) of one event each, all at once. Every event starts a
 * workflow: measures the cost of a call's first event under load.
 */
import { intEnv } from '../lib/config';
import { callsOf } from '../lib/events';
import { runCalls } from '../lib/load';
import { outcomeNotes, perVariant, runsOf, standardRows, type Scenario } from '../lib/scenario';

export const newCalls: Scenario = {
  name: 'new-calls',
  title: 'New calls: one event each',
  async run(ctx) {
    const calls = intEnv('BENCH_NEW_CALLS', 200);
    const outcomes = await perVariant(ctx, (variant) =>
      ctx.measure(variant, 'newcalls', { endpoints: 1 }, (target) => runCalls(target, callsOf(target.spec.tag, calls, 1), ctx.limits)),
    );
    return {
      description: `${calls} new calls × 1 (terminal) event, all submitted at once; one endpoint.`,
      params: { calls },
      rows: standardRows(outcomes),
      notes: outcomeNotes(outcomes),
      runs: runsOf('new-calls', outcomes),
    };
  },
};
