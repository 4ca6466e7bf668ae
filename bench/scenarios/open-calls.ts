/**
 * `open-calls`: memory with many calls open at once. BENCH_OPEN_CALLS calls (10 000) each get one
 * non-terminal event (their workflows then stay open: the run's abandon timeout is 2 h), then one
 * more event each, BENCH_OPEN_CALLS_CONCURRENCY (50) calls submitting at a time. RSS is sampled
 * every BENCH_RSS_SAMPLE_MS (2 s) and reported at the start, after the first events, at the end
 * and at its peak.
 *
 * RSS is that of the whole bench process (API + worker + client + receivers + the floor's worker).
 * callhook runs first, so its figures are not inflated by the floor's open workflows (whose
 * memory stays in the process while callhook's calls are still open too). Both workers keep at
 * most BENCH_MAX_CACHED_WORKFLOWS (1 000) workflows cached; the calls beyond stay open in
 * Temporal only, and are replayed from their history when their next event comes.
 *
 * It takes long: every event costs the Temporal dev server about 25 ms of CPU (a start or a signal,
 * workflow tasks, an activity, a timer), the floor's Node side about 20 ms and callhook's about
 * 50 ms, so on 2 cores 10 000 calls (20 000 events per variant) took 25 min for callhook and 12 for
 * the floor (38 min in all, 2026-12). Progress is printed every 30 s, and the wait for a phase's
 * deliveries grows with the number of calls.
 */
import { performance } from 'node:perf_hooks';
import { intEnv } from '../lib/config';
import { callsOf } from '../lib/events';
import { runCalls, type WaitLimits } from '../lib/load';
import { RssSampler, canCollectGarbage, rssSlopeKb, type Reading } from '../lib/rss';
import { outcomeNotes, mergeRuns, perVariant, pick, runsOf, type Scenario } from '../lib/scenario';
import { sleep } from '../lib/stats';
import type { Target } from '../lib/target';
import type { BenchEvent, RunOutcome, Variant } from '../lib/types';

interface OpenCallsOutcome {
  opened: RunOutcome;
  second: RunOutcome;
  start: Reading;
  afterOpening: Reading;
  end: Reading;
  rssPeakMb: number;
  /** RSS growth per call opened, KB, least squares over the samples taken while the second half of the calls opened. */
  lastHalfSlopeKb: number;
  samples: { t: number; mb: number }[];
}

/** The issue's figure: 10 000 calls open at once (BENCH_OPEN_CALLS overrides). */
const DEFAULT_OPEN_CALLS = 10_000;

/** RSS samples kept in latest.json per variant (evenly spaced), to keep the file small. */
const MAX_SAMPLES_KEPT = 60;

/** At most `max` items of `items`, evenly spaced, the last one included. */
function evenly<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)]).filter((item): item is T => item !== undefined);
}

const PROGRESS_EVERY_MS = 30_000;
/** The longest wait for one phase's deliveries grows by this per call (the stall limit still applies). */
const WAIT_PER_CALL_MS = 250;

