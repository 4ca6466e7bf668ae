/**
 * `open-calls`: memory with many calls open at once. BENCH_OPEN_CALLS calls (2 000) each get one
 * non-terminal event (their workflows then stay open: the run's abandon timeout is 2 h), then one
 * more event each, BENCH_OPEN_CALLS_CONCURRENCY (50) calls submitting at a time. RSS is sampled
 * every BENCH_RSS_SAMPLE_MS (2 s) and reported at the start, after the first events, at the end
 * and at its peak.
 *
 * RSS is that of the whole bench process (API + worker + client + receivers + the floor's worker).
 * callhook runs first, so its figures are not inflated by the floor's open workflows (whose
 * memory stays in the process while callhook's calls are still open too).
 */
import { intEnv } from '../lib/config';
import { callsOf } from '../lib/events';
import { runCalls } from '../lib/load';
import { RssSampler, canCollectGarbage, type Reading } from '../lib/rss';
import { outcomeNotes, mergeRuns, perVariant, pick, runsOf, type Scenario } from '../lib/scenario';
import { sleep } from '../lib/stats';
import type { RunOutcome, Variant } from '../lib/types';

interface OpenCallsOutcome {
  opened: RunOutcome;
  second: RunOutcome;
  start: Reading;
  afterOpening: Reading;
  end: Reading;
  rssPeakMb: number;
  samples: { t: number; mb: number }[];
}

/**
 * 2 000 by default, not 10 000: callhook opens calls at roughly 20–40 per second on 2 cores, so
 * 10 000 calls (20 000 events, callhook and floor) alone would take 15–25 minutes. Set
 * BENCH_OPEN_CALLS=10000 for that figure.
 */
const DEFAULT_OPEN_CALLS = 2_000;

/** RSS samples kept in latest.json per variant (evenly spaced), to keep the file small. */
const MAX_SAMPLES_KEPT = 60;

/** At most `max` items of `items`, evenly spaced, the last one included. */
function evenly<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)]).filter((item): item is T => item !== undefined);
}

/** "Flat": the end RSS within this fraction of the start. */
const FLAT_TOLERANCE = 0.1;

export const openCalls: Scenario = {
  name: 'open-calls',
  title: 'Open calls: memory with many calls open',
  async run(ctx) {
    const calls = intEnv('BENCH_OPEN_CALLS', DEFAULT_OPEN_CALLS);
    const concurrency = intEnv('BENCH_OPEN_CALLS_CONCURRENCY', 50);
    const sampleMs = intEnv('BENCH_RSS_SAMPLE_MS', 2_000);
    const order: Variant[] = ['callhook', 'floor', 'wire'];
    const outcomes = await perVariant(
      ctx,
      (variant) =>
        ctx.measure(variant, 'opencalls', { endpoints: 1 }, async (target): Promise<OpenCallsOutcome> => {
          const events = callsOf(target.spec.tag, calls, 2, false);
          const firsts = events.map((call) => call.slice(0, 1));
          const seconds = events.map((call) => call.slice(1));
          const sampler = new RssSampler(sampleMs);
          const start = sampler.settled();
          const opened = await runCalls(target, firsts, ctx.limits, concurrency);
          const afterOpening = sampler.settled();
          const second = await runCalls(target, seconds, ctx.limits, concurrency);
          await sleep(sampleMs);
          const end = sampler.settled();
          sampler.stop();
          const samples = evenly(sampler.samples, MAX_SAMPLES_KEPT).map((s) => ({ t: Math.round(s.t), mb: Math.round(s.mb) }));
          return { opened, second, start, afterOpening, end, rssPeakMb: sampler.peak, samples };
        }),
      order,
    );
    const flatness = (Object.entries(outcomes) as [Variant, OpenCallsOutcome][]).map(([variant, o]) => {
      const growth = (o.end.rssMb - o.start.rssMb) / o.start.rssMb;
      return `${variant}: RSS ${growth <= FLAT_TOLERANCE ? 'flat' : 'NOT flat'} (${o.start.rssMb.toFixed(0)} → ${o.end.rssMb.toFixed(0)} MB, ${(growth * 100).toFixed(1)}%; peak ${o.rssPeakMb.toFixed(0)} MB).`;
    });
    const opened = pick(outcomes, (o) => o.opened);
    const second = pick(outcomes, (o) => o.second);
    return {
      description: `${calls} calls × 1 non-terminal event (calls stay open), then 1 more event each; ${concurrency} calls submitting at a time; RSS sampled every ${sampleMs} ms. Variants run callhook, floor, wire in that order.`,
      params: { calls, concurrency, sampleMs },
      rows: [
        { label: 'opening events: throughput', unit: 'ev/s', values: pick(outcomes, (o) => o.opened.throughput), higherIsBetter: true, headline: true },
        { label: 'opening events: latency p50', unit: 'ms', values: pick(outcomes, (o) => o.opened.latency.p50) },
        { label: 'opening events: latency p99', unit: 'ms', values: pick(outcomes, (o) => o.opened.latency.p99) },
        { label: 'second events: throughput', unit: 'ev/s', values: pick(outcomes, (o) => o.second.throughput), higherIsBetter: true },
        { label: 'second events: latency p50', unit: 'ms', values: pick(outcomes, (o) => o.second.latency.p50) },
        { label: 'second events: latency p99', unit: 'ms', values: pick(outcomes, (o) => o.second.latency.p99) },
        { label: 'process RSS at start', unit: 'MB', values: pick(outcomes, (o) => o.start.rssMb), ratios: false },
        { label: `process RSS with ${calls} calls open`, unit: 'MB', values: pick(outcomes, (o) => o.afterOpening.rssMb), ratios: false },
        { label: 'process RSS at end', unit: 'MB', values: pick(outcomes, (o) => o.end.rssMb), ratios: false },
        { label: 'process RSS peak (sampled)', unit: 'MB', values: pick(outcomes, (o) => o.rssPeakMb), ratios: false },
        { label: 'RSS growth per open call (end − start)', unit: 'KB', values: pick(outcomes, (o) => ((o.end.rssMb - o.start.rssMb) * 1_024) / calls), headline: true },
        { label: 'V8 heap used: start → end growth', unit: 'MB', values: pick(outcomes, (o) => o.end.heapUsedMb - o.start.heapUsedMb) },
      ],
      notes: [
        'RSS is of the whole bench process: API + callhook worker + floor worker + client + receivers, not callhook alone.',
        `Flat = RSS at the end within ${FLAT_TOLERANCE * 100}% of RSS at the start. Start, "open" and end readings are taken ${canCollectGarbage ? 'right after a forced garbage collection' : 'without a forced garbage collection (gc() unavailable)'}.`,
        ...flatness,
        ...outcomeNotes(opened),
        ...outcomeNotes(second),
      ],
      runs: mergeRuns(runsOf('opening-events', opened), runsOf('second-events', second)),
      extra: { rssSamplesMb: pick(outcomes, (o) => o.samples) },
    };
  },
};
