/**
 * Samples the resident set size of this whole process — the benchmark's client, callhook's API
 * and worker, the floor's worker and the receivers all live in it — every few seconds.
 * `settled()` first collects garbage (when the runtime lets us), so that readings at the
 * milestones measure what is kept, not what awaits collection.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

export interface RssSample {
  /** Seconds since sampling started. */
  t: number;
  mb: number;
  /** The sampler's counter at that moment (e.g. deliveries so far), when it has one. */
  count?: number;
}

export interface Reading {
  rssMb: number;
  heapUsedMb: number;
}

const MB = 1_048_576;

/** V8's gc(), exposed at run time (the bench runs under plain `tsx`, without --expose-gc). */
const gc: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = vm.runInNewContext('gc');
    return typeof fn === 'function' ? () => void fn() : undefined;
  } catch {
    return undefined;
  }
})();

export const canCollectGarbage = gc !== undefined;

export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  /** Samples every `intervalMs`; each sample also notes `counter()` when given. */
  constructor(intervalMs: number, private readonly counter?: () => number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Takes a sample now and returns it (in MB). */
  sample(): number {
    const mb = process.memoryUsage().rss / MB;
    this.samples.push({ t: (performance.now() - this.started) / 1_000, mb, ...(this.counter && { count: this.counter() }) });
    return mb;
  }

  /** A milestone reading: garbage collected first, then RSS (also kept as a sample) and V8 heap used. */
  settled(): Reading {
    gc?.();
    return { rssMb: this.sample(), heapUsedMb: process.memoryUsage().heapUsed / MB };
  }

  get peak(): number {
    return Math.max(...this.samples.map((s) => s.mb));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * The least-squares slope of RSS against the counter, in KB per count, over the samples whose
 * counter lies in [from, to]: memory that grows with the count, apart from any step before `from`.
 * NaN with fewer than 3 such samples.
 */
export function rssSlopeKb(samples: RssSample[], from: number, to: number): number {
  const points = samples.flatMap((s) => (s.count !== undefined && s.count >= from && s.count <= to ? [{ x: s.count, y: s.mb * 1_024 }] : []));
  if (points.length < 3) return NaN;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  const sxx = points.reduce((sum, p) => sum + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((sum, p) => sum + (p.x - mx) * (p.y - my), 0);
  return sxx > 0 ? sxy / sxx : NaN;
}
