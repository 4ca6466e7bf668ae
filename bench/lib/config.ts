/**
 * The benchmark's knobs, all from environment variables, validated once at start: a bad value
 * stops the run with a message naming it. Defaults size the whole run for about 50 minutes on a
 * 2-core machine, 40 of them the open-calls scenario's 10 000 calls.
 */
import path from 'node:path';
import { VARIANTS, type Variant } from './types';

function positiveNumber(name: string, fallback: number, integer: boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${raw}: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

export const intEnv = (name: string, fallback: number): number => positiveNumber(name, fallback, true);
export const numberEnv = (name: string, fallback: number): number => positiveNumber(name, fallback, false);

/** A comma-separated list; undefined when the variable is unset or empty. */
export function listEnv(name: string): string[] | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  return raw.split(',').map((item) => item.trim()).filter(Boolean);
}

export function numberListEnv(name: string, fallback: number[]): number[] {
  const items = listEnv(name);
  if (!items) return fallback;
  return items.map((item) => {
    const value = Number(item);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: "${item}" is not a positive number`);
    return value;
  });
}

export interface RunConfig {
  /** Scenario names to run, in the registry's order; undefined = all. */
  scenarios: string[] | undefined;
  /** Which of wire, floor, callhook to measure (BENCH_VARIANTS); all three by default. */
  variants: Variant[];
  /** Where latest.json, latest.md and the SVG go. */
  resultsDir: string;
  /** Pause between measured runs so the previous run's workflows can finish (idle timeout + 1 s). */
  settleMs: number;
  /** Longest wait for one run's deliveries, and longest time without any new delivery. */
  waitTimeoutMs: number;
  stallTimeoutMs: number;
  /** Workflows kept cached by callhook's worker and by the floor's (callhook's default WORKER_MAX_CACHED_WORKFLOWS). */
  maxCachedWorkflows: number;
}

/** Idle period after a call's terminal event (callhook's CALL_IDLE_TIMEOUT, and the floor's). */
export const IDLE_TIMEOUT_MS = 2_000;
/** Idle period without a terminal event: long, so the open-calls scenario's calls stay open. */
export const ABANDON_TIMEOUT_MS = 2 * 3_600_000;

export function loadRunConfig(): RunConfig {
  const variants = listEnv('BENCH_VARIANTS') ?? [...VARIANTS];
  for (const variant of variants) {
    if (!(VARIANTS as readonly string[]).includes(variant)) {
      throw new Error(`BENCH_VARIANTS: unknown variant "${variant}" (known: ${VARIANTS.join(', ')})`);
    }
  }
  return {
    scenarios: listEnv('BENCH_SCENARIOS'),
    variants: VARIANTS.filter((variant) => variants.includes(variant)),
    resultsDir: path.resolve(process.env.BENCH_RESULTS_DIR ?? path.join(__dirname, '..', 'results')),
    settleMs: intEnv('BENCH_SETTLE_MS', IDLE_TIMEOUT_MS + 1_000),
    waitTimeoutMs: intEnv('BENCH_WAIT_TIMEOUT_S', 600) * 1_000,
    stallTimeoutMs: intEnv('BENCH_STALL_TIMEOUT_S', 120) * 1_000,
    maxCachedWorkflows: intEnv('BENCH_MAX_CACHED_WORKFLOWS', 1_000),
  };
}
