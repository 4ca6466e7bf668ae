/**
 * What a scenario gets: the one Harness (dev server, Postgres, callhook's worker and API) and the
 * floor's worker shared by the whole run, the run's configuration, and `measure`, which sets up a
 * fresh target (new client, endpoints and receivers, new call ids), runs a load on it, closes it
 * and pauses so the next measurement starts from a quiet system.
 */
import { performance } from 'node:perf_hooks';
import type { Harness } from '../../test/helpers/harness';
import type { FloorWorker } from '../baselines/floor';
import { wireTarget } from '../baselines/wire';
import { callhookTarget } from './callhook-target';
import type { RunConfig } from './config';
import type { WaitLimits } from './load';
import { sleep } from './stats';
import { actionsOfWorkflows, type WorkflowsActions } from './temporal-actions';
import type { Target, TargetSpec } from './target';
import type { Variant } from './types';

/** Figures one scenario leaves for later ones (open-loop reads burst's throughput). */
export interface SharedFigures {
  burstThroughput?: Partial<Record<Variant, number>>;
}

export class BenchContext {
  readonly shared: SharedFigures = {};
  private runs = 0;

  constructor(
    readonly h: Harness,
    readonly floor: FloorWorker,
    readonly config: RunConfig,
    /** BENCH_API=apart: the API's own process, where callhook's events are submitted. */
    readonly apiBase?: string,
  ) {}

  get variants(): Variant[] {
    return this.config.variants;
  }

  get limits(): WaitLimits {
    return { timeoutMs: this.config.waitTimeoutMs, stallMs: this.config.stallTimeoutMs };
  }

  /** A tag no other run of this process uses: `<label>-<variant>-<n>`. */
  tag(label: string, variant: Variant): string {
    return `${label}-${variant}-${++this.runs}`;
  }

  /** The Temporal actions of call workflows `callIds` (wire: none), counted once they have closed. */
  async actions(variant: Variant, callIds: Iterable<string>): Promise<WorkflowsActions | undefined> {
    return variant === 'wire' ? undefined : actionsOfWorkflows(this.h.env.client, new Set(callIds));
  }

  async target(variant: Variant, spec: TargetSpec): Promise<Target> {
    switch (variant) {
      case 'wire':
        return wireTarget(spec);
      case 'floor':
        return this.floor.target(spec);
      case 'callhook':
        return callhookTarget(this.h, spec, this.apiBase);
    }
  }

  /**
   * Runs `load` on a fresh target of `variant` (`endpoints` healthy endpoints, optionally one
   * failing), then closes it and lets the system settle.
   */
  async measure<T>(variant: Variant, label: string, shape: { endpoints: number; failing?: boolean }, load: (target: Target) => Promise<T>): Promise<T> {
    const target = await this.target(variant, { tag: this.tag(label, variant), ...shape });
    const started = performance.now();
    let ended: 'completed' | 'failed' = 'failed';
    try {
      const result = await load(target);
      ended = 'completed';
      console.log(`  · ${target.spec.tag}: ${target.log.count} deliveries, ${((performance.now() - started) / 1_000).toFixed(1)} s`);
      return result;
    } finally {
      await target.close(ended);
      if (variant !== 'wire') await sleep(this.config.settleMs); // wire leaves no workflows behind
    }
  }
}
