/** Every scenario, in the order a full run takes them (open-calls last: its calls stay open). */
import type { Scenario } from '../lib/scenario';
import { burst } from './burst';
import { failingEndpoint } from './failing-endpoint';
import { fanOut } from './fan-out';
import { longCall } from './long-call';
import { newCalls } from './new-calls';
import { openCalls } from './open-calls';
import { openLoop } from './open-loop';
import { paced } from './paced';

export const SCENARIOS: readonly Scenario[] = [burst, newCalls, paced, longCall, fanOut, openLoop, failingEndpoint, openCalls];

/** The scenarios named (all when `names` is undefined), in registry order; unknown names are an error. */
export function selectScenarios(names: string[] | undefined): Scenario[] {
  if (!names) return [...SCENARIOS];
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
  }
  return SCENARIOS.filter((scenario) => names.includes(scenario.name));
}
