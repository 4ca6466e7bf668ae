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

  constructor(intervalMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Takes a sample now and returns it (in MB). */
  sample(): number {
    const mb = process.memoryUsage().rss / MB;
    this.samples.push({ t: (performance.now() - this.started) / 1_000, mb });
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
