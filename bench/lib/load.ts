/**
 * Load patterns, the same for every variant:
 * - closed loop (`runCalls`): one sequential stream per call — the next event of a call is
 *   submitted when the previous one is accepted — with calls in parallel (all, or a pool);
 * - open loop (`runSchedule`): each event has a time at which it is offered; a call's events are
 *   still submitted one at a time in order, so an event whose predecessor is slow to be accepted
 *   waits, and that wait counts in its latency (measured from its scheduled time).
 * Both then wait for every delivery and summarize throughput and latency.
 */
import { performance } from 'node:perf_hooks';
import { range, seededRandom, summarize } from './stats';
import type { Target } from './target';
import type { BenchEvent, RunOutcome } from './types';

export interface WaitLimits {
  timeoutMs: number;
  stallMs: number;
}

/** When each event was offered, and how long acceptance took. */
class Submissions {
  readonly offeredAt = new Map<string, number>();
  readonly acceptMs: number[] = [];
  firstAt = Infinity;

  async submit(target: Target, event: BenchEvent, offeredAt: number): Promise<void> {
    this.offeredAt.set(event.id, offeredAt);
    this.firstAt = Math.min(this.firstAt, offeredAt);
    const started = performance.now();
    await target.submit(event);
    this.acceptMs.push(performance.now() - started);
  }
}

/** Closed loop over `calls` (each a list of events in order), at most `concurrency` calls at a time. */
export async function runCalls(target: Target, calls: BenchEvent[][], limits: WaitLimits, concurrency = calls.length): Promise<RunOutcome> {
  const before = { deliveries: target.log.count, duplicates: target.log.duplicates, retried: target.retriedSubmissions };
  const submissions = new Submissions();
  let next = 0;
  await Promise.all(
    range(Math.min(concurrency, calls.length)).map(async () => {
      for (let call = calls[next++]; call; call = calls[next++]) {
        for (const event of call) await submissions.submit(target, event, performance.now());
      }
    }),
  );
  return outcome(target, submissions, before, limits);
}

/** An event and when to offer it, in ms from the start of the run. */
export interface Scheduled {
  atMs: number;
  event: BenchEvent;
}

/** Open loop: offers each event at its time; per call, in order and one at a time. */
export async function runSchedule(target: Target, schedule: Scheduled[], limits: WaitLimits): Promise<RunOutcome> {
  const before = { deliveries: target.log.count, duplicates: target.log.duplicates, retried: target.retriedSubmissions };
  const submissions = new Submissions();
  const byCall = new Map<string, Scheduled[]>();
  for (const item of schedule) {
    const list = byCall.get(item.event.callId);
    if (list) list.push(item);
    else byCall.set(item.event.callId, [item]);
  }
  const start = performance.now();
  await Promise.all(
    [...byCall.values()].map(async (items) => {
      for (const item of items) {
        const wait = start + item.atMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await submissions.submit(target, item.event, start + item.atMs);
      }
    }),
  );
  return outcome(target, submissions, before, limits);
}

/**
 * `events` events over `calls` calls round-robin, offered at `ratePerSecond`: Poisson arrivals
 * (seeded, the same every run) or a fixed interval. Each call's last event is terminal.
 */
export function rateSchedule(tag: string, options: { ratePerSecond: number; events: number; calls: number; arrivals: 'poisson' | 'fixed'; seed?: number }): Scheduled[] {
  const random = seededRandom(options.seed ?? 42);
  const meanGapMs = 1_000 / options.ratePerSecond;
  const perCall = range(options.calls).map((call) => Math.floor(options.events / options.calls) + (call < options.events % options.calls ? 1 : 0));
  const schedule: Scheduled[] = [];
  let atMs = 0;
  for (let i = 0; i < options.events; i++) {
    const call = i % options.calls;
    const seq = Math.floor(i / options.calls);
    const callId = `${tag}-c${call}`;
    schedule.push({ atMs, event: { id: `${callId}-e${seq}`, callId, seq, terminal: seq === (perCall[call] ?? 0) - 1 } });
    atMs += options.arrivals === 'fixed' ? meanGapMs : -Math.log(1 - random()) * meanGapMs;
  }
  return schedule;
}

/** The target's counters when a run began: the run's own figures are what they grew by. */
interface Before {
  deliveries: number;
  duplicates: number;
  retried: number;
}

async function outcome(target: Target, submissions: Submissions, before: Before, limits: WaitLimits): Promise<RunOutcome> {
  const events = submissions.offeredAt.size;
  const deliveries = events * target.spec.endpoints;
  await target.log.waitFor(before.deliveries + deliveries, limits.timeoutMs, limits.stallMs);
  const latencies: number[] = [];
  let last = -Infinity;
  for (const arrival of target.log.arrivals.slice(before.deliveries)) {
    const offeredAt = submissions.offeredAt.get(arrival.id);
    if (offeredAt === undefined) continue;
    latencies.push(arrival.at - offeredAt);
    last = Math.max(last, arrival.at);
  }
  const seconds = (last - submissions.firstAt) / 1_000;
  return {
    variant: target.variant,
    events,
    deliveries,
    seconds,
    throughput: deliveries / seconds,
    latency: summarize(latencies),
    accept: summarize(submissions.acceptMs),
    duplicates: target.log.duplicates - before.duplicates,
    retriedSubmissions: target.retriedSubmissions - before.retried,
  };
}
