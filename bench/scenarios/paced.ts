/**
 * `paced`: latency with no load to speak of. One call gets an event every BENCH_PACED_INTERVAL_MS
 * (300 ms), BENCH_PACED_EVENTS of them (40): p50/p95/p99. Then BENCH_PACED_NEW_CALLS new calls
 * (10), one event each at the same pace: the latency of a call's first event (workflow start).
 * Both also count the Temporal actions (bench/lib/temporal-actions.ts) of the floor's and
 * callhook's call workflows: per event of a steady call, and per one-event call.
 */
import { intEnv } from '../lib/config';
import type { BenchContext } from '../lib/context';
import { runSchedule, type Scheduled } from '../lib/load';
import {
  actionNotes,
  actionsByVariant,
  actionsRow,
  outcomeNotes,
  mergeRuns,
  perVariant,
  pick,
  runsOf,
  standardRows,
  type CountedOutcome,
  type Scenario,
} from '../lib/scenario';
import { range } from '../lib/stats';
import type { RunOutcome, Variant } from '../lib/types';

/** `events` events of one call, `intervalMs` apart. */
function oneCall(tag: string, events: number, intervalMs: number): Scheduled[] {
  const callId = `${tag}-c0`;
  return range(events).map((seq) => ({ atMs: seq * intervalMs, event: { id: `${callId}-e${seq}`, callId, seq, terminal: seq === events - 1 } }));
}

/** `calls` new calls of one terminal event each, `intervalMs` apart. */
function firstEvents(tag: string, calls: number, intervalMs: number): Scheduled[] {
  return range(calls).map((call) => {
    const callId = `${tag}-c${call}`;
    return { atMs: call * intervalMs, event: { id: `${callId}-e0`, callId, seq: 0, terminal: true } };
  });
}

/** Runs a schedule on a fresh target of `variant`, then counts its call workflows' actions. */
function pacedRun(ctx: BenchContext, variant: Variant, label: string, schedule: (tag: string) => Scheduled[]): Promise<CountedOutcome> {
  return ctx.measure(variant, label, { endpoints: 1 }, async (target) => {
    const scheduled = schedule(target.spec.tag);
    const outcome = await runSchedule(target, scheduled, ctx.limits);
    return { outcome, actions: await ctx.actions(variant, scheduled.map((s) => s.event.callId)) };
  });
}

export const paced: Scenario = {
  name: 'paced',
  title: 'Paced: one event at a time',
  async run(ctx) {
    const events = intEnv('BENCH_PACED_EVENTS', 40);
    const intervalMs = intEnv('BENCH_PACED_INTERVAL_MS', 300);
    const newCalls = intEnv('BENCH_PACED_NEW_CALLS', 10);
    const steadyCounted = await perVariant(ctx, (variant) => pacedRun(ctx, variant, 'paced', (tag) => oneCall(tag, events, intervalMs)));
    const firstCounted = await perVariant(ctx, (variant) => pacedRun(ctx, variant, 'pacedfirst', (tag) => firstEvents(tag, newCalls, intervalMs)));
    const steady = pick(steadyCounted, (c) => c.outcome);
    const first = pick(firstCounted, (c) => c.outcome);
    const steadyRows = standardRows(steady)
      .filter((row) => !row.label.endsWith('throughput'))
      .map((row) => ({ ...row, headline: row.label === 'latency p50' || row.label === 'latency p99' }));
    return {
      description: `1 call, an event every ${intervalMs} ms, ${events} events; then ${newCalls} new calls, one event each, ${intervalMs} ms apart (first-event latency: includes starting the call's workflow).`,
      params: { events, intervalMs, newCalls },
      rows: [
        ...steadyRows,
        actionsRow('actions per delivered event', steadyCounted, true),
        { label: 'first event of a new call p50', unit: 'ms', values: pick(first, (o: RunOutcome) => o.latency.p50), headline: true },
        { label: 'first event of a new call max', unit: 'ms', values: pick(first, (o: RunOutcome) => o.latency.max) },
        { label: 'first event accept p50', unit: 'ms', values: pick(first, (o: RunOutcome) => o.accept.p50) },
        actionsRow('one-event call: actions per call', firstCounted, true),
      ],
      notes: [
        ...outcomeNotes(steady),
        ...outcomeNotes(first),
        ...actionNotes(`actions of the ${events}-event call`, steadyCounted),
        ...actionNotes(`actions of the ${newCalls} one-event calls`, firstCounted),
      ],
      runs: mergeRuns(runsOf('paced', steady), runsOf('first-event', first)),
      extra: { actions: { paced: actionsByVariant(steadyCounted), firstEvent: actionsByVariant(firstCounted) } },
    };
  },
};
