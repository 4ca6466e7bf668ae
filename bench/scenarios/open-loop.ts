/**
 * `open-loop`: latency against offered load. Events are offered at fixed rates — fractions
 * BENCH_OPEN_LOOP_FRACTIONS (0.25, 0.5, 0.75, 1) of callhook's burst throughput measured earlier
 * in the same run (or BENCH_OPEN_LOOP_MAX_RATE) — for BENCH_OPEN_LOOP_SECONDS (20) each, round-robin
 * over BENCH_OPEN_LOOP_CALLS calls (20), with Poisson arrivals (BENCH_OPEN_LOOP_ARRIVALS=fixed for a
 * fixed interval). Latency counts from the time an event was offered, so a backlog shows.
 * Every variant is offered the same rates: the chart has one x axis.
 */
import { intEnv, numberEnv, numberListEnv } from '../lib/config';
import type { BenchContext } from '../lib/context';
import { rateSchedule, runSchedule } from '../lib/load';
import { outcomeNotes, mergeRuns, perVariant, pick, runsOf, type Scenario } from '../lib/scenario';
import type { RatePoint, Row, RunOutcome, Variant } from '../lib/types';
import { burstRun } from './burst';

/** The rate the fractions apply to, and where it came from. */
async function maxRate(ctx: BenchContext): Promise<{ rate: number; source: string }> {
  const measured = ctx.shared.burstThroughput?.callhook;
  if (measured) return { rate: measured, source: "callhook's throughput in the burst scenario of this run" };
  if (process.env.BENCH_OPEN_LOOP_MAX_RATE) return { rate: numberEnv('BENCH_OPEN_LOOP_MAX_RATE', 1), source: 'BENCH_OPEN_LOOP_MAX_RATE' };
  const calibration = await burstRun(ctx, 'callhook', 'calibrate');
  return { rate: calibration.outcome.throughput, source: "callhook's throughput in a calibration burst (burst scenario not selected)" };
}

function arrivals(): 'poisson' | 'fixed' {
  const value = process.env.BENCH_OPEN_LOOP_ARRIVALS ?? 'poisson';
  if (value !== 'poisson' && value !== 'fixed') throw new Error(`BENCH_OPEN_LOOP_ARRIVALS=${value}: expected poisson or fixed`);
  return value;
}

export const openLoop: Scenario = {
  name: 'open-loop',
  title: 'Open loop: latency against offered rate',
  async run(ctx) {
    const fractions = numberListEnv('BENCH_OPEN_LOOP_FRACTIONS', [0.25, 0.5, 0.75, 1]);
    const seconds = numberEnv('BENCH_OPEN_LOOP_SECONDS', 20);
    const calls = intEnv('BENCH_OPEN_LOOP_CALLS', 20);
    const kind = arrivals();
    const max = await maxRate(ctx);
    const rates = fractions.map((fraction) => ({ fraction, rate: fraction * max.rate }));
    const points: RatePoint[] = [];
    const rows: Row[] = [];
    const allRuns: ReturnType<typeof runsOf>[] = [];
    const notes: string[] = [];
    for (const { fraction, rate } of rates) {
      const events = Math.max(calls, Math.round(rate * seconds));
      const outcomes = await perVariant(ctx, (variant) =>
        ctx.measure(variant, `openloop${Math.round(fraction * 100)}`, { endpoints: 1 }, (target) =>
          runSchedule(target, rateSchedule(target.spec.tag, { ratePerSecond: rate, events, calls, arrivals: kind }), ctx.limits),
        ),
      );
      for (const [variant, outcome] of Object.entries(outcomes) as [Variant, RunOutcome][]) {
        points.push({ variant, offeredRate: rate, achievedRate: outcome.throughput, p50: outcome.latency.p50, p95: outcome.latency.p95, p99: outcome.latency.p99 });
      }
      const at = `${fraction} × max = ${rate.toFixed(1)} ev/s`;
      const values = (figure: (o: RunOutcome) => number) => pick(outcomes, figure);
      rows.push(
        { label: `${at}: achieved`, unit: 'ev/s', values: values((o) => o.throughput), higherIsBetter: true },
        { label: `${at}: latency p50`, unit: 'ms', values: values((o) => o.latency.p50) },
        { label: `${at}: latency p95`, unit: 'ms', values: values((o) => o.latency.p95) },
        { label: `${at}: latency p99`, unit: 'ms', values: values((o) => o.latency.p99), headline: true },
      );
      allRuns.push(runsOf(`${fraction}x`, outcomes));
      notes.push(...outcomeNotes(outcomes).map((note) => `${at}: ${note}`));
    }
    return {
      description: `Offered rates ${fractions.join(', ')} × ${max.rate.toFixed(1)} ev/s (${max.source}), ${seconds} s each, ${kind} arrivals round-robin over ${calls} calls; one endpoint. Latency from the offered time.`,
      params: { maxRate: max.rate, seconds, calls, arrivals: kind, fractions: fractions.join(',') },
      rows,
      notes: ['Chart: latency-vs-rate.svg.', ...notes],
      runs: mergeRuns(...allRuns),
      ratePoints: points,
    };
  },
};