/** `runCalls`, printing every 30 s how many deliveries of the phase have arrived. */
async function runWithProgress(target: Target, phase: string, calls: BenchEvent[][], limits: WaitLimits, concurrency: number, sampler: RssSampler): Promise<RunOutcome> {
  const started = performance.now();
  const before = target.log.count;
  const timer = setInterval(() => {
    const done = target.log.count - before;
    const seconds = (performance.now() - started) / 1_000;
    console.log(`    ${phase}: ${done} of ${calls.length} delivered, ${seconds.toFixed(0)} s (${(done / seconds).toFixed(1)} ev/s), RSS ${sampler.sample().toFixed(0)} MB`);
  }, PROGRESS_EVERY_MS);
  try {
    return await runCalls(target, calls, limits, concurrency);
  } finally {
    clearInterval(timer);
  }
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
    const limits: WaitLimits = { ...ctx.limits, timeoutMs: Math.max(ctx.limits.timeoutMs, calls * WAIT_PER_CALL_MS) };
    const cache = ctx.config.maxCachedWorkflows;
    const outcomes = await perVariant(
      ctx,
      (variant) =>
        ctx.measure(variant, 'opencalls', { endpoints: 1 }, async (target): Promise<OpenCallsOutcome> => {
          const events = callsOf(target.spec.tag, calls, 2, false);
          const firsts = events.map((call) => call.slice(0, 1));
          const seconds = events.map((call) => call.slice(1));
          const base = target.log.count;
          const sampler = new RssSampler(sampleMs, () => target.log.count - base);
          const start = sampler.settled();
          const opened = await runWithProgress(target, 'opening events', firsts, limits, concurrency, sampler);
          const openingSamples = sampler.samples.slice();
          const afterOpening = sampler.settled();
          const second = await runWithProgress(target, 'second events', seconds, limits, concurrency, sampler);
          await sleep(sampleMs);
          const end = sampler.settled();
          sampler.stop();
          const samples = evenly(sampler.samples, MAX_SAMPLES_KEPT).map((s) => ({ t: Math.round(s.t), mb: Math.round(s.mb) }));
          // Opening deliveries count 0 → calls: the slope over the second half leaves out the start-up steps (cache filling, pools, heaps).
          const lastHalfSlopeKb = rssSlopeKb(openingSamples, Math.floor(calls / 2), calls);
          return { opened, second, start, afterOpening, end, rssPeakMb: sampler.peak, lastHalfSlopeKb, samples };
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
        { label: 'opening + second events: time taken', unit: 's', values: pick(outcomes, (o) => o.opened.seconds + o.second.seconds) },
        { label: 'process RSS at start', unit: 'MB', values: pick(outcomes, (o) => o.start.rssMb), ratios: false },
        { label: `process RSS with ${calls} calls open`, unit: 'MB', values: pick(outcomes, (o) => o.afterOpening.rssMb), ratios: false },
        { label: 'process RSS at end', unit: 'MB', values: pick(outcomes, (o) => o.end.rssMb), ratios: false },
        { label: 'process RSS peak (sampled)', unit: 'MB', values: pick(outcomes, (o) => o.rssPeakMb), ratios: false },
        { label: 'RSS growth per open call (end − start)', unit: 'KB', values: pick(outcomes, (o) => ((o.end.rssMb - o.start.rssMb) * 1_024) / calls), headline: true },
        { label: `RSS growth per open call, calls ${Math.floor(calls / 2)}–${calls} (slope)`, unit: 'KB', values: pick(outcomes, (o) => o.lastHalfSlopeKb), headline: true },
        { label: 'V8 heap used: start → end growth', unit: 'MB', values: pick(outcomes, (o) => o.end.heapUsedMb - o.start.heapUsedMb) },
      ],
      notes: [
        'RSS is of the whole bench process: API + callhook worker + floor worker + client + receivers, not callhook alone.',
        `callhook's worker and the floor's each keep at most ${cache} workflows cached${calls > cache ? `: ${calls - cache} of the ${calls} open calls live in Temporal only, and are replayed from their history when their second event comes` : ''}.`,
        `"(end − start)" divides all the growth, start-up steps included (pools, heaps, the workflow cache filling), by ${calls}; "(slope)" is RSS against calls opened (least squares over the samples taken while calls ${Math.floor(calls / 2)}–${calls} opened, not after a collection): what one more open call costs.`,
        `Flat = RSS at the end within ${FLAT_TOLERANCE * 100}% of RSS at the start. Start, "open" and end readings are taken ${canCollectGarbage ? 'right after a forced garbage collection' : 'without a forced garbage collection (gc() unavailable)'}.`,
        ...(Object.keys(outcomes).length > 1
          ? [`Only the first variant (${order.find((v) => v in outcomes)}) starts from a process that has not held many workflows yet: the later ones reuse the memory the earlier ones' evicted workflows left, so their growth reads low, even below zero. For one variant's own figure, run it alone (BENCH_VARIANTS=floor).`]
          : []),
        ...flatness,
        ...outcomeNotes(opened),
        ...outcomeNotes(second),
      ],
      runs: mergeRuns(runsOf('opening-events', opened), runsOf('second-events', second)),
      extra: { rssSamplesMb: pick(outcomes, (o) => o.samples) },
    };
  },
};
